import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// package.json is the single source of the version; read once at start-up.
const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

export const TOOL_VERSION: string = pkg.version;

/**
 * The git commit the build came from: `npm run build` writes it to dist/build-info.json
 * (scripts/write-build-info.mjs). "unknown" when built outside a checkout, or not built by `npm run build`.
 */
export function buildCommit(): string {
  try {
    const info = JSON.parse(readFileSync(new URL('./build-info.json', import.meta.url), 'utf8')) as { commit?: unknown };
    return typeof info.commit === 'string' && /^[0-9a-f]{40,64}$/.test(info.commit) ? info.commit : 'unknown';
  } catch {
    return 'unknown';
  }
}
