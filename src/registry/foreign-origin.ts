import type { Readable } from 'node:stream';
import { FerryError, isFerryError } from '../core/errors.js';
import type { Authenticator, CredentialLookup } from './authenticator.js';
import type { CredentialProvider } from './credentials.js';
import type { HttpResponse, Transport } from './transport.js';

/**
 * Requests answered on an origin other than the registry's: registry.k8s.io redirects manifests and blobs (307) to
 * Artifact Registry on another host, which answers 401 with a Bearer challenge of its own; an upload Location may
 * name another host. Such a host is a registry of its own as far as credentials go, as docker and containerd treat it
 * (containerd's authorizer looks credentials up by the host that sent the challenge): its challenge is answered for
 * ITS origin (Authenticator caches schemes and tokens per origin), with credentials looked up for ITS host only, or
 * anonymously when there are none. The registry's own password or token never goes there (distribution-spec:
 * clients MUST NOT forward Authorization headers across host boundaries; the transport drops it on the redirect).
 */
export interface ElsewhereRequest {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  scopes: string[];
  /** What is being fetched, for messages (`registry.k8s.io/pause:3.9`). */
  what: string;
}

export interface ElsewhereDeps {
  transport: Transport;
  auth: Authenticator;
  credentials: CredentialProvider;
}

/** Why the other host did not let ferry in, and what to do: the caller words the one line. */
export type Refusal = (why: string, target: URL) => FerryError;

/**
 * Sends `req` to `url` on another origin than `home` (the registry's) with that origin's own Authorization (none
 * until it asks), answering one 401 challenge. `first` is a 401 already received from there (a redirect's target),
 * which is answered without sending the request again first.
 */
export async function sendElsewhere(
  deps: ElsewhereDeps,
  req: ElsewhereRequest,
  url: string,
  home: string,
  refused: Refusal,
  first?: HttpResponse,
): Promise<HttpResponse> {
  const target = new URL(url);
  const { origin, host } = target;
  // An HTTPS registry sending ferry on to plain HTTP: no credentials go there in clear (the user asked for TLS), as
  // for a token realm on plain HTTP (authenticator.ts); an anonymous token request carries nothing and still goes.
  const cleartext = new URL(home).protocol === 'https:' && target.protocol !== 'https:';
  let found: ReturnType<CredentialProvider> | undefined;
  // Only the target's own credentials: the provider is asked for this host, with no fallback to the registry's name.
  const creds: CredentialLookup = () => (found ??= cleartext ? Promise.resolve(undefined) : deps.credentials(host));
  const replayable = req.body === undefined || Buffer.isBuffer(req.body);
  const send = (authorization: string | undefined) =>
    deps.transport.send({
      method: req.method,
      url,
      headers: { ...(req.headers ?? {}), ...(authorization ? { authorization } : {}) },
      ...(req.body !== undefined ? { body: req.body } : {}),
    });

  // Authenticator failures (a token request refused, a Basic challenge with no credentials) become one refusal.
  const authorising = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (err) {
      if (!isFerryError(err, 'AUTH_FAILED')) throw err;
      throw refused(cleartext ? CLEARTEXT : await refusalReason(creds, err.message, req.what), target);
    }
  };

  let res = first;
  // A scheme learnt from an earlier request to this origin: its cached token (or Basic) goes up front.
  const known = first === undefined || replayable ? await authorising(() => deps.auth.header(origin, req.scopes, creds)) : undefined;
  if (res === undefined || known !== undefined) {
    if (res) await res.body.dump();
    res = await send(known);
    if (res.status !== 401) return res;
  }
  await res.body.dump();
  if (!replayable) throw refused('it asks for credentials, and the request body cannot be sent a second time', target);
  const challenge = res.headers['www-authenticate'];
  res = await send(await authorising(() => deps.auth.challenge(origin, challenge, req.scopes, creds, req.what)));
  if (res.status === 401) {
    await res.body.dump();
    throw refused(
      cleartext ? CLEARTEXT : (await creds()) ? 'it rejected the credentials configured for it (HTTP 401)' : NO_CREDENTIALS,
      target,
    );
  }
  return res;
}

const NO_CREDENTIALS = 'it asks for credentials and none are configured for it (anonymous access is refused)';
export const CLEARTEXT =
  'it asks for credentials over plain HTTP, and ferry sends none in clear to a host an HTTPS registry sent it to (a misconfiguration of the registry: its redirects must stay on https://)';

/** The Authenticator's reason, worded for a host that is not the registry the user named. */
async function refusalReason(creds: CredentialLookup, message: string, what: string): Promise<string> {
  if (/offered no usable challenge/.test(message)) return 'it answered 401 with no challenge ferry can answer';
  if (!(await creds())) return NO_CREDENTIALS;
  return message.startsWith(`${what}: `) ? message.slice(what.length + 2) : message;
}

/** How to give a host its own credentials, for the messages above. */
export const loginHint = (host: string): string => `run \`docker login ${host}\` (or add an auths entry for ${host} to the Docker config)`;

/** The one line for a redirect target that refused: the registry, the target host, why, and how to give it credentials. */
export function redirectRefusal(what: string, home: string): Refusal {
  return (why, { host }) =>
    new FerryError(
      'AUTH_FAILED',
      `${what}: ${home} redirected the request to ${host}, which refused it: ${why}${why === CLEARTEXT ? '' : `. ferry sends ${host} only credentials of its own, never ${home}'s: ${loginHint(host)}`}`,
      {
        registry: home,
        target: host,
      },
    );
}

/** The line for a URL the registry named on another origin (an upload Location, a next-page link) that refused. */
export function elsewhereRefusal(what: string, registry: string, home: string): Refusal {
  return (why, { host, origin }) =>
    new FerryError(
      'AUTH_FAILED',
      `${what}: the registry sent the request to ${origin}, another origin than its own ${home}, which refused it: ${why}. ferry never sends the registry's credentials there (distribution-spec: Authorization is never forwarded to another host). Configure the registry to name its own public URL in Location (distribution: http.host, or X-Forwarded-Proto/Host at the proxy)${why === CLEARTEXT ? '' : `, or, if ${host} is meant to take it, ${loginHint(host)}`}`,
      { registry, origin },
    );
}
