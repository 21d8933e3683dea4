import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A Docker credential helper for tests (`docker-credential-NAME` in `dir`, which the test puts first on PATH): the
 * real protocol of docker-credential-helpers (get/store/erase/list, input on stdin, "credentials not found in native
 * keychain" and exit 1 when it has nothing), its secrets kept in a JSON file, every invocation logged.
 */
export interface FakeHelper {
  name: string;
  dir: string;
  /** Every invocation: the action and what came on stdin (for store: ServerURL and Username only). */
  calls(): { action: string; input: string }[];
  /** What it holds now: ServerURL → { Username, Secret }. */
  stored(): Record<string, { Username: string; Secret: string }>;
}

export function writeCredentialHelper(
  dir: string,
  name: string,
  initial: Record<string, { Username: string; Secret: string }> = {},
): FakeHelper {
  const state = join(dir, `${name}.store.json`);
  const log = join(dir, `${name}.log`);
  writeFileSync(state, JSON.stringify(initial));
  writeFileSync(log, '');
  writeScript(
    dir,
    name,
    `const fs = require('node:fs');
const action = process.argv[2];
const input = fs.readFileSync(0, 'utf8');
const state = ${JSON.stringify(state)};
const store = JSON.parse(fs.readFileSync(state, 'utf8'));
const save = () => fs.writeFileSync(state, JSON.stringify(store));
const notFound = () => { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); };
let logged = input;
if (action === 'store') { const c = JSON.parse(input); logged = JSON.stringify({ ServerURL: c.ServerURL, Username: c.Username }); }
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ action, input: logged }) + '\\n');
if (action === 'get') {
  const c = store[input];
  if (!c) notFound();
  process.stdout.write(JSON.stringify({ ServerURL: input, Username: c.Username, Secret: c.Secret }));
} else if (action === 'store') {
  const c = JSON.parse(input);
  store[c.ServerURL] = { Username: c.Username, Secret: c.Secret };
  save();
} else if (action === 'erase') {
  if (!store[input]) notFound();
  delete store[input];
  save();
} else if (action === 'list') {
  process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(store).map(([k, v]) => [k, v.Username]))));
} else {
  process.stderr.write('unknown action ' + action + '\\n');
  process.exit(1);
}
`,
  );
  return {
    name,
    dir,
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { action: string; input: string }),
    stored: () => (existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as ReturnType<FakeHelper['stored']>) : {}),
  };
}

/** `docker-credential-NAME` in `dir` running `body` (Node, CommonJS) with this test's Node, whatever PATH holds. */
export function writeScript(dir: string, name: string, body: string): string {
  const path = join(dir, `docker-credential-${name}`);
  writeFileSync(path, `#!${process.execPath}\n${body}`);
  chmodSync(path, 0o755);
  return path;
}

/** PATH with `dir` first. */
export function pathWith(dir: string): string {
  return `${dir}:${process.env.PATH ?? ''}`;
}
