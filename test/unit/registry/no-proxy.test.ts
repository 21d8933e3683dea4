import { describe, expect, it } from 'vitest';
import { parseNoProxy } from '../../../src/registry/no-proxy.js';

const direct = (noProxy: string, url: string) => parseNoProxy(noProxy).bypasses(url);

describe('NO_PROXY', () => {
  it('goes through the proxy for everything when unset or empty', () => {
    expect(parseNoProxy(undefined).bypasses('https://registry.corp/v2/')).toBe(false);
    expect(direct('', 'https://registry.corp/v2/')).toBe(false);
    expect(direct(' , ,', 'https://registry.corp/v2/')).toBe(false);
  });

  it('`*` sends everything direct, also among other entries', () => {
    expect(direct('*', 'https://anything.example/x')).toBe(true);
    expect(direct('*', 'http://10.1.2.3:5000/v2/')).toBe(true);
    expect(direct('foo.corp, *', 'http://[::1]:80/')).toBe(true);
  });

  it('a host name matches itself and the names under it, never a longer name that only ends the same', () => {
    expect(direct('example.com', 'https://example.com/')).toBe(true);
    expect(direct('example.com', 'https://registry.example.com/v2/')).toBe(true);
    expect(direct('example.com', 'https://a.b.example.com/')).toBe(true);
    expect(direct('example.com', 'https://badexample.com/')).toBe(false);
    expect(direct('example.com', 'https://example.com.evil.net/')).toBe(false);
    expect(direct('registry.example.com', 'https://example.com/')).toBe(false);
  });

  it('a leading dot (or `*.`) matches the domain itself and its subdomains, as curl reads it', () => {
    for (const entry of ['.example.com', '*.example.com']) {
      expect(direct(entry, 'https://example.com/')).toBe(true);
      expect(direct(entry, 'https://registry.example.com/')).toBe(true);
      expect(direct(entry, 'https://notexample.com/')).toBe(false);
    }
  });

  it('is case-insensitive, ignores a trailing dot, and splits on commas and any whitespace', () => {
    expect(direct('Example.COM', 'https://REGISTRY.example.com/')).toBe(true);
    expect(direct('example.com.', 'https://registry.example.com./')).toBe(true);
    const list = 'a.corp,b.corp  c.corp\td.corp\n, e.corp';
    for (const h of ['a', 'b', 'c', 'd', 'e']) expect(direct(list, `https://${h}.corp/`)).toBe(true);
    expect(direct(list, 'https://f.corp/')).toBe(false);
  });

  it('an entry with a port matches only that port, the scheme giving the port a URL leaves out', () => {
    expect(direct('registry.local:5000', 'http://registry.local:5000/v2/')).toBe(true);
    expect(direct('registry.local:5000', 'http://registry.local:5001/v2/')).toBe(false);
    expect(direct('registry.local:5000', 'https://registry.local/v2/')).toBe(false);
    expect(direct('registry.local:443', 'https://registry.local/v2/')).toBe(true);
    expect(direct('registry.local:80', 'http://registry.local/')).toBe(true);
    expect(direct('.corp:8443', 'https://a.corp:8443/')).toBe(true);
    expect(direct('.corp:8443', 'https://a.corp/')).toBe(false);
    expect(direct('127.0.0.1:5000', 'http://127.0.0.1:5000/v2/')).toBe(true);
    expect(direct('127.0.0.1:5000', 'http://127.0.0.1:5001/v2/')).toBe(false);
  });

  it('an IP literal matches that address only (no resolving: localhost does not cover 127.0.0.1)', () => {
    expect(direct('10.1.2.3', 'http://10.1.2.3:5000/')).toBe(true);
    expect(direct('10.1.2.3', 'http://10.1.2.30/')).toBe(false);
    expect(direct('localhost', 'http://127.0.0.1/')).toBe(false);
    expect(direct('127.0.0.1', 'http://localhost/')).toBe(false);
    // IPv6 written bare, bracketed, bracketed with a port, or in another spelling of the same address.
    expect(direct('::1', 'http://[::1]:8080/')).toBe(true);
    expect(direct('[::1]', 'http://[::1]/')).toBe(true);
    expect(direct('[::1]:5000', 'http://[::1]:5000/')).toBe(true);
    expect(direct('[::1]:5000', 'http://[::1]:5001/')).toBe(false);
    expect(direct('0:0:0:0:0:0:0:1', 'http://[::1]/')).toBe(true);
    expect(direct('fd00::1', 'http://[fd00::2]/')).toBe(false);
  });

  it('a CIDR range matches the IP literals inside it, IPv4 and IPv6', () => {
    expect(direct('10.0.0.0/8', 'https://10.200.3.4/')).toBe(true);
    expect(direct('10.0.0.0/8', 'https://11.0.0.1/')).toBe(false);
    expect(direct('192.168.1.0/24', 'http://192.168.1.255:5000/')).toBe(true);
    expect(direct('192.168.1.0/24', 'http://192.168.2.1/')).toBe(false);
    expect(direct('127.0.0.1/32', 'http://127.0.0.1:40000/')).toBe(true);
    expect(direct('0.0.0.0/0', 'http://203.0.113.9/')).toBe(true);
    expect(direct('::1/128', 'http://[::1]:5000/')).toBe(true);
    expect(direct('::1/128', 'http://[::2]/')).toBe(false);
    expect(direct('fd00::/8', 'https://[fd12:3456::1]/')).toBe(true);
    expect(direct('fd00::/8', 'https://[fe80::1]/')).toBe(false);
    // A range never matches a host name: nothing is resolved.
    expect(direct('10.0.0.0/8', 'https://registry.corp/')).toBe(false);
    // An IPv4 range does not match an IPv6 address, nor the other way round.
    expect(direct('0.0.0.0/0', 'http://[::1]/')).toBe(false);
    expect(direct('::/0', 'http://127.0.0.1/')).toBe(false);
  });

  it('skips entries that can match nothing instead of matching everything', () => {
    expect(direct('10.0.0.0/33', 'http://10.0.0.1/')).toBe(false);
    expect(direct('::/129', 'http://[::1]/')).toBe(false);
    expect(direct('host:0', 'http://host/')).toBe(false);
    expect(direct('.', 'http://host/')).toBe(false);
    expect(direct('a/b', 'http://a/')).toBe(false);
    expect(direct('10.0.0.0/33, host', 'http://host/')).toBe(true);
    expect(parseNoProxy('A.corp, 10.0.0.0/8').entries).toEqual(['a.corp', '10.0.0.0/8']);
  });
});
