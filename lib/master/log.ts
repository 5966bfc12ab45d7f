// The master's log: timestamped lines appended to Worker.logFile, echoed to
// stdout while the master runs in the foreground.
import * as fs from 'node:fs';

let logFile = '';
let echo = false;

export function configureLog(file: string, echoToStdout: boolean): void {
  logFile = file;
  echo = echoToStdout;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `2026-01-01 10:00:00.123` in local time. */
export function timestamp(date = new Date()): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
  );
}

/** Appends `<time> pid:<pid> <message>` to the log file (and stdout in the foreground). */
export function log(message: string): void {
  const line = `${timestamp()} pid:${process.pid} ${message}\n`;
  if (logFile) {
    try {
      fs.appendFileSync(logFile, line);
    } catch {
      // an unwritable log must not take the server down
    }
  }
  if (echo) {
    try {
      process.stdout.write(line);
    } catch {
      // stdout closed
    }
  }
}
