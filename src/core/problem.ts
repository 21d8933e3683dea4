/** What `ferry bundle verify` can find wrong with a bundle (docs/bundle-format.md "Verifying"). */
export type ProblemCode =
  | 'DIGEST_MISMATCH' // an entry's bytes do not hash to its SHA256SUMS line
  | 'SIZE_MISMATCH' // an entry's length is not what a descriptor declares
  | 'MISSING' // SHA256SUMS (or the format) names a file the tar does not hold
  | 'UNEXPECTED' // the tar holds a file SHA256SUMS does not list
  | 'BLOB_NAME_MISMATCH' // a blob's SHA256SUMS hash is not its file name
  | 'LAYOUT_INCOMPLETE' // the OCI layout references a blob the bundle lacks (or holds with another size)
  | 'LOCK_MISMATCH' // index.json does not hold exactly the artifacts the lock pins
  | 'APT_CHAIN' // the apt signature → index → package chain does not hold for the bundled files
  | 'SBOM_MISMATCH' // sbom.cdx.json is not the SBOM made again from index.json, the lock and SHA256SUMS
  | 'SIGNATURE_INVALID' // the bundle signature is missing (when required), foreign or does not match
  | 'MALFORMED'; // damaged tar structure or unparseable metadata

export interface Problem {
  /** The tar member concerned (`blobs/sha256/<hex>`, `index.json`, …), or the bundle path for whole-archive damage. */
  path: string;
  code: ProblemCode;
  expected?: string | number;
  actual?: string | number;
  message: string;
}
