import { parseReference } from './reference.js';

/**
 * Package URLs (purl-spec PURL-SPECIFICATION.rst, "How to build purl string from its components"):
 * `pkg:<type>/<namespace>/<name>@<version>?<qualifiers>`. Every component but the type is percent-encoded; the
 * qualifiers are sorted by key, and one with an empty value is left out.
 */
export interface PurlParts {
  /** Lowercase ASCII letters, digits, `.`, `+`, `-`; never encoded (spec "Rules for each purl component"). */
  type: string;
  /** Zero or more `/`-separated segments, each encoded on its own. */
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
}

/**
 * Percent-encodes a component. The unreserved characters of RFC 3986 stay as they are; `keep` adds the characters a
 * qualifier value keeps readable (`/` and `:` in a URL or `sha256:<hex>`, as the spec's own examples write them).
 * Everything else is encoded, so a `@`, `?`, `#`, `&`, `=`, `+` or `%` inside a component can never read as a
 * separator (spec "Character encoding").
 */
function encode(s: string, keep = ''): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9._~-]/.test(c) || (byte < 0x80 && keep.includes(c))) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function formatPurl(p: PurlParts): string {
  if (!/^[a-z][a-z0-9.+-]*$/.test(p.type)) throw new Error(`purl type "${p.type}" is not a valid type`);
  if (p.name === '') throw new Error('purl name is empty');
  const ns = (p.namespace ?? '')
    .split('/')
    .filter((seg) => seg !== '')
    .map((seg) => encode(seg));
  let out = `pkg:${p.type}/${[...ns, encode(p.name)].join('/')}`;
  // The version keeps no separator: the oci type's examples write `sha256%3A<hex>`.
  if (p.version) out += `@${encode(p.version)}`;
  const qualifiers = Object.entries(p.qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => {
      if (!/^[a-z.\-_][a-z0-9.\-_]*$/.test(k)) throw new Error(`purl qualifier key "${k}" is not a valid key`);
      return `${k}=${encode(v, '/:')}`;
    })
    .sort();
  if (qualifiers.length > 0) out += `?${qualifiers.join('&')}`;
  return out;
}

/**
 * The purl of something stored in an OCI registry (purl-spec types/oci-definition.json): no namespace, the name the
 * last segment of the repository, lowercased; the version the digest; `repository_url` the registry and repository
 * (as the type's examples give it, `docker.io/library/debian`); `tag` the tag the reference named, if any.
 */
export function ociPurl(ref: string, digest: string): string {
  const r = parseReference(ref);
  const name = (r.repository.split('/').at(-1) ?? r.repository).toLowerCase();
  return formatPurl({ type: 'oci', name, version: digest, qualifiers: { repository_url: `${r.registry}/${r.repository}`, tag: r.tag } });
}

/** `docker://<registry>/<repository>@<digest>`: where an OCI artifact came from, in the form skopeo reads. */
export function ociSource(ref: string, digest: string): string {
  const r = parseReference(ref);
  return `docker://${r.registry}/${r.repository}@${digest}`;
}
