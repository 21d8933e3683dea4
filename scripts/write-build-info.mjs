// Writes dist/build-info.json after tsc: the git commit this build came from (`ferry version`). Deterministic:
// the same checkout always writes the same bytes. Outside a git checkout of ferry itself, the commit is "unknown".
import { execFileSync } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function git(...args) {
  return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

let commit = 'unknown';
try {
  // Only ferry's own checkout counts, not a repository the package happens to sit inside.
  if (realpathSync(git('rev-parse', '--show-toplevel')) === realpathSync(root)) commit = git('rev-parse', 'HEAD');
} catch {
  /* no git, or not a checkout */
}
writeFileSync(join(root, 'dist', 'build-info.json'), `${JSON.stringify({ commit })}\n`);
