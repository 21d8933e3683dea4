import { createRequire } from 'node:module';

// package.json is the single source of the version; read once at start-up.
const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

export const TOOL_VERSION: string = pkg.version;
