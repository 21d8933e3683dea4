import { parse } from 'yaml';

export interface IndexEntry {
  version?: unknown;
  digest?: unknown;
  urls?: unknown;
}

/**
 * The index.yaml entries of one chart. Big repositories publish indexes of tens of megabytes (prometheus-community's
 * is over 20 MB), and parsing all of it with a YAML library takes seconds and hundreds of megabytes (measured: 2.5 s
 * and 386 MB RSS for 8 MB). Helm writes the index in a fixed layout (`entries:` then `  <name>:` then its list), so
 * the chart's own block is cut out of the text and only that is parsed. Anything else — JSON, another layout, a
 * block that does not parse — falls back to parsing the whole document.
 */
/**
 * The most YAML text parsed in one piece: the yaml library holds about 40 times a document's size while parsing
 * (measured: 529 MB RSS for 12 MB), so a hostile index must not reach it whole. Helm-layout indexes of any size are
 * read by their chart's block, which is far smaller.
 */
export const YAML_PARSE_MAX = 16 << 20;

export function indexEntriesFor(text: string, name: string): IndexEntry[] | undefined {
  const block = sliceChartBlock(text, name);
  if (block !== undefined && block.length <= YAML_PARSE_MAX) {
    try {
      const doc = parse(`entries:\n${block}`, { uniqueKeys: false }) as { entries?: Record<string, IndexEntry[]> };
      const list = doc.entries?.[name];
      if (Array.isArray(list)) return list;
    } catch {
      // fall through to the whole document
    }
  }
  if (text.length > YAML_PARSE_MAX) {
    const what =
      block !== undefined ? `its ${name} entry is ${block.length} characters` : `it is ${text.length} characters and not in Helm's layout`;
    throw new Error(`${what}, more than the ${YAML_PARSE_MAX} ferry parses as YAML at once (parsing takes about 40 times that in memory)`);
  }
  const doc = parse(text, { uniqueKeys: false }) as { entries?: Record<string, IndexEntry[]> } | null;
  const list = doc?.entries?.[name];
  return Array.isArray(list) ? list : undefined;
}

function sliceChartBlock(text: string, name: string): string | undefined {
  const entries = text.search(/^entries:[ \t]*\r?$/m);
  if (entries < 0) return undefined;
  const keyRe = new RegExp(`^(  )(["']?)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\2:[ \\t]*\\r?$`, 'm');
  const rest = text.slice(entries);
  const m = keyRe.exec(rest);
  if (!m) return undefined;
  const start = m.index;
  const after = rest.slice(start + m[0].length);
  // The block ends at the next key of the same or a lower indentation (a sibling chart, or a top-level key).
  const end = after.search(/^(?: {2}[^\s-]|[^\s])/m);
  return rest.slice(start, start + m[0].length + (end < 0 ? after.length : end));
}
