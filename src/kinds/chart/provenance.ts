import { parse as parseYaml } from 'yaml';
import { FerryError } from '../../core/errors.js';
import { readKeyring } from '../apt/release-signature.js';

/**
 * Helm provenance files (https://helm.sh/docs/topics/provenance/): `<chart>-<version>.tgz.prov` is an OpenPGP
 * clearsigned message whose body is the chart's Chart.yaml, a `...` line, then a YAML `files:` map from the archive's
 * file name to `sha256:<hex>`. Helm (pkg/provenance) checks the signature against a keyring and the listed sha256
 * against the archive; ferry does the same, and without a keyring still checks the sha256.
 */
export interface Provenance {
  /** The signed text (Chart.yaml, `...`, files:). */
  text: string;
  /** `files:` from the body: archive file name → lower-case sha256 hex. */
  files: Record<string, string>;
}

type OpenPgp = typeof import('openpgp');
let pgp: Promise<OpenPgp> | undefined;
/** openpgp is large; load it only when a .prov is read. */
const openpgp = () => (pgp ??= import('openpgp'));

const bad = (what: string, problem: string, details: Record<string, unknown> = {}) =>
  new FerryError('CHART_PROVENANCE_INVALID', `${what}: ${problem}`, { prov: what, ...details });

async function readMessage(prov: Buffer, what: string) {
  const o = await openpgp();
  try {
    return await o.readCleartextMessage({ cleartextMessage: prov.toString('utf8') });
  } catch (err) {
    throw bad(what, `not a clearsigned provenance file: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** The body's `files:` block: Helm writes it after the Chart.yaml, separated by a line holding `...`. */
export function parseProvenanceBody(text: string, what: string): Provenance {
  const normalized = text.replace(/\r\n/g, '\n');
  const at = normalized.lastIndexOf('\n...\n');
  if (at < 0) throw bad(what, 'no "..." line separating Chart.yaml from the files list');
  let files: unknown;
  try {
    files = (parseYaml(normalized.slice(at + 5)) as { files?: unknown } | null)?.files;
  } catch (err) {
    throw bad(what, `the files list is not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (files === null || typeof files !== 'object' || Array.isArray(files)) throw bad(what, 'no files: map');
  const out: Record<string, string> = {};
  for (const [name, sum] of Object.entries(files as Record<string, unknown>)) {
    const m = typeof sum === 'string' ? /^sha256:([0-9a-f]{64})$/i.exec(sum.trim()) : null;
    if (!m) throw bad(what, `files.${name} is not sha256:<hex>`);
    out[name] = (m[1] as string).toLowerCase();
  }
  return { text: normalized, files: out };
}

/** Parses a .prov without checking its signature. */
export async function readProvenance(prov: Buffer, what: string): Promise<Provenance> {
  const message = await readMessage(prov, what);
  return parseProvenanceBody(message.getText(), what);
}

/** The sha256 a .prov lists for `archive` (the `.tgz` file name) must be the archive's. */
export function checkListedSha256(p: Provenance, archive: string, actual: string, what: string): void {
  const listed = p.files[archive];
  if (listed === undefined) {
    throw bad(what, `lists no sha256 for ${archive} (lists ${Object.keys(p.files).join(', ') || 'nothing'})`, { archive });
  }
  if (listed !== actual) {
    throw bad(what, `lists sha256 ${listed} for ${archive}, but the archive's sha256 is ${actual}`, {
      archive,
      expected: listed,
      actual,
    });
  }
}

/**
 * Checks the clearsigned .prov against a keyring (binary or armoured, what `helm verify --keyring` takes): a
 * signature must be valid and made by a key in the keyring. Returns the signer's fingerprint (upper-case hex).
 */
export async function verifyProvenanceSignature(
  prov: Buffer,
  keyring: { bytes: Buffer; path: string },
  what: string,
): Promise<{ provenance: Provenance; signer: string }> {
  const o = await openpgp();
  const keys = await readKeyring(keyring.bytes, keyring.path).catch((err: unknown) => {
    throw new FerryError('CHART_PROVENANCE_INVALID', (err as Error).message, { keyring: keyring.path });
  });
  const message = await readMessage(prov, what);
  const result = await o.verify({ message, verificationKeys: keys });
  const reasons: string[] = [];
  for (const s of result.signatures) {
    const keyId = s.keyID.toHex().toUpperCase();
    const key = keys.find((k) => k.getKeys(s.keyID).length > 0);
    if (!key) {
      reasons.push(`signed by key ${keyId}, not in keyring ${keyring.path}`);
      continue;
    }
    try {
      await s.verified;
      return { provenance: parseProvenanceBody(String(result.data), what), signer: key.getFingerprint().toUpperCase() };
    } catch (err) {
      reasons.push(`signature by key ${keyId} is not valid: ${(err as Error).message}`);
    }
  }
  throw bad(what, reasons.join('; ') || 'carries no signature', { keyring: keyring.path });
}
