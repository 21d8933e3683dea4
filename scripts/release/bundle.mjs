// Bundles dist/ (what bin/ferry runs) into ONE CommonJS script for Node's single executable (SEA): Node 20 runs a
// SEA main as CommonJS, with a `require` that only knows built-in modules, so every npm package is compiled in.
// Dynamic `import()` of local modules is inlined by esbuild. src/version.ts finds package.json and
// dist/build-info.json through import.meta.url, which a CommonJS bundle does not have: that one module is replaced
// by constants read here, so the executable carries its version and commit. Output is deterministic: esbuild is,
// and paths are relative to the checkout (absWorkingDir), so the same commit gives the same bytes anywhere.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export async function bundleCli(root, outfile) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const info = JSON.parse(readFileSync(join(root, 'dist', 'build-info.json'), 'utf8'));
  const versionModule = [
    `export const TOOL_VERSION = ${JSON.stringify(pkg.version)};`,
    `export function buildCommit() { return ${JSON.stringify(info.commit)}; }`,
  ].join('\n');
  const embedVersion = {
    name: 'embed-version',
    setup(b) {
      b.onLoad({ filter: /[\\/]dist[\\/]version\.js$/ }, () => ({ contents: versionModule, loader: 'js' }));
    },
  };
  const result = await build({
    absWorkingDir: root,
    stdin: {
      contents: "require('./dist/cli/main.js').main(process.argv);",
      resolveDir: root,
      sourcefile: 'sea-main.cjs',
      loader: 'js',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    metafile: true,
    // node_modules reached through a symlink keeps its checkout path: the inputs (and the path comments in the
    // output) stay node_modules/…, as package-lock.json names them, wherever the tree really lies.
    preserveSymlinks: true,
    // tar's main entry (index.min.js) is tar pre-bundled with its own copies of minipass, minizlib, chownr, yallist
    // and @isaacs/fs-minipass, which the metafile, and so the SBOM, could not see; tar/raw is the same code importing
    // them, so the packages package-lock.json pins are the ones compiled in and listed.
    alias: { tar: 'tar/raw' },
    legalComments: 'eof',
    // ESM packages imported with import() (openpgp: `createRequire(import.meta.url)`) keep a file URL in the CommonJS
    // bundle, where import.meta is empty: the executable's own path, from which they only require Node built-ins.
    define: { 'import.meta.url': '__ferryImportMetaUrl' },
    banner: { js: "const __ferryImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
    plugins: [embedVersion],
  });
  return { metafile: result.metafile, version: pkg.version, commit: info.commit };
}
