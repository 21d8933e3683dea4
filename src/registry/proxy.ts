import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import type { Agent, buildConnector, Dispatcher, Pool } from 'undici';
import { AgentCtor, DispatcherBase, PoolCtor, ProxyAgentCtor } from './undici-lite.js';
import { explainProxyError, markProxyLeg } from './proxy-errors.js';
import { type ProxyServer, type ProxySettings, proxySettingsFromEnv } from './proxy-env.js';

export interface ProxyDispatcherOptions {
  /** Where the proxy variables are read (HTTPS_PROXY, NO_PROXY…: proxy-env.ts); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Told the password of every proxy URL, so that the CLI can keep it out of all output. */
  onSecret?: (secret: string) => void;
}

/** The dispatcher of a Transport, which also tells the trace which proxy a URL goes through. */
export interface RoutingDispatcher extends Dispatcher {
  /** `host:port` of the proxy a request to `url` goes through, or undefined when it goes direct. */
  proxyFor(url: string | URL): string | undefined;
}

/**
 * The dispatcher for every request ferry makes: undici's Agent with `options` when no proxy is configured, else a
 * router that picks, per origin, that Agent (NO_PROXY, or no proxy for the scheme) or a ProxyAgent built from the
 * same options. undici's own EnvHttpProxyAgent is not used because its NO_PROXY knows neither CIDR ranges nor
 * bracketed IPv6 entries (lib/dispatcher/env-http-proxy-agent.js), which curl and Go accept.
 *
 * Through a proxy, https:// targets are tunnelled with CONNECT and their TLS is ferry's (`options.connect`: --ca-file,
 * --insecure; undici's `requestTls`), and the same TLS options apply to an https:// proxy itself (`proxyTls`).
 * http:// targets are sent in absolute form (`GET http://host/path`, RFC 9112 §3.2.2) as curl does, not tunnelled:
 * proxies commonly allow CONNECT to port 443 only.
 */
export function createDispatcher(options: Agent.Options, opts: ProxyDispatcherOptions = {}): RoutingDispatcher {
  const settings = proxySettingsFromEnv(opts.env ?? process.env, opts.onSecret);
  const direct = new AgentCtor(options);
  if (!settings.http && !settings.https) return Object.assign(direct, { proxyFor: () => undefined });
  return new ProxyRouter(settings, direct, options);
}

class ProxyRouter extends DispatcherBase implements RoutingDispatcher {
  private readonly routes = new Map<ProxyServer, Dispatcher>();

  constructor(
    private readonly settings: ProxySettings,
    private readonly direct: Agent,
    options: Agent.Options,
  ) {
    super();
    for (const proxy of [settings.http, settings.https]) {
      if (proxy && !this.routes.has(proxy)) this.routes.set(proxy, proxyAgent(proxy, options, settings.noProxyVariable));
    }
  }

  private proxyOf(url: URL): ProxyServer | undefined {
    const proxy = url.protocol === 'https:' ? this.settings.https : url.protocol === 'http:' ? this.settings.http : undefined;
    return proxy && !this.settings.noProxy.bypasses(url) ? proxy : undefined;
  }

  proxyFor(url: string | URL): string | undefined {
    return this.proxyOf(typeof url === 'string' ? new URL(url) : url)?.where;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const proxy = this.proxyOf(new URL(String(options.origin)));
    return (proxy ? (this.routes.get(proxy) as Dispatcher) : this.direct).dispatch(options, handler);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = Promise.all([this.direct.close(), ...[...this.routes.values()].map((d) => d.close())]).then(() => undefined);
    if (!callback) return done;
    void done.then(callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const done = Promise.all([this.direct.destroy(err), ...[...this.routes.values()].map((d) => d.destroy(err))]).then(() => undefined);
    if (!callback) return done;
    void done.then(callback);
  }
}

/**
 * A ProxyAgent keeping the Agent's pool settings (connections, keep-alive, header and body timeouts): undici hands its
 * `factory` only `{ connect }` for the pool that speaks absolute form to the proxy, so the settings are put back there.
 * The connections to the proxy itself (`clientFactory`: every tunnel, and everything through an https:// proxy) go
 * through `toProxy`. Errors the proxy causes are explained (proxy-errors.ts) before any response has started.
 */
function proxyAgent(proxy: ProxyServer, options: Agent.Options, noProxy: string): Dispatcher {
  const { connect, factory: _factory, ...pool } = options;
  const tls: ConnectionOptions = typeof connect === 'object' && connect !== null ? (connect as ConnectionOptions) : {};
  const agent = new ProxyAgentCtor({
    ...pool,
    uri: proxy.uri,
    proxyTunnel: false,
    requestTls: tls,
    proxyTls: tls,
    factory: (origin, o) => new PoolCtor(origin, { ...pool, ...o }),
    clientFactory: (origin, o: Pool.Options) =>
      new PoolCtor(origin, { ...pool, ...o, ...(typeof o.connect === 'function' ? { connect: toProxy(o.connect) } : {}) }),
  });
  return agent.compose(
    (dispatch) => (opts, handler) =>
      dispatch(opts, new Explaining(handler, proxy, `${new URL(String(opts.origin)).origin}${opts.path ?? '/'}`, noProxy)),
  );
}

/**
 * A connection to the proxy: its failures marked, so that a TLS error of an https:// proxy is not reported as the
 * target's; and no IP address as TLS server name, which RFC 6066 §3 forbids and Node warns about on stderr (undici's
 * ProxyAgent passes the proxy's host name as it is; for direct connections undici drops an IP itself, getServerName).
 */
function toProxy(connect: buildConnector.connector): buildConnector.connector {
  return (options, callback) => {
    const { servername, ...rest } = options;
    const named = servername && isIP(servername) === 0 ? { ...rest, servername } : rest;
    connect(named, (...args) => (args[0] ? callback(markProxyLeg(args[0]), null) : callback(...args)));
  };
}

/** Passes everything through, and replaces an error that came before the response with its explanation. */
class Explaining implements Dispatcher.DispatchHandler {
  private started = false;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly proxy: ProxyServer,
    /** The request's URL, read before undici rewrites `opts.path` into absolute form for an http:// proxy. */
    private readonly target: string,
    private readonly noProxy: string,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }
  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.started = true;
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.inner.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.inner.onResponseError?.(
      controller,
      this.started ? error : explainProxyError(error, this.proxy, new URL(this.target), this.noProxy),
    );
  }
}
