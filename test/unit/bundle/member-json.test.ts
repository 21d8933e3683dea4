import { describe, expect, it } from 'vitest';
import { parseMemberJson } from '../../../src/bundle/member-json.js';
import { parseArchiveToc } from '../../../src/docker-archive/image-toc.js';

describe('parseMemberJson: JSON from inside a bundle', () => {
  it('returns an object', () => {
    expect(parseMemberJson(Buffer.from('{"a":1}'), 'index.json')).toEqual({ a: 1 });
  });

  it.each([
    ['{"a":', /index\.json is not valid JSON/],
    ['null', /index\.json is not a JSON object \(it is null\)/],
    ['[1]', /not a JSON object \(it is an array\)/],
    ['"x"', /not a JSON object \(it is a string\)/],
    ['\u00ff', /not valid JSON/],
  ])('refuses %j with INTEGRITY_FAILED (exit 3) naming the member and the bundle', (body, msg) => {
    expect(() => parseMemberJson(Buffer.from(body), 'index.json', '/b.tar')).toThrow(
      expect.objectContaining({
        code: 'INTEGRITY_FAILED',
        message: expect.stringMatching(msg),
        details: { member: 'index.json', path: '/b.tar' },
      }),
    );
    expect(() => parseMemberJson(Buffer.from(body), 'index.json')).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^index\.json/) }),
    );
  });

  it('a table of contents that is broken or of the wrong shape is damage naming its blob', () => {
    const member = `blobs/sha256/${'a'.repeat(64)}`;
    expect(() => parseArchiveToc(Buffer.from('{'), member)).toThrow(
      expect.objectContaining({ code: 'INTEGRITY_FAILED', message: expect.stringContaining(member) }),
    );
    expect(() => parseArchiveToc(Buffer.from('{"tocVersion":2}'), member)).toThrow(
      expect.objectContaining({ code: 'INTEGRITY_FAILED', message: expect.stringMatching(/tocVersion/) }),
    );
  });
});
