/** The terms-of-service file: check-config's verdict and version, and how the running gateway notices changes. */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { readTermsFile, termsVersion } from '../../src/config/terms-file';
import { watchTerms } from '../../src/domain/terms';

const dir = mkdtempSync(join(tmpdir(), 'aq-terms-file-'));

async function checkConfig(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['check-config', ...argv], { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env: {} });
  return { code, out, err };
}

describe('check-config and the terms file', () => {
  test('a good file: exit 0 and its version (first 16 hex digits of its SHA-256)', async () => {
    const file = join(dir, 'good.md');
    writeFileSync(file, '# Terms\n\nBe nice.\n');
    const r = await checkConfig('--tos-file', file);
    expect(r.code).toBe(0);
    const version = termsVersion(Buffer.from('# Terms\n\nBe nice.\n'));
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    expect(r.out).toContain(`terms of service ${file}: version ${version} (markdown)`);
  });

  test('missing, empty, too large or not UTF-8: a problem each, exit 1', async () => {
    const empty = join(dir, 'empty.md');
    writeFileSync(empty, ' \n\n');
    const big = join(dir, 'big.md');
    writeFileSync(big, 'x'.repeat(1024 * 1024 + 1));
    const binary = join(dir, 'binary.txt');
    writeFileSync(binary, Buffer.from([0xff, 0xfe, 0x00, 0xc3]));
    for (const [file, why] of [[join(dir, 'absent.md'), 'cannot read: ENOENT'], [empty, 'empty'], [big, '1048577 bytes, more than the 1048576 allowed'], [binary, 'not UTF-8 text'], [dir, 'not a regular file']] as const) {
      const r = await checkConfig('--tos-file', file);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`${file} (terms of service): ${why}`);
    }
  });
});

describe('watching the terms file', () => {
  test('a change is seen at the next look after the interval; a broken file keeps the last good version', () => {
    const file = join(dir, 'watched.md');
    writeFileSync(file, 'one');
    let now = 1_000_000;
    const problems: string[] = [];
    const terms = watchTerms(file, readTermsFile(file), { checkIntervalMs: 2000, now: () => now, onProblem: (m) => problems.push(m) });
    expect(terms.current().version).toBe(termsVersion(Buffer.from('one')));
    writeFileSync(file, 'two, longer');
    now += 1999;
    expect(terms.current().version).toBe(termsVersion(Buffer.from('one'))); // not looked at yet
    now += 1;
    expect(terms.current().version).toBe(termsVersion(Buffer.from('two, longer')));
    expect(terms.current().text).toBe('two, longer');

    writeFileSync(file, '');
    now += 2000;
    expect(terms.current().version).toBe(termsVersion(Buffer.from('two, longer')));
    rmSync(file);
    now += 2000;
    expect(terms.current().version).toBe(termsVersion(Buffer.from('two, longer')));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('empty');
    expect(problems[1]).toContain('ENOENT');
  });
});
