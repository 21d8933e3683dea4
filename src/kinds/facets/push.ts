/** The push facet of a kind (kinds/kind.ts). Filled in by the push work; every member optional until then. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface PushFacet<Locked> {}
