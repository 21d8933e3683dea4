import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/config-file.js';
import { Mirrors } from '../../../src/config/mirrors.js';

describe('config file', () => {
  it('reads mirror rules in file order, registry hosts normalised and URL prefixes as written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-cfg-'));
    const path = join(dir, 'ferry.yaml');
    writeFileSync(path, 'mirrors:\n  docker.io: http://127.0.0.1:5001/\n  "https://github.com/": "http://127.0.0.1:8080/gh"\n');
    const cfg = await loadConfig(path);
    expect(cfg.mirrors).toEqual([
      ['docker.io', 'http://127.0.0.1:5001'],
      ['https://github.com/', 'http://127.0.0.1:8080/gh'],
    ]);
    const m = new Mirrors([...cfg.mirrors, ['docker.io', 'http://127.0.0.1:6000']]);
    expect(m.endpointFor('docker.io')).toBe('http://127.0.0.1:6000');
    expect(m.rewriteUrl('https://github.com/a/b')).toBe('http://127.0.0.1:8080/gh/a/b');
  });

  it('accepts an empty file and an empty mirrors key', () => {
    expect(parseConfig('', 'c.yaml')).toEqual({ mirrors: [] });
    expect(parseConfig('mirrors:\n  # none yet\n', 'c.yaml')).toEqual({ mirrors: [] });
  });

  it('refuses unknown keys, bad values and bad rules with file:line:col', () => {
    const err = (text: string) => {
      try {
        parseConfig(text, 'c.yaml');
      } catch (e) {
        expect(e).toMatchObject({ code: 'USAGE' });
        return (e as { details: { problems: string[] } }).details.problems;
      }
      throw new Error('expected the config to be rejected');
    };
    expect(err('mirror:\n  docker.io: x\n')).toEqual(['c.yaml:1:1: mirror: unknown key "mirror"']);
    expect(err('mirrors:\n  docker.io: 5000\n')).toEqual([
      'c.yaml:2:14: mirrors.docker.io: expected a string, got a number (put it in quotes)',
    ]);
    expect(err('mirrors:\n  docker.io: ftp://x\n  "127.0.0.1:5000": http://me:pw@h\n')).toEqual([
      'c.yaml:2:14: mirrors.docker.io: TO must be an http:// or https:// URL, not ftp://',
      expect.stringMatching(
        /^c\.yaml:3:21: mirrors\.127\.0\.0\.1:5000: credentials \(a user and password before "@"\) do not belong in a mirror rule; log in with `docker login HOST`/,
      ),
    ]);
    expect(err('mirrors: [a]\n')).toEqual(['c.yaml:1:10: mirrors: expected a mapping, got a list']);
    expect(err('mirrors:\n  a: b\n  a: c\n')[0]).toMatch(/^c\.yaml:3:3: YAML syntax: Map keys must be unique/);
  });

  it('reports a missing file as a usage error naming it', async () => {
    await expect(loadConfig('/nonexistent/ferry.yaml')).rejects.toThrowError(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('/nonexistent/ferry.yaml') }),
    );
  });
});
