/** A Promise or any other thenable a user callback may return. */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<unknown> | null | undefined)?.then === 'function';
}
