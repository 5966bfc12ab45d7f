// The published declarations type what users write: tsc --noEmit over the
// fixtures in test/types/, each wrong line marked @ts-expect-error (a line that
// stops being an error fails the check too), against dist/ as a user's
// project resolves 'netwright' (package exports, skipLibCheck off).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

test('type fixtures compile, with every @ts-expect-error line an error', { timeout: 120_000 }, () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'test', 'types', 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, `tsc reported:\n${result.stdout}${result.stderr}`);
  const fixtures = fs.readdirSync(path.join(ROOT, 'test', 'types')).filter((f) => f.endsWith('.ts'));
  assert.ok(fixtures.length >= 5, fixtures.join(', '));
  const expected = fixtures.reduce((n, f) => n + (fs.readFileSync(path.join(ROOT, 'test', 'types', f), 'utf8').match(/@ts-expect-error/g) ?? []).length, 0);
  assert.ok(expected >= 25, `${expected} negative cases`);
});

test('the published .d.ts has no @internal members', () => {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.d.ts')) {
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(/^\s*(?:readonly\s+)?(_slot|_received|_accept|_index|_connected|_closed|_drain|_started|_newContext)\b/gm)) found.push(`${path.relative(ROOT, file)}: ${m[1]}`);
        if (text.includes('@internal')) found.push(`${path.relative(ROOT, file)}: @internal`);
      }
    }
  };
  walk(path.join(ROOT, 'dist'));
  assert.deepEqual(found, []);
});
