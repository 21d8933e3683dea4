// Preloaded with `node --import` to record every module a process loads: one resolved URL per line in the file
// FERRY_MODULE_TRACE names. Hooks run on their own thread, so they write the file themselves.
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.FERRY_MODULE_TRACE, r.url + '\\n');
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
