/** The pins facet of a kind (kinds/kind.ts). Filled in by the pins work; every member optional until then. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface PinsFacet<Locked> {}
