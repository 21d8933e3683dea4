import { type Digest, sha256 } from '../core/digest.js';
import { Annotation, type Descriptor, MediaType } from '../core/media-types.js';

/** artifactType of a plain file carried in the bundle. */
export const FILE_ARTIFACT_TYPE = 'application/vnd.ferry.file.v1';

/** The empty config blob `{}` (image-spec manifest.md "Guidance for an Empty Descriptor"). */
export const EMPTY_CONFIG = Buffer.from('{}');
export const EMPTY_DESCRIPTOR: Descriptor = { mediaType: MediaType.OciEmpty, digest: sha256(EMPTY_CONFIG), size: 2 };

export interface FileArtifactInput {
  name: string;
  url: string;
  digest: Digest;
  size: number;
  /** Human-readable provenance: "inline sha256 pin" or "<checksums url> line N". */
  checksumSource: string;
  /** Layers after the file itself (an RKE2 image tarball's table of contents). */
  extraLayers?: Descriptor[];
  /** Manifest annotations beyond the standard ones. */
  annotations?: Record<string, string>;
}

/**
 * A file as an OCI artifact (image-spec manifest.md "Guidelines for Artifact Usage", the ORAS convention): an empty
 * config and one layer titled with the file name. No timestamps, so the same file gives the same manifest digest.
 */
export function buildFileArtifact(f: FileArtifactInput): { descriptor: Descriptor; body: Buffer } {
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: FILE_ARTIFACT_TYPE,
    config: EMPTY_DESCRIPTOR,
    layers: [
      { mediaType: MediaType.OctetStream, digest: f.digest, size: f.size, annotations: { [Annotation.Title]: f.name } },
      ...(f.extraLayers ?? []),
    ],
    annotations: {
      ...f.annotations,
      [Annotation.Kind]: f.annotations?.[Annotation.Kind] ?? 'file',
      [Annotation.Source]: f.url,
      [Annotation.ChecksumSource]: f.checksumSource,
      [Annotation.Title]: f.name,
    },
  };
  const body = Buffer.from(JSON.stringify(manifest));
  return {
    descriptor: { mediaType: MediaType.OciManifest, digest: sha256(body), size: body.length, artifactType: FILE_ARTIFACT_TYPE },
    body,
  };
}
