/** The view facet of a kind (kinds/kind.ts). Filled in by the view work; every member optional until then. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface ViewFacet<Locked> {}
