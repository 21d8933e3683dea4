/**
 * The source facet of a kind (kinds/kind.ts): the connected side, `resolve` (pin) and `fetch` (bring bytes in).
 * The handler only carries a loader; the code behind it (and the HTTP stack it needs) is imported when pull asks.
 * The KindSource contract is filled in by the pull work.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface KindSource<Locked> {}

export interface SourceFacet<Locked> {
  loadSource(): Promise<KindSource<Locked>>;
}
