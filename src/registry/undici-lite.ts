import type * as Undici from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import PoolClass from 'undici/lib/dispatcher/pool.js';
import ProxyAgentClass from 'undici/lib/dispatcher/proxy-agent.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';

/**
 * The parts of undici ferry uses — Agent, Pool, ProxyAgent, the Dispatcher base and `request` — loaded one by one.
 * undici's index loads all it has (fetch, WebSocket, EventSource, caches, mocks): most of the start-up of a short
 * command such as a repeated push (docs/performance.md "Repeated push"). What the index does with these is done here
 * the same way: the request API mixed into every dispatcher (a ProxyAgent's CONNECT goes through it), and
 * `request(url, opts)` as the index builds it from the URL.
 */
Object.assign(DispatcherClass.prototype, api);

export const AgentCtor: typeof Undici.Agent = AgentClass;
export const PoolCtor: typeof Undici.Pool = PoolClass;
export const ProxyAgentCtor: typeof Undici.ProxyAgent = ProxyAgentClass;
export const DispatcherBase: typeof Undici.Dispatcher = DispatcherClass;

export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Undici.Dispatcher.HttpMethod;
  dispatcher: Undici.Dispatcher;
};

/** undici's `request(url, opts)` for an absolute URL and an explicit dispatcher (the only way ferry calls it). */
export function request(url: string | URL, opts: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const u = new URL(url);
  const { dispatcher, ...rest } = opts;
  return api.request.call(dispatcher, {
    ...rest,
    origin: u.origin,
    path: u.search ? `${u.pathname}${u.search}` : u.pathname,
    method: opts.method ?? (opts.body ? 'PUT' : 'GET'),
  } as Undici.Dispatcher.RequestOptions);
}
