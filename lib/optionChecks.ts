// Settings are checked where they are set, so a typo fails at that line and
// names the setting, instead of a NaN timer or a worker that never starts.

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? `an ${value.constructor?.name ?? 'object'}` : `a ${typeof value}`;
}

/** A finite number >= 0 (seconds, sizes where fractions are fine). */
export function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number, got ${describe(value)}`);
  }
  return value;
}

/** An integer >= min (counts, byte sizes). */
export function integerAtLeast(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

/** A byte size: an integer >= 0. */
export function checkSize(name: string, value: unknown): number {
  return integerAtLeast(name, value, 0);
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false, got ${describe(value)}`);
  return value;
}

/** A callback property: a function, or undefined/null to clear it. */
export function checkCallback<F extends (...args: never[]) => unknown>(name: string, value: F | undefined | null): F | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describe(value)}`);
  return value;
}

export { describe as describeValue };
