// `npm run release [-- --out DIR] [-- --sign-key KEY]`: ferry as one self-contained executable (docs/install.md).
// Needs dist/ built (`npm run release` builds it first). Writes, into DIR (default release/):
//   ferry-<version>-linux-<arch>           the executable (Node's single-executable application, no Node needed)
//   ferry-<version>-linux-<arch>.cdx.json  its CycloneDX 1.5 SBOM
//   SHA256SUMS                             `sha256sum -c` lines for both
//   SHA256SUMS.sig                         with --sign-key: the same Ed25519 envelope bundles carry
// Two runs from the same commit write the same bytes (the signature too: Ed25519 is deterministic and its time is
// the commit's).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleCli } from './release/bundle.mjs';
import { makeExecutable } from './release/sea.mjs';
import { makeSbom } from './release/sbom.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ARCH = { x64: 'amd64', arm64: 'arm64' };

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function commitTime() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(execFileSync('git', ['-C', root, 'log', '-1', '--format=%ct'], { encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

async function sign(sums, keyPath, version, epoch) {
  const { readPrivateKey, signSums } = await import(pathToFileURL(join(root, 'dist', 'trust', 'bundle-signature.js')).href);
  const key = readPrivateKey(readFileSync(keyPath, 'utf8'), keyPath);
  return signSums(sums, key, `ferry ${version}`, new Date(epoch * 1000));
}

async function release() {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(root, 'release') }, 'sign-key': { type: 'string' } } });
  // Paths are the caller's: `npm run` starts scripts in the package root and names the caller's directory INIT_CWD.
  const here = process.env.INIT_CWD ?? process.cwd();
  const out = resolve(here, values.out);
  const signKey = values['sign-key'] && resolve(here, values['sign-key']);
  if (process.platform !== 'linux' || !ARCH[process.arch])
    throw new Error(`releases are built on linux/amd64 or linux/arm64, not ${process.platform}/${process.arch}`);
  const work = mkdtempSync(join(tmpdir(), 'ferry-release-'));
  try {
    const started = Date.now();
    const main = join(work, 'ferry.cjs');
    const { metafile, version, commit } = await bundleCli(root, main);
    const name = `ferry-${version}-linux-${ARCH[process.arch]}`;
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const exe = join(out, name);
    makeExecutable(root, work, main, exe);
    const epoch = commitTime();
    const sbom = makeSbom({
      root,
      metafile,
      version,
      commit,
      commitTime: epoch,
      nodeVersion: process.version,
      nodeSha256: sha256(readFileSync(process.execPath)),
    });
    writeFileSync(join(out, `${name}.cdx.json`), sbom);
    const sums = Buffer.from([name, `${name}.cdx.json`].map((f) => `${sha256(readFileSync(join(out, f)))}  ${f}\n`).join(''));
    writeFileSync(join(out, 'SHA256SUMS'), sums);
    if (signKey) writeFileSync(join(out, 'SHA256SUMS.sig'), await sign(sums, signKey, version, epoch));
    const size = (readFileSync(exe).length / 1048576).toFixed(1);
    process.stdout.write(`${basename(out)}/${name} (${size} MiB, commit ${commit}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

release().catch((err) => {
  process.stderr.write(`release: ${err.message}\n`);
  process.exit(1);
});
