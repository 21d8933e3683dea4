/**
 * The demo as a person meets it: `bash scripts/demo.sh` on a real terminal (a private tmux server, 160×40), with
 * NO_COLOR set. It must exit 0, print no "warning:", show every command it runs with relative paths and without
 * colour, run each ferry command exactly as shown (its processes' argv and cwd, sampled from /proc), and leave no
 * process behind (every process it starts carries a marker variable; none may remain); then again with Ctrl-C typed
 * while it pulls: exit 130, nothing left running.
 * Run by scripts/test.sh after the suite (the demo rebuilds dist/, which the suite's tests run); `--report FILE`
 * writes the outcome as a check report for scripts/test-summary.mjs.
 */
import { randomUUID } from 'node:crypto';
import { readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openPty } from '../test/helpers/pty.js';
import { describe, findMarked, reap, settle } from '../test/helpers/leftovers.js';

const MARK = 'FERRY_DEMO_CHECK';
const dir = '.demo-check';

/** What the terminal showed, line by line: escape sequences removed, a carriage return starting the line anew. */
export function terminalLines(raw: string): { text: string; coloured: boolean }[] {
  return raw.split('\n').map((line) => {
    const coloured = /\x1b\[[0-9;]*m/.test(line);
    const plain = line
      .replace(/\x1b\][^\x07]*\x07/g, '')
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
      .replace(/\x1b[()][A-Z0-9]/g, '');
    const parts = plain.split('\r').filter((p) => p !== '');
    return { text: parts.at(-1) ?? '', coloured };
  });
}

/** Tokens of a shown command line that are absolute paths (a token starting with '/', or `--opt=/…`). */
export function absoluteTokens(command: string): string[] {
  return command.split(/\s+/).filter((t) => t.startsWith('/') || t.includes('=/'));
}

/** The ferry command of a shown line: `$ [echo … | ]ferry ARGS[ &]   # title` → `ferry ARGS`. */
export function shownFerry(line: string): string | undefined {
  const m = /^\$ (?:echo \S+ \| )?(ferry .*?)(?: &)?(?: {3}# .*)?$/.exec(line);
  return m?.[1];
}

/** Samples, every 20 ms, the ferry processes carrying the marker: the commands as run (`ferry ARGS`) and where. */
function sampleFerry(mark: string): { stop(): { command: string; cwd: string }[] } {
  const seen = new Map<number, { command: string; cwd: string }>();
  const timer = setInterval(() => {
    for (const p of findMarked(MARK, mark)) {
      const m = /^node \S*\/bin\/ferry (.*)$/.exec(p.args);
      if (!m || seen.has(p.pid)) continue;
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${p.pid}/cwd`);
      } catch {
        continue;
      }
      seen.set(p.pid, { command: `ferry ${m[1]}`, cwd });
    }
  }, 20);
  return { stop: () => (clearInterval(timer), [...seen.values()]) };
}

/** Runs the demo on a terminal (typing Ctrl-C once `interruptAt` shows); its problems, and what it showed. */
async function runDemo(interruptAt?: RegExp): Promise<{ problems: string[]; commands: number; seconds: string }> {
  const mark = randomUUID();
  const started = Date.now();
  const pty = openPty(`bash scripts/demo.sh ${dir}`, { cwd: process.cwd(), env: { [MARK]: mark, NO_COLOR: '1' } });
  const problems: string[] = [];
  const expected = interruptAt ? 130 : 0;
  let lines: { text: string; coloured: boolean }[] = [];
  const sampler = sampleFerry(mark);
  let ran: { command: string; cwd: string }[] = [];
  try {
    if (interruptAt) {
      await pty.waitFor(interruptAt, 300_000);
      pty.keys('C-c');
    }
    const { code } = await pty.exited(interruptAt ? 15_000 : 600_000);
    lines = terminalLines(pty.raw());
    if (code !== expected)
      problems.push(
        `demo exited ${code}, expected ${expected}; last lines:\n${lines
          .slice(-15)
          .map((l) => l.text)
          .join('\n')}`,
      );
    if (interruptAt && !lines.some((l) => /demo: interrupted, stopping what it started/.test(l.text)))
      problems.push('Ctrl-C: the demo did not say it was stopping');
  } finally {
    ran = sampler.stop();
    pty.close();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  // demo.sh's reaper is the safety net for a demo that died; here the demo itself must have stopped everything.
  const reaped = lines.findIndex((l) => /^demo: stopping \d+ processes it left running/.test(l.text));
  if (reaped >= 0)
    problems.push(
      `the demo did not stop what it started itself; scripts/demo.sh reaped:\n${lines
        .slice(reaped + 1, reaped + 8)
        .map((l) => l.text)
        .join('\n')}`,
    );
  const warnings = lines.filter((l) => /warning:/i.test(l.text));
  if (warnings.length > 0) problems.push(`the demo printed warnings:\n${warnings.map((l) => l.text).join('\n')}`);
  const commands = lines.filter((l) => l.text.startsWith('$ '));
  if (!interruptAt && commands.length < 9) problems.push(`expected the demo to show at least 9 commands, it showed ${commands.length}`);
  for (const c of commands) {
    const abs = absoluteTokens(c.text);
    if (abs.length > 0) problems.push(`command shown with absolute paths (${abs.join(', ')}): ${c.text}`);
    if (c.coloured) problems.push(`command shown in colour although NO_COLOR is set: ${c.text}`);
  }
  // What is shown is what runs: every ferry process seen ran a shown command, from the demo's directory, and (when
  // the demo ran to the end) every shown command was seen running.
  const shown = commands.map((c) => shownFerry(c.text)).filter((c): c is string => c !== undefined);
  for (const r of ran) {
    if (!shown.includes(r.command)) problems.push(`ran a command it did not show: ${r.command}`);
    if (r.cwd !== resolve(dir)) problems.push(`ran ${r.command} in ${r.cwd}, not in ${dir}`);
  }
  if (!interruptAt)
    for (const c of shown) if (!ran.some((r) => r.command === c)) problems.push(`showed a command never seen running: ${c}`);
  if (!interruptAt && shown.length < 9) problems.push(`expected at least 9 ferry commands shown, got ${shown.length}`);
  const left = await settle(MARK, mark, 3000);
  if (left.length > 0) {
    problems.push(`the demo left processes running${interruptAt ? ' after Ctrl-C' : ''}:\n${describe(left)}`);
    await reap(left);
  }
  rmSync(dir, { recursive: true, force: true });
  return { problems, commands: commands.length, seconds };
}

async function main(): Promise<number> {
  const full = await runDemo();
  // Ctrl-C while ferry pulls: registries, file server and gpg-agents are all up by then.
  const stopped = await runDemo(/^\$ ferry bundle pull /m);
  const problems = [...full.problems.map((p) => `demo: ${p}`), ...stopped.problems.map((p) => `demo, Ctrl-C during pull: ${p}`)];
  const at = process.argv.indexOf('--report');
  if (at > 0 && process.argv[at + 1]) {
    const passed = [full, stopped].filter((r) => r.problems.length === 0).length;
    writeFileSync(process.argv[at + 1] as string, JSON.stringify({ passed, failed: problems }));
  }
  if (problems.length > 0) {
    console.error(`check-demo: FAILED (runs of ${full.seconds} s and ${stopped.seconds} s)\n${problems.map((p) => `- ${p}`).join('\n')}`);
    return 1;
  }
  console.log(
    `check-demo: ok: the demo ran in ${full.seconds} s with exit 0, ${full.commands} commands shown with relative paths and run as shown, no warning, no process left; Ctrl-C during pull exited 130 in ${stopped.seconds} s leaving none`,
  );
  return 0;
}

if (process.argv[1]?.endsWith('check-demo.js')) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`check-demo: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
}
