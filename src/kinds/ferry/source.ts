/** The ferry kind's connected side (kinds/facets/source.ts): loaded lazily, by pull only. */
export const source = {};
