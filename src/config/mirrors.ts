import { redact } from '../core/redact.js';
import { checkRule, isUrlPrefix, type MirrorRule, normaliseRegistry, usageError } from './mirror-rule.js';
import { type UrlPrefix, joinTail, tailAfter, urlPrefix } from './url-prefix.js';

export { normaliseRegistry, type MirrorRule } from './mirror-rule.js';

/**
 * Where requests really go. A rule FROM=TO either names a registry host (`docker.io`, `quay.io`,
 * `127.0.0.1:5000`) whose registry API requests go to the endpoint TO, or a URL prefix (`https://github.com/`)
 * whose file downloads are fetched from TO plus the rest of the URL; the longest matching prefix wins. Only the
 * destination changes: names in the bundle, the lock and reports stay the upstream names.
 */
export class Mirrors {
  private readonly registries = new Map<string, string>();
  private prefixes: { prefix: UrlPrefix; to: string }[] = [];

  /** Rules are validated (FerryError('USAGE')); a later rule for the same FROM replaces an earlier one. */
  constructor(rules: Iterable<readonly [string, string]> = []) {
    for (const [from, to] of rules) this.add(from, to);
  }

  /**
   * Adds or replaces a rule: command-line flags come after the config file, so they win. URL prefixes are the same
   * FROM when they are the same URL (`https://e.org/` and `HTTPS://E.ORG:443`).
   */
  add(from: string, to: string): void {
    const [f, t] = checkRule(from, to, `mirror ${redact(`${from}=${to}`)}`);
    if (isUrlPrefix(f)) {
      const prefix = urlPrefix(f);
      this.prefixes = this.prefixes.filter((p) => p.prefix.key !== prefix.key);
      this.prefixes.push({ prefix, to: t });
      this.prefixes.sort((a, b) => b.prefix.key.length - a.prefix.key.length);
    } else {
      this.registries.set(f, t);
    }
  }

  /** Base URL of the endpoint that serves an upstream registry, when a rule names it. */
  endpointFor(registry: string): string | undefined {
    return this.registries.get(normaliseRegistry(registry));
  }

  /**
   * The URL to contact for an upstream file URL: rewritten by the longest matching prefix rule, else unchanged. Both
   * are compared as URLs (scheme and host case, default ports, an empty path: config/url-prefix.ts), so
   * `https://get.rke2.io/=…` covers `https://get.rke2.io`; the rule's FROM ends at a boundary, so `https://github.com`
   * covers `https://github.com/x` but not `https://github.com.example.org/x`.
   */
  rewriteUrl(url: string): string {
    for (const { prefix, to } of this.prefixes) {
      const tail = tailAfter(prefix, url);
      if (tail !== undefined) return joinTail(to, tail);
    }
    return url;
  }
}

/**
 * Parses `--mirror FROM=TO`; throws FerryError('USAGE') naming what is wrong. A registry host has no `=`, so the
 * first one splits; a URL prefix may hold `=` in a query, but its TO must start with http(s)://, so the split is
 * at the first `=http://` or `=https://`.
 */
export function parseMirrorFlag(value: string): MirrorRule {
  const where = `--mirror "${redact(value)}"`;
  const first = value.indexOf('=');
  const urlSplit = /=https?:\/\//i.exec(value);
  const eq = isUrlPrefix(value.slice(0, Math.max(first, 0))) && urlSplit ? urlSplit.index : first;
  if (eq < 0)
    throw usageError(where, 'expected FROM=TO, e.g. docker.io=http://127.0.0.1:5000 or https://github.com/=http://127.0.0.1:8080/gh/');
  return checkRule(value.slice(0, eq), value.slice(eq + 1), where);
}
