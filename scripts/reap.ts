/**
 * `node dist-demo/scripts/reap.js NAME VALUE`: stops every process still running with NAME=VALUE in its environment
 * (gpg-agents through gpgconf), naming each on standard error; exits 1 when it found any. scripts/demo.sh runs it
 * on exit, so whatever ends the demo (an error, Ctrl-C, a kill) leaves no registry, server or agent behind.
 */
import { describe, findMarked, reap } from '../test/helpers/leftovers.js';

const [name, value] = process.argv.slice(2);
if (!name || !value) {
  console.error('usage: reap.js NAME VALUE');
  process.exit(2);
}
const left = findMarked(name, value, [process.pid, process.ppid]);
if (left.length > 0) {
  console.error(`demo: stopping ${left.length} processes it left running:\n${describe(left)}`);
  await reap(left);
  process.exit(1);
}
