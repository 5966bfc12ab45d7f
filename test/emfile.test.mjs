// EMFILE on accept: a server under `prlimit --nofile=64:64` is flooded with
// more connections than it has descriptors. It must not spin (its CPU time,
// from /proc/<pid>/stat, stays low over ~1 s), existing connections keep
// working, and it serves again once the excess clients go away.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { T_LONG, connect, until, sleep, deadline } from './helpers/harness.mjs';

const FIXTURE = fileURLToPath(new URL('./fixtures/emfile-server.mjs', import.meta.url));
const HAVE_PRLIMIT = spawnSync('prlimit', ['--version']).status === 0;

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  return Number(fields[11]) + Number(fields[12]);
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

test('EMFILE on accept: no busy loop, existing connections served, recovers afterwards',
  { ...T_LONG, skip: HAVE_PRLIMIT ? false : 'prlimit(1) not found' }, async (t) => {
    const child = spawn('prlimit', ['--nofile=64:64', process.execPath, FIXTURE], {
      env: { ...process.env, NETWRIGHT_FIXTURE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const clients = [];
    t.after(async () => {
      for (const c of clients) c.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });

    const port = Number((await deadline(new Promise((resolve, reject) => {
      child.stdout.on('data', () => { const m = /PORT (\d+)/.exec(out); if (m) resolve(m[1]); });
      exited.then((e) => reject(new Error(`server exited ${JSON.stringify(e)}: ${err}`)));
    }), 10_000, 'the server to listen')));
    // prlimit execs node, so the child's pid is the server's
    const pid = child.pid;
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /emfile-server/);

    const first = await connect(port);
    clients.push(first);
    first.write('hello\n');
    await first.waitText('hello\n');

    // Flood: far more connections than 64 descriptors allow. The kernel
    // completes handshakes into the backlog whether or not the server accepts.
    const flood = [];
    for (let i = 0; i < 150; i++) {
      const c = await connect(port).catch(() => null);
      if (c) { flood.push(c); clients.push(c); }
    }
    assert.ok(flood.length > 64, `opened ${flood.length} flood connections`);
    await sleep(300);

    first.write('stats\n');
    await first.waitLines(2);
    const stats = JSON.parse(first.lines[1]);
    assert.ok(stats.connections < 64, `the server hit its descriptor limit (${stats.connections} open)`);

    const t0 = cpuTicks(pid);
    const wall0 = Date.now();
    await sleep(1000);
    const used = cpuTicks(pid) - t0;
    const wall = Date.now() - wall0;
    const cpuMs = (used * 1000) / CLK_TCK;
    assert.ok(cpuMs < 0.3 * wall, `server used ${cpuMs} ms of CPU in ${wall} ms while at EMFILE: the accept loop spins`);
    assert.equal(child.exitCode, null, `server still running (stderr: ${err})`);

    // an already-accepted connection is still served during the flood
    first.write('during\n');
    await first.waitText('during\n');

    // the excess clients go away; the server serves new clients again
    for (const c of flood) c.destroy();
    await sleep(300);
    const fresh = await connect(port);
    clients.push(fresh);
    fresh.write('again\n');
    await fresh.waitText('again\n', 10_000);
    first.write('stats\n');
    await first.waitLines(4);
    const after = JSON.parse(first.lines[3]);
    assert.ok(after.connections <= 3, `flood connections were closed on the server too (${after.connections} open)`);
  });
