// Worker.runAll(): reads the role from the environment (worker process,
// detached master) or the command from argv, and runs it:
//   start [-d] | stop [-g] | restart [-d] [-g] | reload [-g] | status [-d] [--json] | connections [--json]
// Exit codes: 0 success; 1 not running / already running / stop failed (or start failed); 64 usage error.
import { setTimeout as sleep } from 'node:timers/promises';

import { closeCluster } from '../cluster/ClusterNode';
import type { Statistics } from '../statistics';
import { runWorkerProcess, stopWorkerProcess } from './child';
import { controlRequest, ControlClient } from './control';
import { launchDaemon, reportToLauncher } from './daemon';
import { startFileMonitors } from '../components/FileMonitor';
import { controlSocketPath, isAlive, runningMaster, scriptName } from './files';
import { configureLog, log } from './log';
import { Master } from './Master';
import { ENV, daemonRequested, registeredWorkers } from './role';
import { formatConnections, formatStatus, type ConnectionsReport, type StatusReport } from './status';

/** What runAll() needs of the Worker class (its static settings). */
export interface WorkerStatics {
  pidFile: string;
  logFile: string;
  stdoutFile: string;
  getStatistics(): Statistics;
}

export const EXIT = { ok: 0, failure: 1, usage: 64 } as const;

const MODES: Record<string, readonly string[]> = {
  start: ['-d'],
  stop: ['-g'],
  restart: ['-d', '-g'],
  reload: ['-g'],
  status: ['-d', '--json'],
  connections: ['--json'],
};

export function usage(): string {
  const script = process.argv[1] ? scriptName() : 'yourfile';
  return [
    `Usage: node ${script} <command> [mode]`,
    'Commands:',
    'start\t\tStart worker in DEBUG mode.',
    '\t\tUse mode -d to start in DAEMON mode.',
    'stop\t\tStop worker.',
    '\t\tUse mode -g to stop gracefully.',
    'restart\t\tRestart workers.',
    '\t\tUse mode -d to start in DAEMON mode.',
    '\t\tUse mode -g to stop gracefully.',
    'reload\t\tReload codes.',
    '\t\tUse mode -g to reload gracefully.',
    'status\t\tGet worker status.',
    '\t\tUse mode -d to show live status.',
    '\t\tUse --json for the same data as JSON.',
    'connections\tGet worker connections.',
    '\t\tUse --json for the same data as JSON.',
    '',
  ].join('\n');
}

export interface Command {
  command: string;
  modes: Set<string>;
}

/** The command and its modes, or an error message (usage error). */
export function parseCommand(args: readonly string[]): Command | { error: string } {
  const commands = args.filter((a) => a in MODES);
  if (commands.length === 0) {
    const unknown = args.find((a) => !a.startsWith('-'));
    return { error: unknown ? `unknown command "${unknown}"` : '' };
  }
  if (commands.length > 1) return { error: `more than one command: ${commands.join(', ')}` };
  const command = commands[0];
  const modes = new Set<string>();
  for (const arg of args) {
    if (arg === command) continue;
    if (!MODES[command].includes(arg)) return { error: `"${arg}" is not a mode of ${command}${modeHint(command, arg)}` };
    modes.add(arg);
  }
  return { command, modes };
}

const LONG_MODES: Record<string, string> = { '--daemon': '-d', '--graceful': '-g', '-json': '--json' };

/** "(use -d)" for the spellings other tools use. */
function modeHint(command: string, arg: string): string {
  const mode = LONG_MODES[arg];
  return mode && MODES[command].includes(mode) ? ` (use ${mode})` : ` (modes of ${command}: ${MODES[command].join(' ') || 'none'})`;
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

let master: Master | undefined;
let ran = false;

/** Worker.runAll(); a second call does nothing. */
export async function runAll(statics: WorkerStatics): Promise<void> {
  if (ran) return;
  ran = true;
  const role = process.env[ENV.role];
  if (role === 'worker') return runWorkerProcess(statics);
  if (role === 'daemon') return runMaster(statics, true);
  const parsed = parseCommand(process.argv.slice(2));
  if ('error' in parsed) {
    if (parsed.error) process.stderr.write(parsed.error + '\n');
    process.stdout.write(usage());
    return exit(EXIT.usage);
  }
  const { command, modes } = parsed;
  const name = `netwright[${scriptName()}]`;
  const pidFile = statics.pidFile;
  const pid = runningMaster(pidFile);
  if (command === 'start') {
    if (pid !== undefined) {
      say(`${name} already running (master pid ${pid})`);
      return exit(EXIT.failure);
    }
    return start(statics, daemonRequested([...modes]));
  }
  if (pid === undefined && command !== 'restart') {
    say(`${name} not running`);
    return exit(EXIT.failure);
  }
  const socket = controlSocketPath(pidFile);
  try {
    switch (command) {
      case 'stop':
        return exit(await stopMaster(pid!, socket, modes.has('-g')));
      case 'restart':
        if (pid !== undefined && (await stopMaster(pid, socket, modes.has('-g'))) !== EXIT.ok) return exit(EXIT.failure);
        return start(statics, daemonRequested([...modes]));
      case 'reload': {
        await controlRequest(socket, { cmd: 'reload', graceful: modes.has('-g') });
        say(`${name} ${modes.has('-g') ? 'gracefully reloading' : 'reloading'}`);
        return exit(EXIT.ok);
      }
      case 'status':
        if (modes.has('-d')) return exit(await liveStatus(socket, modes.has('--json')));
        {
          const report = await controlRequest<StatusReport>(socket, { cmd: 'status' });
          process.stdout.write(modes.has('--json') ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report));
        }
        return exit(EXIT.ok);
      case 'connections': {
        const report = await controlRequest<ConnectionsReport>(socket, { cmd: 'connections' });
        process.stdout.write(modes.has('--json') ? JSON.stringify(report, null, 2) + '\n' : formatConnections(report));
        return exit(EXIT.ok);
      }
    }
  } catch (error) {
    process.stderr.write(`${name} master pid ${pid} does not answer on ${socket}: ${(error as Error).message}\n`);
    return exit(EXIT.failure);
  }
}

async function start(statics: WorkerStatics, daemon: boolean): Promise<void> {
  if (daemon) return exit(await launchDaemon(statics.stdoutFile));
  return runMaster(statics, false);
}

async function runMaster(statics: WorkerStatics, daemon: boolean): Promise<void> {
  configureLog(statics.logFile, !daemon);
  const name = `netwright[${scriptName()}]`;
  master = new Master({ pidFile: statics.pidFile }, daemon);
  let table: string;
  let ok: boolean;
  try {
    ({ table, ok } = await master.start());
  } catch (error) {
    const running = (error as { running?: boolean }).running;
    const message = running ? `${name} already running` : `${name} start failed: ${(error as Error).message}`;
    log(message);
    if (daemon) await reportToLauncher({ type: 'failed', message });
    else if (!running) process.stderr.write(message + '\n');
    return exit(EXIT.failure);
  }
  startFileMonitors(daemon ? undefined : (graceful) => master!.reload(graceful));
  if (daemon) {
    await reportToLauncher({ type: 'started', table, ok });
    return;
  }
  process.stdout.write(table);
  process.stdout.write('Press Ctrl+C to stop.\n');
}

/** Asks the master to stop and waits for its pid to go; the exit code. */
async function stopMaster(pid: number, socket: string, graceful: boolean): Promise<number> {
  const name = `netwright[${scriptName()}]`;
  say(`${name} is ${graceful ? 'gracefully ' : ''}stopping ...`);
  try {
    await controlRequest(socket, { cmd: 'stop', graceful }, 3000);
  } catch {
    // no control socket (or no answer): the signals do the same
    try {
      process.kill(pid, graceful ? 'SIGQUIT' : 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const wait = Master.stopWait(graceful);
  const deadline = Date.now() + wait;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      say(`${name} stop fail`);
      return EXIT.failure;
    }
    await sleep(20);
  }
  say(`${name} stop success`);
  return EXIT.ok;
}

const CLEAR_SCREEN = '\x1b[H\x1b[2J\x1b(B\x1b[m';

/** `status -d`: refreshes every second until Ctrl+C (0), its reader goes away (`| head`: 0) or the master does (1). */
async function liveStatus(socket: string, json: boolean): Promise<number> {
  let interrupted = false;
  process.on('SIGINT', () => {
    interrupted = true;
  });
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    interrupted = true;
  });
  const client = await ControlClient.connect(socket);
  try {
    while (!interrupted) {
      let report: StatusReport;
      try {
        report = await client.request<StatusReport>({ cmd: 'status' });
      } catch {
        if (interrupted) break;
        process.stderr.write(`netwright[${scriptName()}] the master went away\n`);
        return EXIT.failure;
      }
      if (interrupted) break;
      if (json) process.stdout.write(JSON.stringify(report) + '\n');
      // A terminal gets the screen redrawn; a pipe or file gets one report after another, no control codes.
      else if (process.stdout.isTTY) process.stdout.write(CLEAR_SCREEN + formatStatus(report) + '\nPress Ctrl+C to quit.\n\n');
      else process.stdout.write(formatStatus(report) + '\n');
      for (let i = 0; i < 20 && !interrupted; i++) await sleep(50);
    }
  } finally {
    client.close();
  }
  return EXIT.ok;
}

function exit(code: number): void {
  // Top-level code of the script may hold the loop open (timers, clients): a command ends here.
  const flush = () => process.exit(code);
  if (process.stdout.writableLength > 0 && !process.stdout.destroyed) process.stdout.once('drain', flush);
  else setImmediate(flush);
}

/** Worker.stopAll(): in a worker process, ends this process (the master starts a new one); in the master, stops everything. */
export async function stopAll(): Promise<void> {
  if (process.env[ENV.role] === 'worker') return stopWorkerProcess();
  if (master) return master.stop(false);
  await Promise.all(registeredWorkers().map((worker) => worker.stop()));
  closeCluster();
}
