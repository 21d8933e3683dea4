/** OCI tags cannot hold `+`: Helm writes a chart version's `+` as `_` in the tag (helm pkg/registry/reference.go). */
export const versionToTag = (version: string): string => version.replaceAll('+', '_');
export const tagToVersion = (tag: string): string => tag.replaceAll('_', '+');
