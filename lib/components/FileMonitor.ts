// Reload on change, for development: `new FileMonitor(paths, options)` before
// Worker.runAll(). Workerman runs its FileMonitor as an extra worker process
// that signals the master; here the foreground master watches itself (no extra
// process, nothing in `status`), and the worker processes are replaced by the
// usual rolling reload. Off in a daemon (`start -d`), as Workerman. Created in a
// worker process (the script runs again there) it does nothing.
//
// Watching: one non-recursive fs.watch (one inotify watch) per directory,
// walked from the paths (node_modules and dot-directories skipped), new
// directories added as they appear, at most `maxWatchers` of them. Events are
// debounced: one reload after the last change of a burst.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { log } from '../master/log';

export interface FileMonitorOptions {
  /** Milliseconds without further change before the reload. Default 300. */
  debounce?: number;
  /** File extensions (without the dot) that count; null = every file. Default js, mjs, cjs, ts, mts, cts, json, env, html, htm. */
  extensions?: string[] | null;
  /** `reload -g` instead of `reload`. Default false (Workerman's FileMonitor sends SIGUSR1: a plain reload). */
  graceful?: boolean;
  /** Directories watched at most; more are left out (said once in the log). Default 1000. */
  maxWatchers?: number;
  /** Directory names not walked into, besides dot-directories. Default ['node_modules']. */
  ignore?: string[];
}

const DEFAULT_EXTENSIONS = ['js', 'mjs', 'cjs', 'ts', 'mts', 'cts', 'json', 'env', 'html', 'htm'];

const monitors: FileMonitor[] = [];

export class FileMonitor {
  readonly paths: readonly string[];
  readonly options: Readonly<Required<FileMonitorOptions>>;
  private readonly watchers = new Map<string, fs.FSWatcher>();
  /** Single files watched through their directory: directory → names. */
  private readonly files = new Map<string, Set<string>>();
  private readonly extensions: Set<string> | null;
  private onChange: ((file: string) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFile = '';
  private warnedLimit = false;

  constructor(paths: string | string[], options: FileMonitorOptions = {}) {
    this.paths = (Array.isArray(paths) ? paths : [paths]).map((p) => path.resolve(p));
    this.options = {
      debounce: options.debounce ?? 300,
      extensions: options.extensions === undefined ? DEFAULT_EXTENSIONS : options.extensions,
      graceful: options.graceful ?? false,
      maxWatchers: options.maxWatchers ?? 1000,
      ignore: options.ignore ?? ['node_modules'],
    };
    this.extensions = this.options.extensions ? new Set(this.options.extensions.map((e) => e.replace(/^\./, '').toLowerCase())) : null;
    monitors.push(this);
  }

  /** Directories watched now. */
  get watchedDirectories(): number {
    return this.watchers.size;
  }

  /**
   * Starts watching; `onChange(file)` runs once per debounced burst. runAll()
   * calls it in the foreground master; call it yourself to use the monitor
   * without runAll().
   */
  start(onChange: (file: string) => void): void {
    if (this.onChange) return;
    this.onChange = onChange;
    for (const target of this.paths) {
      let stat: fs.Stats;
      try {
        stat = fs.statSync(target);
      } catch {
        log(`netwright FileMonitor: ${target} does not exist; not watched`);
        continue;
      }
      if (stat.isDirectory()) this.walk(target);
      else this.watchFile(target);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.onChange = undefined;
  }

  private watchFile(file: string): void {
    const dir = path.dirname(file);
    let names = this.files.get(dir);
    if (!names) this.files.set(dir, (names = new Set()));
    names.add(path.basename(file));
    this.watchDirectory(dir, false);
  }

  /** Watches `dir` and every directory under it, up to the limit; returns a watched file found in them, if any. */
  private walk(dir: string): string | undefined {
    if (!this.watchDirectory(dir, true)) return undefined;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return undefined;
    }
    let found: string | undefined;
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory() && !this.skipped(entry.name)) found = this.walk(file) ?? found;
      else if (!entry.isDirectory() && this.watchedFile(dir, entry.name)) found ??= file;
    }
    return found;
  }

  private skipped(name: string): boolean {
    return name.startsWith('.') || this.options.ignore.includes(name);
  }

  /** false when it could not (limit, error, already watched). */
  private watchDirectory(dir: string, tree: boolean): boolean {
    if (this.watchers.has(dir)) return false;
    if (this.watchers.size >= this.options.maxWatchers) {
      if (!this.warnedLimit) log(`netwright FileMonitor: more than ${this.options.maxWatchers} directories; ${dir} and the rest are not watched`);
      this.warnedLimit = true;
      return false;
    }
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(dir, { persistent: false }, (_event, name) => this.changed(dir, tree, name === null ? null : String(name)));
    } catch (error) {
      log(`netwright FileMonitor: cannot watch ${dir}: ${(error as Error).message}`);
      return false;
    }
    watcher.on('error', () => {
      // the directory went away
      watcher.close();
      if (this.watchers.get(dir) === watcher) this.watchers.delete(dir);
    });
    this.watchers.set(dir, watcher);
    return true;
  }

  private changed(dir: string, tree: boolean, name: string | null): void {
    if (!this.onChange) return;
    if (name === null) return this.schedule(dir);
    const file = path.join(dir, name);
    if (!tree) {
      if (this.files.get(dir)?.has(name)) this.schedule(file);
      return;
    }
    if (!this.skipped(name)) {
      let stat: fs.Stats | undefined;
      try {
        stat = fs.statSync(file);
      } catch {
        // removed: its watcher (if a directory) reports an error and goes
      }
      if (stat?.isDirectory()) {
        // a new (or moved-in) directory: watched from now on; files already in it count as changes
        const found = this.walk(file);
        if (found) this.schedule(found);
        return;
      }
    }
    if (this.watchedFile(dir, name)) this.schedule(file);
  }

  private watchedFile(dir: string, name: string): boolean {
    if (this.files.get(dir)?.has(name)) return true;
    if (name.startsWith('.') && !name.startsWith('.env')) return false; // editor swap files, .git
    if (!this.extensions) return true;
    const ext = name === '.env' ? 'env' : path.extname(name).slice(1).toLowerCase();
    return this.extensions.has(ext);
  }

  private schedule(file: string): void {
    this.lastFile = file;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onChange?.(this.lastFile);
    }, this.options.debounce);
  }
}

/**
 * The master's hook (Worker.runAll()): in the foreground, starts every
 * FileMonitor of the script with a reload; in a daemon says they are off.
 * A change during a reload reloads again once it has finished.
 */
export function startFileMonitors(reload: ((graceful: boolean) => Promise<void>) | undefined): void {
  if (monitors.length === 0) return;
  if (!reload) {
    log('netwright FileMonitor: off in daemon mode (start without -d to reload on changes)');
    return;
  }
  let running: Promise<void> | undefined;
  let again: { file: string; graceful: boolean } | undefined;
  const run = (file: string, graceful: boolean): void => {
    if (running) {
      again = { file, graceful };
      return;
    }
    log(`netwright FileMonitor: ${file} changed, reloading`);
    running = reload(graceful)
      .catch((error: unknown) => log(`netwright FileMonitor: reload failed: ${(error as Error)?.message ?? String(error)}`))
      .finally(() => {
        running = undefined;
        const next = again;
        again = undefined;
        if (next) run(next.file, next.graceful);
      });
  };
  for (const monitor of monitors) monitor.start((file) => run(file, monitor.options.graceful));
}
