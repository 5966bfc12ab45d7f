// `-d`: the launching command starts a detached master (setsid, stdout and
// stderr to Worker.stdoutFile) and exits once that master is listening.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

import { ENV } from './role';
import { scriptPath } from './files';

/** Daemon master → launcher. */
export type DaemonMessage = { type: 'started'; table: string; ok: boolean } | { type: 'failed'; message: string };

/** Starts the detached master; resolves with the launcher's exit code. */
export function launchDaemon(stdoutFile: string): Promise<number> {
  let out: number;
  try {
    out = fs.openSync(stdoutFile || '/dev/null', 'a');
  } catch (error) {
    process.stderr.write(`cannot open stdoutFile ${stdoutFile}: ${(error as Error).message}\n`);
    return Promise.resolve(1);
  }
  const child = spawn(process.execPath, [...process.execArgv, scriptPath(), ...process.argv.slice(2)], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, [ENV.role]: 'daemon' },
  });
  fs.closeSync(out);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (code: number) => {
      if (settled) return;
      settled = true;
      if (child.connected) child.disconnect();
      child.unref();
      resolve(code);
    };
    child.on('message', (message: DaemonMessage) => {
      if (message?.type === 'started') {
        process.stdout.write(message.table);
        process.stdout.write(`Input "node ${process.argv[1]} stop" to stop. Start success.\n`);
        settle(0);
      } else if (message?.type === 'failed') {
        process.stderr.write(message.message + '\n');
        settle(1);
      }
    });
    child.on('exit', (code, signal) => {
      process.stderr.write(`the daemon exited while starting (${signal ?? `code ${code}`}); see ${stdoutFile} and the log file\n`);
      settle(1);
    });
    child.on('error', (error) => {
      process.stderr.write(`cannot start the daemon: ${error.message}\n`);
      settle(1);
    });
  });
}

/** In the detached master: tell the launcher how the start went, then let it go. */
export function reportToLauncher(message: DaemonMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, () => {
      if (process.connected) process.disconnect();
      resolve();
    });
  });
}
