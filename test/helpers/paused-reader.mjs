// A deliberately slow reader of `n` downloads of one URL, for the nodejs/undici#5360 test
// (test/integration/paused-end-guard.test.ts). It runs in a child process because the bug is an AssertionError thrown
// from a socket event: it cannot be caught, it ends the process.
//
//   node paused-reader.mjs URL N SLOW_MS [GUARD_MODULE]
//
// Each response body gets a 1 KiB high-water mark and is read one chunk per SLOW_MS (0: per setImmediate) after a
// 5 ms wait, so undici's parser is paused by backpressure whenever the server's close arrives. With GUARD_MODULE
// (dist/registry/paused-end-guard.js) the Agent is wrapped by guardPausedEnd. Prints one JSON line: the outcomes
// counted ("ok <bytes>", "error <code or name>"), or {"crash": …} and exit code 3 when the process would have died.
import { Agent, request } from 'undici';

const [url, n, slowMs, guardModule] = process.argv.slice(2);
let agent = new Agent({ keepAliveTimeout: 10 });
if (guardModule) agent = (await import(guardModule)).guardPausedEnd(agent);

let at = 0;
process.on('uncaughtException', (err) => {
  const where = /client-h1\.js:\d+/.exec(err.stack ?? '')?.[0] ?? '';
  process.stdout.write(`${JSON.stringify({ crash: { at, code: err.code, where, message: err.message.split('\n')[0] } })}\n`);
  process.exit(3);
});

const pause = () => new Promise((r) => (Number(slowMs) > 0 ? setTimeout(r, Number(slowMs)) : setImmediate(r)));
const outcomes = {};
for (at = 0; at < Number(n); at++) {
  let outcome;
  try {
    const res = await request(url, { dispatcher: agent, highWaterMark: 1024 });
    await new Promise((r) => setTimeout(r, 5));
    let got = 0;
    for await (const chunk of res.body) {
      got += chunk.length;
      await pause();
    }
    outcome = `ok ${got}`;
  } catch (err) {
    outcome = `error ${err.code ?? err.name}`;
  }
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
}
await agent.close();
process.stdout.write(`${JSON.stringify({ outcomes })}\n`);
