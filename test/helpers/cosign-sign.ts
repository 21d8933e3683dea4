import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, createPrivateKey, sign, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type Digest, sha256 } from '../../src/core/digest.js';
import type { Descriptor, ImageManifest } from '../../src/core/media-types.js';

/**
 * Signatures made as cosign makes them (sigstore/cosign specs/SIGNATURE_SPEC.md), for tests: the simple-signing
 * payload, the base64 `dev.cosignproject.cosign/signature` annotation, the signature manifest that `sha256-<hex>.sig`
 * names, DSSE attestations (`.att`), and a test Fulcio (openssl CA) with a Sigstore trusted root JSON.
 */
export type KeyType = 'ec' | 'ed25519';

export interface TestKey {
  privateKey: KeyObject;
  publicPem: string;
}

export function cosignKey(type: KeyType = 'ec'): TestKey {
  const { privateKey, publicKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** Cosign's signature: ECDSA over SHA-256, DER; Ed25519 over the message itself. */
export function cosignSign(key: KeyObject, message: Buffer): Buffer {
  return key.asymmetricKeyType === 'ed25519' ? sign(null, message, key) : sign('sha256', message, { key, dsaEncoding: 'der' });
}

/** The payload as cosign marshals it (Go's encoding/json: keys in struct order, no spaces). */
export function simpleSigningPayload(digest: string, dockerReference: string, type = 'cosign container image signature'): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type },
      optional: null,
    }),
  );
}

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

export function blob(mediaType: string, bytes: Buffer, annotations?: Record<string, string>): Blob {
  return { descriptor: { mediaType, digest: sha256(bytes), size: bytes.length, ...(annotations ? { annotations } : {}) }, bytes };
}

/** A signature layer: `payload` signed by `key` (or a given signature), plus any extra annotations (certificate, chain). */
export function signatureLayer(key: KeyObject, payload: Buffer, extra: Record<string, string> = {}, signature?: Buffer): Blob {
  const sig = (signature ?? cosignSign(key, payload)).toString('base64');
  return blob('application/vnd.dev.cosign.simplesigning.v1+json', payload, { 'dev.cosignproject.cosign/signature': sig, ...extra });
}

/** DSSE pre-authentication encoding (secure-systems-lab/dsse protocol.md), written out independently of src/. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

/** An in-toto statement about `digest` in a DSSE envelope signed by `key`: a cosign `.att` layer. */
export function attestationLayer(
  key: KeyObject,
  digest: string,
  predicateType = 'https://cyclonedx.org/bom',
  extra: Record<string, string> = {},
): Blob {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType,
      subject: [{ name: 'docker.io/example/app', digest: { sha256: digest.replace(/^sha256:/, '') } }],
      predicate: {},
    }),
  );
  const payloadType = 'application/vnd.in-toto+json';
  const envelope = {
    payloadType,
    payload: statement.toString('base64'),
    signatures: [{ keyid: '', sig: cosignSign(key, pae(payloadType, statement)).toString('base64') }],
  };
  return blob('application/vnd.dsse.envelope.v1+json', Buffer.from(JSON.stringify(envelope)), {
    'dev.cosignproject.cosign/predicateType': predicateType,
    ...extra,
  });
}

/** The OCI manifest that cosign pushes as `sha256-<hex>.sig` / `.att`, over the given layers. */
export function signatureManifest(layers: Blob[]): { manifest: ImageManifest; bytes: Buffer; digest: Digest; config: Blob } {
  const config = blob(
    'application/vnd.oci.image.config.v1+json',
    Buffer.from(
      JSON.stringify({
        architecture: '',
        os: '',
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.descriptor.digest) },
      }),
    ),
  );
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { manifest, bytes, digest: sha256(bytes), config };
}

/** Blobs by digest, as a ReadOnlyStorage's fetch. */
export class MemoryBlobs {
  private readonly byDigest = new Map<string, Buffer>();
  constructor(blobs: Blob[] = []) {
    for (const b of blobs) this.add(b);
  }
  add(b: Blob, bytes = b.bytes): void {
    this.byDigest.set(b.descriptor.digest, bytes);
  }
  fetch(desc: Descriptor): Promise<Readable> {
    const b = this.byDigest.get(desc.digest);
    return b ? Promise.resolve(Readable.from([b])) : Promise.reject(new Error(`blob ${desc.digest} not found`));
  }
}

// ---- a test Fulcio ----

export interface TestCa {
  name: string;
  certPath: string;
  keyPath: string;
  cert: X509Certificate;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed P-256 CA (valid `days`), as Fulcio's root. */
export function testCa(dir: string, name: string, days = 30): TestCa {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.pem`);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    String(days),
    '-subj',
    `/O=sigstore.test/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { name, certPath, keyPath, cert: new X509Certificate(readFileSync(certPath)) };
}

/** A P-256 intermediate CA issued by `parent`, as Fulcio's intermediate under its root. */
export function testIntermediate(dir: string, parent: TestCa, name: string): TestCa {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.pem`);
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    `${certPath}.csr`,
    '-subj',
    `/O=sigstore.test/CN=${name}`,
  ]);
  writeFileSync(`${certPath}.ext`, 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
  openssl([
    'x509',
    '-req',
    '-in',
    `${certPath}.csr`,
    '-CA',
    parent.certPath,
    '-CAkey',
    parent.keyPath,
    '-CAcreateserial',
    '-out',
    certPath,
    '-days',
    '30',
    '-extfile',
    `${certPath}.ext`,
  ]);
  return { name, certPath, keyPath, cert: new X509Certificate(readFileSync(certPath)) };
}

export interface LeafOptions {
  issuer: string;
  /** The SAN: a URI (https://…) or an e-mail address. */
  san: string;
  /** Write the OIDC issuer in the deprecated 1.3.6.1.4.1.57264.1.1 extension (raw bytes, not DER) instead of …1.8. */
  legacyIssuer?: boolean;
}

/** A short-lived signing certificate from `ca` for a fresh P-256 key, with Fulcio's extensions. */
export function fulcioLeaf(dir: string, ca: TestCa, opts: LeafOptions): { privateKey: KeyObject; certPem: string } {
  const base = join(dir, `leaf-${Math.random().toString(36).slice(2)}`);
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.csr`,
    '-subj',
    '/',
  ]);
  const san = opts.san.includes('@') && !opts.san.includes('://') ? `email:${opts.san}` : `URI:${opts.san}`;
  const issuerExt = opts.legacyIssuer
    ? `1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(opts.issuer)
        .toString('hex')
        .replace(/(..)(?!$)/g, '$1:')}`
    : `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${opts.issuer}`;
  writeFileSync(
    `${base}.ext`,
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=critical,${san}\n${issuerExt}\n`,
  );
  openssl([
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    ca.certPath,
    '-CAkey',
    ca.keyPath,
    '-CAcreateserial',
    '-out',
    `${base}.pem`,
    '-days',
    '1',
    '-extfile',
    `${base}.ext`,
  ]);
  return { privateKey: createPrivateKey(readFileSync(`${base}.key`)), certPem: readFileSync(`${base}.pem`, 'utf8') };
}

/** A Sigstore trusted_root.json (protobuf-specs TrustedRoot) naming the CAs, each valid for the given window. */
export function trustedRoot(cas: { ca: TestCa; parents?: TestCa[]; start?: Date; end?: Date }[]): string {
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: cas.map(({ ca, parents = [], start, end }) => ({
      subject: { organization: 'sigstore.test', commonName: ca.name },
      uri: `https://${ca.name}.test`,
      certChain: { certificates: [ca, ...parents].map((c) => ({ rawBytes: c.cert.raw.toString('base64') })) },
      validFor: { start: (start ?? new Date(Date.now() - 86_400_000)).toISOString(), ...(end ? { end: end.toISOString() } : {}) },
    })),
    ctlogs: [],
    timestampAuthorities: [],
  });
}
