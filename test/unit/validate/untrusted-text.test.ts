import { describe, expect, it } from 'vitest';
import { controlProblem, escapeText, oneLine, terminalSafe } from '../../../src/validate/untrusted-text.js';

describe('untrusted text', () => {
  it('finds control and bidi characters, and nothing in plain text', () => {
    expect(controlProblem('velero-v1.9.1-linux-amd64.tar.gz')).toBeUndefined();
    expect(controlProblem('tool x ~ é.tgz')).toBeUndefined();
    expect(controlProblem('a\nb')).toContain('U+000A');
    expect(controlProblem('a\u001b[31mb')).toContain('U+001B');
    expect(controlProblem('a\u009bb')).toContain('U+009B'); // C1 CSI
    expect(controlProblem('a\u202eb')).toContain('U+202E'); // right-to-left override
    expect(controlProblem('a\u2028b')).toContain('U+2028');
    expect(controlProblem('a\u007fb')).toContain('U+007F');
  });

  it('escapes to one visible line, backslashes doubled so the escape is unambiguous', () => {
    expect(escapeText('a\nb\r\tc\u001b[2J\u202e\\')).toBe('a\\nb\\r\\tc\\x1b[2J\\u202e\\\\');
    expect(escapeText('x'.repeat(300))).toHaveLength(201);
  });

  it('keeps line breaks for terminal output but shows every other control', () => {
    expect(terminalSafe('line one\nline \u001b]0;title\u0007two')).toBe('line one\nline \\x1b]0;title\\x07two');
  });

  it('refuses text for a line-oriented file with UNSAFE_VALUE', () => {
    expect(oneLine('notes.txt', 'file name')).toBe('notes.txt');
    expect(() => oneLine('notes.txt\n0000  injected', 'file name')).toThrow(
      expect.objectContaining({ code: 'UNSAFE_VALUE', message: expect.stringContaining('"notes.txt\\n0000  injected"') }),
    );
  });
});
