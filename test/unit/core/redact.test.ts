import { describe, expect, it } from 'vitest';
import { hasUserInfo, maskSecret, redact, redactText } from '../../../src/core/redact.js';

const PASSWORDS = ['Zq7Kx"Wm3Pv', 'Zq7Kx@Wm3Pv', 'Zq7Kx/Wm3Pv', 'Zq7Kx Wm3Pv', '4242/Zq7KxWm3Pv', 'Zq7Kx:Wm3Pv'];
const leaks = (s: string) => /Zq7Kx|Wm3Pv/.test(s);

describe('redact', () => {
  for (const pw of PASSWORDS) {
    it(`masks user-info holding ${JSON.stringify(pw)} in URLs and scheme-less references`, () => {
      for (const v of [
        `http://alice:${pw}@127.0.0.1:5000/v2/`,
        `https://alice:${pw}@host/prefix`,
        `alice:${pw}@host:5000/prefix`,
        `alice:${pw}@host/repo:1@sha256:${'a'.repeat(64)}`,
      ]) {
        const r = redact(v);
        expect(leaks(r), `${v} → ${r}`).toBe(false);
        expect(r).toContain('***@');
        expect(hasUserInfo(v)).toBe(true);
      }
    });
  }

  it('keeps what is not a secret: hosts, paths, digests; drops queries', () => {
    expect(redact('https://alice:pw@registry.example:5000/v2/x/blobs/uploads/1?_state=abc')).toBe(
      'https://***@registry.example:5000/v2/x/blobs/uploads/1?…',
    );
    expect(redact('http://127.0.0.1:5000/v2/')).toBe('http://127.0.0.1:5000/v2/');
    const ref = `docker.io/library/nginx:1.25@sha256:${'b'.repeat(64)}`;
    expect(redact(ref)).toBe(ref);
    expect(hasUserInfo(ref)).toBe(false);
    expect(redact('host:5000/prefix')).toBe('host:5000/prefix');
    expect(redact(`u:p@host/x@sha256:${'c'.repeat(64)}`)).toBe(`***@host/x@sha256:${'c'.repeat(64)}`);
  });

  it('shows a URL with nothing to hide as it was written, not as the parser writes it back', () => {
    expect(redact('https://get.rke2.io')).toBe('https://get.rke2.io');
    expect(redact('HTTPS://GET.RKE2.IO:443')).toBe('HTTPS://GET.RKE2.IO:443');
    expect(redact('HTTPS://GET.RKE2.IO:443/x?token=abc#frag')).toBe('HTTPS://GET.RKE2.IO:443/x?…');
    expect(redact('https://h/a#frag')).toBe('https://h/a');
    // Not one printable line as written: the parser's form, which percent-encodes.
    expect(redact('https://h/a b')).toBe('https://h/a%20b');
  });

  it('masks an @ the URL parser took for a path (http://u:12/34@host parses as port 12)', () => {
    expect(redact('http://alice:4242/Zq7Kx@host/v2/')).toBe('http://***@host/v2/');
  });
});

describe('redactText', () => {
  it('masks every URL and name:secret@ in free text, but not a tag before a digest', () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const t = redactText(`GET http://alice:Zq7Kx@h/v2/ failed; --registry alice:Wm3Pv@h:5000/p; ref nginx:1.25@${digest}`);
    expect(leaks(t)).toBe(false);
    expect(t).toContain(`nginx:1.25@${digest}`);
  });

  it('masks known secrets as typed, URL-encoded and JSON-escaped', () => {
    for (const pw of PASSWORDS) {
      const text = `a ${pw} b ${encodeURIComponent(pw)} c ${JSON.stringify(pw)}`;
      expect(leaks(redactText(text, [pw])), redactText(text, [pw])).toBe(false);
    }
    expect(maskSecret('ab', 'a')).toBe('ab'); // too short to mask without masking everything
  });
});

describe('redactText keeps what is not a secret', () => {
  it('leaves URLs without user-info exactly as written, queries included', () => {
    const t = 'fetched https://example.org/f.tar.gz?version=2&x=1 and http://127.0.0.1:5000/v2/';
    expect(redactText(t)).toBe(t);
    expect(redactText('see https://bob:Zq7Kx@example.org/f?version=2')).toBe('see https://***@example.org/f?version=2');
  });
});

describe("redactText on ferry's own wording", () => {
  it('leaves "(user:password@)" in a message alone: no host follows the @', () => {
    const t = 'spec.files.3.url: URLs must not carry credentials (user:password@)';
    expect(redactText(t)).toBe(t);
  });
});
