// Where runAll() keeps its files: the pid file, the control socket beside it,
// the log; and how a command finds a live master through them.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The start script: what `node <script> <command>` ran. */
export function scriptPath(): string {
  const script = process.argv[1];
  return script ? path.resolve(script) : path.join(process.cwd(), 'netwright');
}

export function scriptName(): string {
  return path.basename(scriptPath());
}

/**
 * The directory of the nearest package.json above the start script, else the
 * script's directory: a script compiled into dist/ keeps its files beside the
 * project, not among build output that a clean or a rebuild deletes.
 */
export function projectRoot(): string {
  const scriptDir = path.dirname(scriptPath());
  for (let dir = scriptDir; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return scriptDir;
  }
}

/** `<project root>/netwright.<script name>.pid` */
export function defaultPidFile(): string {
  return path.join(projectRoot(), `netwright.${scriptName()}.pid`);
}

/** `<project root>/netwright.log` */
export function defaultLogFile(): string {
  return path.join(projectRoot(), 'netwright.log');
}

// sockaddr_un.sun_path holds 108 bytes with the terminating NUL.
const MAX_UNIX_PATH = 107;

/**
 * The master's control socket: the pid file's name with `.sock` for `.pid`, in
 * the same directory; when that path is too long for a unix socket, a name
 * derived from it in the temporary directory.
 */
export function controlSocketPath(pidFile: string): string {
  const absolute = path.resolve(pidFile);
  const beside = absolute.endsWith('.pid') ? absolute.slice(0, -4) + '.sock' : absolute + '.sock';
  if (Buffer.byteLength(beside) <= MAX_UNIX_PATH) return beside;
  const hash = crypto.createHash('sha1').update(absolute).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `netwright-${hash}.sock`);
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The process exists and is not a zombie (an exited daemon waits for init to reap it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * The pid of the running master of this script, or undefined. A pid that is
 * alive but whose command line does not name this script (the pid was reused
 * after a crash) does not count.
 */
export function runningMaster(pidFile: string): number | undefined {
  const pid = readPid(pidFile);
  if (pid === undefined || pid === process.pid || !isAlive(pid)) return undefined;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline && !cmdline.includes(scriptName())) return undefined;
  } catch {
    // not readable: trust the pid
  }
  return pid;
}

export function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/**
 * Creates the pid file exclusively (two concurrent starts cannot both win);
 * a stale one (its master is gone) is replaced. False when a live master owns it.
 */
export function claimPidFile(pidFile: string): boolean {
  fs.mkdirSync(path.dirname(path.resolve(pidFile)), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(pidFile, 'wx', 0o644);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (runningMaster(pidFile) !== undefined) return false;
      removeQuietly(pidFile);
    }
  }
  return false;
}
