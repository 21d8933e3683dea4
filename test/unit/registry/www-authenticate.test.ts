import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from '../../../src/registry/www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('keeps commas and spaces inside quoted scope values', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a:pull,push repository:b:pull",error="insufficient_scope"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:a:pull,push repository:b:pull',
          error: 'insufficient_scope',
        },
      },
    ]);
  });

  it('reads Basic and several challenges in one header', () => {
    expect(parseWwwAuthenticate('Basic realm="ferry-test"')).toEqual([{ scheme: 'basic', params: { realm: 'ferry-test' } }]);
    expect(parseWwwAuthenticate('Basic realm="a", Bearer realm="https://t/token", service=reg').map((c) => [c.scheme, c.params])).toEqual([
      ['basic', { realm: 'a' }],
      ['bearer', { realm: 'https://t/token', service: 'reg' }],
    ]);
  });

  it('handles escapes and an empty header', () => {
    expect(parseWwwAuthenticate('Bearer realm="a\\"b"')[0]?.params.realm).toBe('a"b');
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
});
