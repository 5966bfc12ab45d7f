// FileMonitor under Worker.runAll(): the foreground master watches the paths
// and reloads the worker processes after a (debounced) change; files of other
// extensions, and a daemon (start -d), do not reload.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { FIXTURES, Server, ask, sleep, until } from './fixtures/runall-helpers.mjs';

const SCRIPT = path.join(FIXTURES, 'filemonitor-server.mjs');
const T = { timeout: 40_000 };

function reloads(s) {
  return (s.log.match(/\] reloaded/g) ?? []).length;
}

async function servingPid(s) {
  return Number(await ask(s.port, 'pid'));
}

function watchedDir(t) {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'nw-watch-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'app.js'), '// v1\n');
  fs.mkdirSync(path.join(dir, 'lib'));
  fs.writeFileSync(path.join(dir, 'lib', 'util.js'), '// v1\n');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  return dir;
}

test('a touched file reloads the worker processes once per burst; other extensions and node_modules do not', T, async (t) => {
  const dir = watchedDir(t);
  const s = new Server(t, { WATCH: dir }, SCRIPT);
  await s.start();
  const first = await servingPid(s);

  // a burst of writes: one reload
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, 'lib', 'util.js'), `// v${i + 2}\n`);
  await until(() => reloads(s) === 1, 'the reload after a change', 10000);
  assert.match(s.log, /FileMonitor: .*util\.js changed, reloading/);
  const second = await until(async () => { const pid = await servingPid(s); return pid !== first && pid; }, 'a new process');
  await sleep(600);
  assert.equal(reloads(s), 1, 'one reload for the burst');

  // not watched: other extensions, node_modules, dot files
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
  fs.writeFileSync(path.join(dir, 'node_modules', 'dep.js'), 'x');
  fs.writeFileSync(path.join(dir, '.app.js.swp'), 'x');
  await sleep(800);
  assert.equal(reloads(s), 1);
  assert.equal(await servingPid(s), second);

  // a directory created after the start is watched too (empty, it is no change)
  fs.mkdirSync(path.join(dir, 'routes'));
  await sleep(600);
  assert.equal(reloads(s), 1, 'an empty new directory does not reload');
  fs.writeFileSync(path.join(dir, 'routes', 'index.mjs'), 'export {};\n');
  await until(() => reloads(s) === 2, 'the reload after a change in a new directory', 10000);
  const third = await until(async () => { const pid = await servingPid(s); return pid !== second && pid; }, 'a newer process');

  // a directory moved in with files in it: they count
  const outside = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'nw-moved-'));
  fs.writeFileSync(path.join(outside, 'handler.js'), '// moved in\n');
  fs.renameSync(outside, path.join(dir, 'moved'));
  await until(() => reloads(s) === 3, 'the reload after a directory moved in', 10000);
  assert.match(s.log, /moved\/handler\.js changed, reloading/);
  await until(async () => (await servingPid(s)) !== third, 'the newest process');
  assert.equal((await s.run(['stop'])).code, 0);
});

test('a single watched file; extensions option', T, async (t) => {
  const dir = watchedDir(t);
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, 'a: 1\n');
  const s = new Server(t, { WATCH: file, EXTENSIONS: 'yaml' }, SCRIPT);
  await s.start();
  const first = await servingPid(s);
  fs.writeFileSync(path.join(dir, 'app.js'), '// not watched: only config.yaml is\n');
  await sleep(700);
  assert.equal(reloads(s), 0);
  fs.writeFileSync(file, 'a: 2\n');
  await until(() => reloads(s) === 1, 'the reload', 10000);
  await until(async () => (await servingPid(s)) !== first, 'a new process');
  assert.equal((await s.run(['stop'])).code, 0);
});

test('with start -d the FileMonitor is off', T, async (t) => {
  const dir = watchedDir(t);
  const s = new Server(t, { WATCH: dir }, SCRIPT);
  const r = await s.startDaemon();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const first = await servingPid(s);
  assert.match(s.log, /FileMonitor: off in daemon mode/);
  fs.writeFileSync(path.join(dir, 'app.js'), '// v2\n');
  await sleep(800);
  assert.equal(reloads(s), 0);
  assert.equal(await servingPid(s), first);
  assert.equal((await s.run(['stop'])).code, 0);
});

test('without runAll: start(onChange) calls back once per burst; maxWatchers bounds the directories watched', async (t) => {
  const { FileMonitor } = await import('netwright');
  const dir = watchedDir(t);
  for (const name of ['a', 'b', 'c']) fs.mkdirSync(path.join(dir, name));
  const monitor = new FileMonitor(dir, { debounce: 100, maxWatchers: 3 });
  t.after(() => monitor.close());
  const changes = [];
  monitor.start((file) => changes.push(file));
  assert.equal(monitor.watchedDirectories, 3, 'the root and two of its directories, not more');
  fs.writeFileSync(path.join(dir, 'app.js'), '// v2\n');
  fs.writeFileSync(path.join(dir, 'app.js'), '// v3\n');
  await until(() => changes.length === 1, 'the change');
  await sleep(300);
  assert.deepEqual(changes, [path.join(dir, 'app.js')]);
});
