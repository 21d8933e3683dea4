import { describe, expect, it } from 'vitest';
import { redactForTrace } from '../../../src/core/redact.js';

describe('redactForTrace: URLs for the --debug trace', () => {
  it('keeps the distribution API and token-request parameters, masks every other value', () => {
    expect(redactForTrace('http://reg:5000/token?service=reg&scope=repository:acme/app:pull,push&scope=repository:b:pull')).toBe(
      'http://reg:5000/token?service=reg&scope=repository:acme/app:pull,push&scope=repository:b:pull',
    );
    expect(redactForTrace('http://reg/v2/a/blobs/uploads/1f?_state=c2VjcmV0&digest=sha256:abc')).toBe(
      'http://reg/v2/a/blobs/uploads/1f?_state=***&digest=sha256:abc',
    );
    expect(redactForTrace('http://reg/v2/a/blobs/uploads/?mount=sha256:abc&from=b/c')).toBe(
      'http://reg/v2/a/blobs/uploads/?mount=sha256:abc&from=b/c',
    );
    expect(redactForTrace('https://s3.example/bucket/blob?X-Amz-Credential=AKIA%2Fx&X-Amz-Signature=deadbeef&access_token=tok')).toBe(
      'https://s3.example/bucket/blob?X-Amz-Credential=***&X-Amz-Signature=***&access_token=***',
    );
  });

  it('masks user-info, a key that is not a parameter name, and drops the fragment', () => {
    expect(redactForTrace('https://user:s3cret@reg/v2/?n=1#frag')).toBe('https://***@reg/v2/?n=1');
    expect(redactForTrace('https://reg/x?eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig')).toBe('https://reg/x?***');
    expect(redactForTrace('https://reg/x?a%20b=1')).toBe('https://reg/x?***');
  });

  it('what no URL parser reads as user-info is masked by the text rule', () => {
    const out = redactForTrace('http://u:p@ss/w@reg/v2/');
    expect(out).not.toContain('p@ss');
    expect(out).toContain('***@');
    expect(redactForTrace('not a url user:pw@host')).not.toContain('pw');
  });
});
