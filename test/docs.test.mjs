// The docs cannot rot: every ```js/```ts block of README.md and docs/*.md runs
// against this repository's build (as `import 'netwright'` in a temporary
// project), each as a child process that real clients talk to through its
// `<!-- test -->` check; ```ts blocks are type-checked with the repository's
// tsc as a user's strict project would; shell blocks must name scripts and
// files that exist; links between the pages must resolve. The conventions are
// in test/helpers/docs-blocks.mjs and docs/testing.md.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort } from './fixtures/runall-helpers.mjs';
import { RUN_LANGUAGES, blocksOf, docFiles, missingInShell, portsOf, withPorts } from './helpers/docs-blocks.mjs';
import { Skip, checkHelpers, makeWorkspace, startProcess } from './helpers/docs-run.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ts = require('typescript');
const AsyncFunction = (async () => {}).constructor;

const files = docFiles(ROOT);
const blocks = files.flatMap((file) => blocksOf(ROOT, file));
const runnable = blocks.filter((b) => RUN_LANGUAGES.has(b.language));
const where = (b) => `${b.file}:${b.line}`;
const slugOf = (b) => `${b.file.replace(/[/.]/g, '-')}-${b.line}`;

let workspace;
before(() => { workspace = makeWorkspace(ROOT); });
after(() => fs.rmSync(workspace, { recursive: true, force: true }));

test('every code block has a language the docs test knows, and only justified blocks are not run', () => {
  assert.ok(runnable.length >= 30, `${runnable.length} runnable blocks`);
  for (const b of runnable.filter((b) => 'no-run' in b.attributes)) {
    assert.ok(typeof b.attributes['no-run'] === 'string' && b.attributes['no-run'].length > 10, `${where(b)}: no-run needs a reason: no-run="why"`);
    assert.ok(!b.file.includes('recipes'), `${where(b)}: a recipe is always run`);
  }
  for (const b of runnable) {
    if (b.check === null) continue;
    assert.match(b.check, /\brun\(/, `${where(b)}: a <!-- test --> check starts the block with run()`);
  }
});

test('links between the pages resolve, anchors included', () => {
  const slug = (t) => t.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
  const anchors = new Map();
  const anchorsOf = (file) => {
    if (!anchors.has(file)) {
      const set = new Set();
      let fenced = false;
      for (const line of fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')) {
        if (/^\s*```/.test(line)) fenced = !fenced;
        const m = !fenced && /^#{1,6} (.*)/.exec(line);
        if (m) set.add(slug(m[1]));
      }
      anchors.set(file, set);
    }
    return anchors.get(file);
  };
  const broken = [];
  for (const file of files) {
    let fenced = false;
    fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').forEach((line, i) => {
      if (/^\s*```/.test(line)) fenced = !fenced;
      if (fenced) return;
      for (const [, url] of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(url)) continue;
        const [target, anchor] = url.split('#');
        const resolved = target ? path.normalize(path.join(path.dirname(file), target)) : file;
        if (!fs.existsSync(path.join(ROOT, resolved))) broken.push(`${file}:${i + 1}: ${url} (no such file)`);
        else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) broken.push(`${file}:${i + 1}: ${url} (no such heading)`);
      }
    });
  }
  assert.deepEqual(broken, []);
});

test('shell blocks name npm scripts and files that exist', () => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const missing = blocks.filter((b) => b.language === 'sh').flatMap((b) => missingInShell(ROOT, b, scripts).map((m) => `${where(b)}: ${m}`));
  assert.deepEqual(missing, []);
});

test('```ts blocks type-check in a strict project that imports netwright (and the recipes\' packages)', { timeout: 120_000 }, () => {
  const dir = path.join(workspace, 'types');
  fs.mkdirSync(dir);
  const tsBlocks = runnable.filter((b) => b.language === 'ts');
  for (const b of tsBlocks) {
    fs.writeFileSync(path.join(dir, `${slugOf(b)}.ts`), `${b.prelude ? `${b.prelude}\n` : ''}${b.code}\nexport {};\n`);
  }
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'],
      strict: true, noEmit: true, skipLibCheck: true, noUnusedLocals: false, // as tsc --init; test/types checks netwright's own .d.ts
    },
    include: ['*.ts'],
  }));
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' });
  // Name the Markdown block, not the temporary file, in tsc's report.
  const bySlug = new Map(tsBlocks.map((b) => [slugOf(b), where(b)]));
  const report = `${result.stdout}${result.stderr}`.replace(/([\w-]+)\.ts\((\d+),(\d+)\)/g, (all, slug, l, c) =>
    (bySlug.has(slug) ? `${bySlug.get(slug)} (its line ${l}, column ${c})` : all));
  assert.equal(result.status, 0, `tsc reported:\n${report}`);
  assert.ok(tsBlocks.length >= 10, `${tsBlocks.length} ts blocks`);
});

function scriptName(block, index) {
  const named = /^\/\/ ([\w.-]+)\.(?:mjs|js|ts)\b/.exec(block.code);
  return `${named ? named[1] : `block-${index}`}.mjs`;
}

function toJavaScript(block, source) {
  if (block.language !== 'ts') return source;
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    reportDiagnostics: false,
  }).outputText;
}

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

// DOCS_ONLY=workers,README runs only the blocks of pages whose path contains one of the words.
const only = process.env.DOCS_ONLY?.split(',').filter(Boolean);

runnable.forEach((block, index) => {
  if (only && !only.some((word) => block.file.includes(word))) return;
  const reason = block.attributes['no-run'];
  const options = { timeout: 60_000, skip: reason ? `no-run: ${reason}` : false };
  test(`${where(block)} runs${block.check ? ' and answers its check' : ' and ends with exit code 0'}`, options, async (t) => {
    const mapping = new Map();
    for (const port of portsOf(block)) mapping.set(port, await freePort());
    const dir = path.join(workspace, slugOf(block));
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `block-${index}`, private: true, type: 'module' }));
    const file = path.join(dir, scriptName(block, index));
    const source = withPorts([block.prelude, block.code].filter(Boolean).join('\n'), mapping);
    const defaultArgs = /\bWorker\.runAll\(/.test(block.code) ? ['start'] : [];
    const handles = [];
    t.after(async () => { for (const h of handles) await h.stop(); });

    /** Starts the block (`replace`: test-only substitutions, such as certificate paths) as `node <script> ...args`. */
    const run = ({ args = defaultArgs, env = {}, replace = {} } = {}) => {
      let code = source;
      for (const [from, to] of Object.entries(replace)) {
        assert.ok(code.includes(from), `${where(block)}: replace: the block has no ${from}`);
        code = code.split(from).join(to);
      }
      fs.writeFileSync(file, toJavaScript(block, code));
      const handle = startProcess(file, args, { cwd: dir, env });
      handle.command = async (...commandArgs) => {
        const c = startProcess(file, commandArgs, { cwd: dir, env });
        handles.push(c);
        await c.exit(20_000);
        return c;
      };
      handles.push(handle);
      return handle;
    };
    const helpers = { ...checkHelpers(t), run, dir, port: (p) => mapping.get(p) ?? p };
    try {
      if (block.check) {
        await new AsyncFunction(...Object.keys(helpers), withPorts(block.check, mapping))(...Object.values(helpers));
      } else {
        const handle = run();
        const status = await handle.exit();
        assert.deepEqual(status, { code: 0, signal: null }, handle.output);
      }
    } catch (e) {
      if (e instanceof Skip) {
        console.log(`SKIPPED ${where(block)}: ${e.message}`);
        t.skip(e.message);
        return;
      }
      throw e;
    }
    for (const h of handles) {
      await h.stop();
      assert.doesNotMatch(h.stderr, STACK_TRACE, `${where(block)} printed a stack trace:\n${h.output}`);
    }
  });
});
