// Turns the CommonJS bundle into a single executable (https://nodejs.org/docs/latest-v20.x/api/single-executable-applications.html):
// `node --experimental-sea-config` writes the blob, postject injects it into a copy of this Node. The code cache and
// the start-up snapshot stay off: V8's cache is not byte-stable between runs, and a release must be reproducible
// (two builds of one commit give the same executable). The blob records the main script's path as the config gives
// it, so that path is relative (the config is read in the work directory): an absolute temporary path would differ
// on every build. The blob and postject's ELF note are otherwise deterministic.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';

// The fuse Node's binary carries; postject flips it so the binary looks for its blob (Node 20 docs).
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export function makeExecutable(root, work, mainScript, exe) {
  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    `${JSON.stringify({ main: basename(mainScript), output: basename(blob), disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }, null, 2)}\n`,
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { cwd: work, stdio: 'pipe' });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  const postject = createRequire(join(root, 'package.json')).resolve('postject/dist/cli.js');
  // postject (LIEF) warns "Can't find string offset for section name '.note.100'" on every Node ELF: harmless
  // (LIEF reading the section names of Node's ELF), so its output is shown only when it fails.
  try {
    execFileSync(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`postject failed on ${exe}: ${String(err.stderr ?? err.message)}`);
  }
}
