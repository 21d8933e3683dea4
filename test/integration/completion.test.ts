import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPty } from '../helpers/pty.js';
import { requireTools } from '../helpers/tools.js';
import { run, scratch } from './ferry-env.js';

const ok = requireTools('bash', 'zsh', 'fish', 'tmux');
const ferry = join(process.cwd(), 'bin', 'ferry');

/** Runs a completion the way bash does (COMP_WORDS / COMP_CWORD, then the function `complete -p` names). */
function bashComplete(words: string[]): string[] {
  const script = `source <(${ferry} completion bash)
fn=$(complete -p ferry | sed -n 's/.*-F \\([^ ]*\\) ferry$/\\1/p')
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}
"$fn"; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', script], { encoding: 'utf8', cwd: scratch() }).split('\n').filter(Boolean);
}

describe.runIf(ok)('ferry completion bash|zsh|fish', () => {
  it('bash: the script registers a completion function for ferry', () => {
    const out = execFileSync('bash', ['-c', `source <(${ferry} completion bash); complete -p ferry`], { encoding: 'utf8' });
    expect(out.trim()).toBe('complete -F _ferry ferry');
  });

  it('bash: completes subcommands, flags of the command typed (with the global ones), and fixed values', () => {
    expect(bashComplete(['ferry', 'bundle', 'p'])).toEqual(['pull', 'push']);
    expect(bashComplete(['ferry', ''])).toEqual(['bundle', 'chart', 'key', 'registry', 'version', 'completion']);
    const pullFlags = bashComplete(['ferry', 'bundle', 'pull', '-']);
    expect(pullFlags).toEqual(
      expect.arrayContaining(['-o', '--output', '--lock', '--platform', '--json', '--no-progress', '-v', '--verbose', '--debug', '--help']),
    );
    expect(pullFlags).not.toContain('--registry');
    expect(bashComplete(['ferry', 'bundle', 'push', '--re'])).toEqual(['--registry', '--require-signature', '--report']);
    expect(bashComplete(['ferry', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(bashComplete(['ferry', 'registry', ''])).toEqual(['inventory', 'login', 'logout']);
    expect(bashComplete(['ferry', 'registry', 'login', '--pa'])).toEqual(['--password-stdin']);
    // Global flags before the command, and a flag's value, do not lose the command path.
    expect(bashComplete(['ferry', '--json', 'bundle', 'v'])).toEqual(['verify']);
    expect(bashComplete(['ferry', 'bundle', 'pull', '-o', 'bundle', '--s'])).toEqual(['--sign-key', '--split', '--since']);
  });

  it('bash: file names for file arguments and file-valued flags, nothing for a number', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'bundle.yaml'), '');
    const inDir = (words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source <(${ferry} completion bash); COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _ferry; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8', cwd: dir },
      ).trim();
    expect(inDir(['ferry', 'bundle', 'pull', 'bun'])).toBe('bundle.yaml');
    expect(inDir(['ferry', 'bundle', 'pull', 'x', '--lock', 'bun'])).toBe('bundle.yaml');
    expect(inDir(['ferry', 'bundle', 'pull', 'x', '--concurrency', ''])).toBe('');
  });

  it('bash on a terminal: Tab after `ferry bundle p` offers pull and push, and `ferry bundle pul` plus Tab completes to pull', async () => {
    const dir = scratch();
    const rc = join(dir, 'rc');
    writeFileSync(rc, `PS1='$ '\nPATH=${join(process.cwd(), 'bin')}:$PATH\nsource <(ferry completion bash)\n`);
    const pty = openPty(`bash --noprofile --rcfile ${rc} -i`, { cwd: dir });
    try {
      await pty.waitFor(/^\$ $/m);
      pty.keys('ferry bundle p', true);
      pty.keys('Tab'); // the common prefix of pull and push
      await pty.waitFor(/^\$ ferry bundle pu$/m);
      pty.keys('Tab');
      pty.keys('Tab'); // ambiguous: the second Tab lists them
      await pty.waitFor(/^pull\s+push\s*$/m);
      pty.keys('C-u');
      pty.keys('ferry bundle pul', true);
      pty.keys('Tab');
      await pty.waitFor(/^\$ ferry bundle pull $/m);
    } finally {
      pty.close();
    }
  });

  it('zsh: the script parses, and its function offers the subcommands of `ferry bundle`', () => {
    const dir = scratch();
    const file = join(dir, '_ferry');
    writeFileSync(file, execFileSync(ferry, ['completion', 'zsh'], { encoding: 'utf8' }));
    execFileSync('zsh', ['-n', file]);
    // Outside the completion system: _describe and compadd stand-ins print what they are handed.
    const out = execFileSync(
      'zsh',
      [
        '-f',
        '-c',
        `compdef() {}; source ${file}; _describe() { local n=\${@[-1]}; print -l -- \${(P)n} }; compadd() { print -l -- "$@" }
words=(ferry bundle p); CURRENT=3; _ferry; print -- ---; words=(ferry completion ''); CURRENT=3; _ferry`,
      ],
      { encoding: 'utf8' },
    );
    const [subs, shells] = out.split('---\n');
    expect(subs).toMatch(/^pull:resolve a bundle manifest/m);
    expect(subs).toMatch(/^push:push the bundle/m);
    expect(shells?.split('\n').filter((l) => /^[a-z]+$/.test(l))).toEqual(['bash', 'zsh', 'fish']);
  });

  it('zsh on a terminal, with the script in $fpath as _ferry: Tab completes commands and lists flags with their descriptions', async () => {
    const dir = scratch();
    writeFileSync(join(dir, '_ferry'), execFileSync(ferry, ['completion', 'zsh'], { encoding: 'utf8' }));
    writeFileSync(
      join(dir, '.zshrc'),
      `PROMPT='zsh> '\nPATH=${join(process.cwd(), 'bin')}:$PATH\nfpath=(${dir} $fpath)\nautoload -U compinit && compinit -u -D\n`,
    );
    const pty = openPty('zsh -i', { cwd: dir, env: { ZDOTDIR: dir } });
    try {
      await pty.waitFor(/^zsh> $/m);
      pty.keys('ferry bundle pul', true);
      pty.keys('Tab');
      await pty.waitFor(/^zsh> ferry bundle pull $/m);
      pty.keys('--pla', true);
      pty.keys('Tab');
      await pty.waitFor(/^--platform\s+-- os\/arch/m);
      expect(pty.screen()).toMatch(/^--plain-http\s+-- talk plain HTTP to the registry/m);
    } finally {
      pty.close();
    }
  });

  it('fish: the script parses, and fish itself completes `ferry bundle p` to pull and push', () => {
    const dir = scratch();
    const file = join(dir, 'ferry.fish');
    writeFileSync(file, execFileSync(ferry, ['completion', 'fish'], { encoding: 'utf8' }));
    execFileSync('fish', ['-n', file]);
    const out = execFileSync(
      'fish',
      ['-c', `source ${file}; complete -C 'ferry bundle p'; echo ---; complete -C 'ferry bundle push --reg'`],
      { encoding: 'utf8' },
    );
    const [subs, flags] = out.split('---\n');
    expect(
      subs
        ?.split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]),
    ).toEqual(['pull', 'push']);
    expect(flags).toMatch(/^--registry\ttarget registry/m);
  });

  it('an unknown shell is a usage error naming the accepted ones', async () => {
    const r = await run(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
  });
});
