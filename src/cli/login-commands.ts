import { type Command, Option } from 'commander';
import { FerryError, isFerryError } from '../core/errors.js';
import type { ConnectionFlags } from './connection-flags.js';
import { type GlobalFlags, openSession } from './output.js';

/**
 * `ferry registry login HOST -u USER --password-stdin` and `ferry registry logout HOST`, the way `docker login` and
 * `docker logout` work: the password is checked against the registry first (GET /v2/ with it alone, Basic or Bearer),
 * then stored where docker keeps it (registry/credential-store.ts), so every later command — and docker, skopeo,
 * crane — finds it.
 */
export function registerLoginCommands(registry: Command, program: Command): void {
  registry
    .command('login')
    .description(
      'check a user and password against a registry, then store them as `docker login` does (credential helper, else ~/.docker/config.json)',
    )
    .argument('<host>', 'registry HOST[:PORT] (http://HOST for plain HTTP; docker.io for Docker Hub)')
    .requiredOption('-u, --username <user>', 'registry user')
    .option('--password-stdin', 'read the password from standard input')
    .addOption(new Option('--ca-file <file>', 'trust this CA bundle (PEM) for registry TLS'))
    .addOption(new Option('--insecure', 'skip TLS certificate verification'))
    .addOption(new Option('--plain-http', 'talk plain HTTP to the registry'))
    .action(async (value: string, o: ConnectionFlags & { username: string; passwordStdin?: boolean }) => {
      const { parseLoginHost, storeLogin } = await import('../registry/credential-store.js');
      const { staticCredentials } = await import('../registry/credentials.js');
      const { buildRegistryClient } = await import('./context.js');
      const { connectionFor, loginFrom } = await import('./connection-flags.js');
      const s = openSession(program.opts<GlobalFlags>());
      const target = parseLoginHost(value);
      const host = target.host;
      const connection = connectionFor({ registry: host, ...(target.scheme ? { scheme: target.scheme } : {}) }, o);
      const login = await loginFrom(host, o.username, o.passwordStdin);
      if (!login) throw new FerryError('USAGE', 'registry login needs --username');
      let asked = false;
      const given = staticCredentials(login.host, login.username, login.password);
      const client = buildRegistryClient(connection, s.renderer.sink, undefined, undefined, s.signal, {
        credentials: async (h) => {
          asked = true;
          return given(h);
        },
      });
      try {
        await client.ping(host);
      } catch (err) {
        if (isFerryError(err, 'AUTH_FAILED')) throw new FerryError('AUTH_FAILED', `${err.message}; nothing was stored`, err.details);
        throw err;
      } finally {
        await client.close();
      }
      const stored = await storeLogin(host, login.username, login.password, { signal: s.signal });
      if (!stored.helper) {
        s.renderer.sink({
          type: 'warning',
          message: `the password is stored unencrypted (base64) in ${stored.config}: configure a credential helper (credsStore) to keep it elsewhere`,
        });
      }
      const where = stored.helper ? `${stored.helper}; ${stored.config} records the login` : stored.config;
      const unasked = asked ? '' : '; the registry did not ask for credentials, so they were not checked';
      s.done(
        {
          ok: true,
          registry: host,
          server: stored.server,
          username: login.username,
          storedIn: stored.helper ?? stored.config,
          config: stored.config,
          checked: asked,
        },
        `logged in to ${host} as ${login.username} (stored in ${where})${unasked}`,
      );
    });

  registry
    .command('logout')
    .description('remove the stored credentials for a registry (from its credential helper and ~/.docker/config.json)')
    .argument('<host>', 'registry HOST[:PORT] (docker.io for Docker Hub)')
    .action(async (value: string) => {
      const { parseLoginHost, removeLogin } = await import('../registry/credential-store.js');
      const s = openSession(program.opts<GlobalFlags>());
      const { host } = parseLoginHost(value);
      const r = await removeLogin(host, { signal: s.signal });
      const from = [...(r.erased && r.helper ? [r.helper] : []), ...(r.removedKeys.length > 0 ? [r.config] : [])];
      const searched = [...(r.helper ? [r.helper] : []), r.config].join(' or ');
      const lines = [
        r.loggedIn
          ? `logged out of ${host} (removed from ${from.join(' and ')})`
          : `not logged in to ${host} (nothing stored for it in ${searched})`,
      ];
      for (const path of r.elsewhere)
        lines.push(`note: ${path} (podman/skopeo's auth file) still holds credentials for ${host}: \`podman logout ${host}\` removes them`);
      s.done(
        { ok: true, registry: host, server: r.server, loggedIn: r.loggedIn, removedFrom: from, elsewhere: r.elsewhere },
        lines.join('\n'),
      );
    });
}
