/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Workerman's timers on Node's own timers: an exception in a timer callback is
 * an uncaught exception, as for any Node timer.
 */
export class Timer {
  private static readonly timers = new Map<number, NodeJS.Timeout>();
  private static lastId = 0;

  /** Runs fn(...args) every `seconds` (fractions allowed), or once when persistent is false. Returns the timer id. */
  static add(seconds: number, fn: (...args: any[]) => unknown, args: unknown[] = [], persistent = true): number {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError('Timer.add: seconds must be a non-negative number');
    }
    if (typeof fn !== 'function') throw new TypeError('Timer.add: fn must be a function');
    const id = ++Timer.lastId;
    const ms = Math.max(1, seconds * 1000);
    const callArgs = Array.isArray(args) ? args : [args];
    if (persistent) {
      Timer.timers.set(id, setInterval(() => fn(...callArgs), ms));
    } else {
      Timer.timers.set(
        id,
        setTimeout(() => {
          Timer.timers.delete(id);
          fn(...callArgs);
        }, ms),
      );
    }
    return id;
  }

  /** Cancels a timer; false when there was none with that id. */
  static del(id: number): boolean {
    const timer = Timer.timers.get(id);
    if (!timer) return false;
    clearTimeout(timer);
    Timer.timers.delete(id);
    return true;
  }

  static delAll(): void {
    for (const timer of Timer.timers.values()) clearTimeout(timer);
    Timer.timers.clear();
  }

  /** Active timers (one-shots leave when they fire). */
  static count(): number {
    return Timer.timers.size;
  }
}
