// The undici modules registry/undici-lite.ts loads one by one (undici 7 ships no types for them): each is what the
// package's index re-exports under the same name.
declare module 'undici/lib/dispatcher/agent.js' {
  const Agent: typeof import('undici').Agent;
  export default Agent;
}
declare module 'undici/lib/dispatcher/pool.js' {
  const Pool: typeof import('undici').Pool;
  export default Pool;
}
declare module 'undici/lib/dispatcher/proxy-agent.js' {
  const ProxyAgent: typeof import('undici').ProxyAgent;
  export default ProxyAgent;
}
declare module 'undici/lib/dispatcher/dispatcher.js' {
  const Dispatcher: typeof import('undici').Dispatcher;
  export default Dispatcher;
}
declare module 'undici/lib/api/index.js' {
  const api: Record<string, (this: import('undici').Dispatcher, ...args: never[]) => unknown> & {
    request(
      this: import('undici').Dispatcher,
      opts: import('undici').Dispatcher.RequestOptions,
    ): Promise<import('undici').Dispatcher.ResponseData>;
  };
  export default api;
}
