/**
 * The part of CycloneDX 1.5 JSON (bom-1.5.schema.json) the bundle's SBOM writes. Field order here is the order
 * they are serialised in, so the same bundle gives the same bytes.
 */
export const SPEC_VERSION = '1.5';
export const MEDIA_TYPE = 'application/vnd.cyclonedx+json';

export interface CdxHash {
  alg: 'SHA-256';
  content: string;
}

export interface CdxProperty {
  name: string;
  value: string;
}

export interface CdxExternalReference {
  /** A URL, or a relative reference into the bundle (`blobs/sha256/<hex>`); both are `iri-reference`s. */
  url: string;
  comment?: string;
  type: 'distribution' | 'vcs' | 'bom' | 'attestation' | 'other';
  hashes?: CdxHash[];
}

export interface CdxComponent {
  type: string;
  'bom-ref'?: string;
  name: string;
  version?: string;
  hashes?: CdxHash[];
  purl?: string;
  externalReferences?: CdxExternalReference[];
  properties?: CdxProperty[];
}

export interface CdxBom {
  bomFormat: 'CycloneDX';
  specVersion: typeof SPEC_VERSION;
  serialNumber: string;
  version: 1;
  metadata: {
    tools: { components: CdxComponent[] };
    component: CdxComponent;
    properties?: CdxProperty[];
  };
  components: CdxComponent[];
}

/** Two-space JSON with a trailing newline, as ferry writes every JSON member (docs/bundle-format.md "Determinism"). */
export function serialiseBom(bom: CdxBom): Buffer {
  return Buffer.from(`${JSON.stringify(bom, null, 2)}\n`, 'utf8');
}
