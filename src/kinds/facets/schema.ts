/** The schema facet of a kind (kinds/kind.ts). Filled in by the schema work; every member optional until then. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface SchemaFacet<Locked> {}
