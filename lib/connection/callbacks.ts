import { native } from '../native';

/**
 * Runs a user callback. An exception becomes Node's uncaught exception (the
 * process dies unless a handler keeps it alive); either way the caller goes on
 * with the rest of the batch.
 */
export function invoke<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): unknown {
  try {
    return fn(...args);
  } catch (error) {
    native.raiseUncaught(error);
    return undefined;
  }
}
