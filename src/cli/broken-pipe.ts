import { removeOwnPartialsSync } from '../core/partial-files.js';

/**
 * The reader of stdout or stderr went away (`ferry bundle inspect b.tar | head -1`): Node reports EPIPE as an error
 * on the stream, which unhandled is an uncaught exception (a stack, exit 7). Here it ends the process quietly,
 * nothing more written to either stream: exit 0 once the command had done its work and was printing its result
 * (the reader had what it wanted), else 141 (128 + SIGPIPE, the status of a process SIGPIPE ended), after removing
 * the temporary files it still has open, as an interruption does (src/cli/abort.ts).
 */
export const BROKEN_PIPE_EXIT = 141;

export function exitQuietlyOnBrokenPipe(workDone: () => boolean, beforeExit: () => void): void {
  let gone = false;
  const onError = (err: NodeJS.ErrnoException) => {
    if (gone) return;
    if (err?.code !== 'EPIPE' && err?.code !== 'ERR_STREAM_DESTROYED') throw err;
    gone = true;
    // Both streams may share the pipe: no further byte, not even the renderer's last redraw.
    for (const s of [process.stdout, process.stderr]) s.write = (() => true) as typeof s.write;
    beforeExit();
    if (workDone()) process.exit(0);
    removeOwnPartialsSync();
    process.exit(BROKEN_PIPE_EXIT);
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}
