import { describe, expect, it } from 'vitest';
import { Mirrors, parseMirrorFlag } from '../../../src/config/mirrors.js';
import { comparableUrl, sameUrl } from '../../../src/core/url-form.js';

const rewrite = (rule: string, url: string) => new Mirrors([parseMirrorFlag(rule)]).rewriteUrl(url);

describe('URL prefixes are compared as URLs', () => {
  it('a rule written https://get.rke2.io/ covers the default install-script URL https://get.rke2.io', () => {
    expect(rewrite('https://get.rke2.io/=http://127.0.0.1:8080/', 'https://get.rke2.io')).toBe('http://127.0.0.1:8080/');
    // The resource FROM names itself goes to TO exactly as written: a mirrored install.sh is a file.
    expect(rewrite('https://get.rke2.io/=http://127.0.0.1:8080/rke2/install.sh', 'https://get.rke2.io')).toBe(
      'http://127.0.0.1:8080/rke2/install.sh',
    );
    expect(rewrite('https://get.rke2.io=http://127.0.0.1:8080/rke2/install.sh', 'https://get.rke2.io/')).toBe(
      'http://127.0.0.1:8080/rke2/install.sh',
    );
  });

  it('scheme and host case do not matter, on either side; the path keeps its case', () => {
    expect(rewrite('HTTPS://GET.RKE2.IO=http://m/i.sh', 'https://get.rke2.io')).toBe('http://m/i.sh');
    expect(rewrite('https://get.rke2.io=http://m/i.sh', 'HTTPS://Get.Rke2.IO')).toBe('http://m/i.sh');
    expect(rewrite('https://GitHub.com/=http://m/gh/', 'https://github.COM/Rancher/x')).toBe('http://m/gh/Rancher/x');
    expect(rewrite('https://github.com/rancher/=http://m/r/', 'https://github.com/Rancher/x')).toBe('https://github.com/Rancher/x');
  });

  it('default ports are the same URL as none; another port is another origin', () => {
    expect(rewrite('HTTPS://GET.RKE2.IO:443=http://m/i.sh', 'https://get.rke2.io')).toBe('http://m/i.sh');
    expect(rewrite('https://get.rke2.io=http://m/i.sh', 'https://get.rke2.io:443/')).toBe('http://m/i.sh');
    expect(rewrite('http://e.org:80/files=http://m/e', 'http://e.org/files/a')).toBe('http://m/e/a');
    expect(rewrite('https://e.org:8443/=http://m/', 'https://e.org/a')).toBe('https://e.org/a');
    expect(rewrite('https://e.org/=http://m/', 'https://e.org:8443/a')).toBe('https://e.org:8443/a');
    expect(rewrite('http://e.org/=http://m/', 'https://e.org/a')).toBe('https://e.org/a');
  });

  it('an empty path is /, and a trailing slash on either side does not change what a prefix covers', () => {
    for (const from of ['https://e.org', 'https://e.org/']) {
      expect(rewrite(`${from}=http://m/x`, 'https://e.org')).toBe('http://m/x');
      expect(rewrite(`${from}=http://m/x`, 'https://e.org/')).toBe('http://m/x');
      expect(rewrite(`${from}=http://m/x/`, 'https://e.org/a/b')).toBe('http://m/x/a/b');
      expect(rewrite(`${from}=http://m/x`, 'https://e.org/a/b')).toBe('http://m/x/a/b');
    }
    for (const from of ['https://h/a', 'https://h/a/']) {
      expect(rewrite(`${from}=http://m/b`, 'https://h/a')).toBe('http://m/b');
      expect(rewrite(`${from}=http://m/b`, 'https://h/a/')).toBe('http://m/b/');
      expect(rewrite(`${from}=http://m/b/`, 'https://h/a/c')).toBe('http://m/b/c');
    }
  });

  it('keeps the boundary: a prefix ends at /, ? or # (or the end), never inside a host or a path segment', () => {
    expect(rewrite('https://github.com=http://m/gh', 'https://github.com/x')).toBe('http://m/gh/x');
    expect(rewrite('https://github.com=http://m/gh', 'https://github.com.example.org/x')).toBe('https://github.com.example.org/x');
    expect(rewrite('https://github.com/=http://m/gh', 'https://github.com.example.org/x')).toBe('https://github.com.example.org/x');
    expect(rewrite('https://h/a=http://m/b', 'https://h/a/b')).toBe('http://m/b/b');
    expect(rewrite('https://h/a=http://m/b', 'https://h/ab')).toBe('https://h/ab');
    expect(rewrite('https://h/a/=http://m/b', 'https://h/ab')).toBe('https://h/ab');
  });

  it('a query follows the resource it belongs to', () => {
    expect(rewrite('https://h/a=http://m/b', 'https://h/a?x=1')).toBe('http://m/b?x=1');
    expect(rewrite('https://h/a/=http://m/b', 'https://h/a/c?x=1')).toBe('http://m/b/c?x=1');
    expect(rewrite('https://get.rke2.io=http://m/i.sh', 'https://get.rke2.io?channel=stable')).toBe('http://m/i.sh?channel=stable');
    expect(rewrite('https://get.rke2.io=http://m/i.sh', 'https://get.rke2.io/?channel=stable')).toBe('http://m/i.sh?channel=stable');
  });

  it('percent-encoding as WHATWG URL writes it: what must be encoded is, escapes are not decoded', () => {
    expect(rewrite('https://h/a b/=http://m/s/', 'https://h/a%20b/c')).toBe('http://m/s/c');
    expect(rewrite('https://h/a%20b/=http://m/s/', 'https://h/a b/c')).toBe('http://m/s/c');
    expect(rewrite('https://h/ä/=http://m/s/', 'https://h/%C3%A4/c')).toBe('http://m/s/c');
    // The tail goes on normalised too, as undici would send it.
    expect(rewrite('https://h/=http://m/', 'https://h/x y')).toBe('http://m/x%20y');
    // WHATWG keeps %7E and ~ apart, so they are different paths here too.
    expect(rewrite('https://h/~u/=http://m/u/', 'https://h/%7Eu/c')).toBe('https://h/%7Eu/c');
  });

  it('the same URL written two ways is one FROM: the later rule replaces the earlier', () => {
    const m = new Mirrors([
      ['https://get.rke2.io', 'http://a/i.sh'],
      ['HTTPS://GET.RKE2.IO:443/', 'http://b/i.sh'],
    ]);
    expect(m.rewriteUrl('https://get.rke2.io')).toBe('http://b/i.sh');
  });

  it('sameUrl and comparableUrl', () => {
    expect(comparableUrl('HTTPS://GET.RKE2.IO:443/')).toBe('https://get.rke2.io');
    expect(comparableUrl('https://get.rke2.io/?q')).toBe('https://get.rke2.io?q');
    expect(comparableUrl('https://h/a/')).toBe('https://h/a/');
    expect(sameUrl('https://get.rke2.io', 'HTTPS://get.rke2.io:443/')).toBe(true);
    expect(sameUrl('https://h/a', 'https://h/a/')).toBe(false);
    expect(sameUrl('https://h/a', 'http://h/a')).toBe(false);
    expect(sameUrl('oci://Reg.example/charts', 'oci://reg.example/charts')).toBe(false);
    expect(comparableUrl('not a url')).toBe('not a url');
  });
});
