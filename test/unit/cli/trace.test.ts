import { describe, expect, it } from 'vitest';
import { formatHttp } from '../../../src/cli/trace.js';

describe('formatHttp: one line of the --debug trace', () => {
  it('method, URL, status, time and bytes: received for GET, sent for uploads, the announced size for HEAD', () => {
    expect(formatHttp({ type: 'http', method: 'GET', url: 'http://r/v2/a/blobs/sha256:1', status: 200, ms: 12, bytes: 30207 })).toBe(
      'http: GET http://r/v2/a/blobs/sha256:1 → 200 in 12 ms, 30207 bytes',
    );
    expect(formatHttp({ type: 'http', method: 'PUT', url: 'http://r/u?_state=***', status: 201, ms: 40, sent: 403, bytes: 0 })).toBe(
      'http: PUT http://r/u?_state=*** → 201 in 40 ms, sent 403 bytes',
    );
    expect(formatHttp({ type: 'http', method: 'HEAD', url: 'http://r/b', status: 200, ms: 3, bytes: 99 })).toBe(
      'http: HEAD http://r/b → 200 in 3 ms, content-length 99',
    );
    expect(formatHttp({ type: 'http', method: 'POST', url: 'http://r/u/', status: 202, ms: 7, sent: 0 })).toBe(
      'http: POST http://r/u/ → 202 in 7 ms',
    );
  });

  it('a request that got no answer names the error code', () => {
    expect(formatHttp({ type: 'http', method: 'GET', url: 'https://r/v2/', ms: 1, error: 'ECONNREFUSED' })).toBe(
      'http: GET https://r/v2/ → ECONNREFUSED after 1 ms',
    );
  });

  it('a request through a proxy names the proxy by host:port', () => {
    expect(formatHttp({ type: 'http', method: 'GET', url: 'https://r/v2/', status: 200, ms: 5, bytes: 2, proxy: 'proxy.corp:3128' })).toBe(
      'http: GET https://r/v2/ → 200 in 5 ms, 2 bytes, via proxy proxy.corp:3128',
    );
    expect(formatHttp({ type: 'http', method: 'GET', url: 'https://r/v2/', ms: 1, error: 'ECONNREFUSED', proxy: 'proxy.corp:3128' })).toBe(
      'http: GET https://r/v2/ → ECONNREFUSED after 1 ms, via proxy proxy.corp:3128',
    );
  });
});
