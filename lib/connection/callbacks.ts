/* eslint-disable @typescript-eslint/no-explicit-any */
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

/** invoke() for the hot path, onMessage(connection, data): no rest-argument array per message. */
export function invokeMessage(fn: (connection: any, data: any) => unknown, connection: unknown, data: unknown): void {
  try {
    fn(connection, data);
  } catch (error) {
    native.raiseUncaught(error);
  }
}
