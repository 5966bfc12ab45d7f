// ssl.sni as a callback: the native handshake pauses at the ClientHello
// (a ServerName event) until the callback's answer (options, a SecureContext,
// or a Promise of either) is turned into a native context for that
// connection. An answer is compiled once: per options object, and per
// content (a callback answering a fresh { cert, key } literal each time
// shares one context, not one per connection).
import { createHash } from 'node:crypto';

import { native, type NativeSecureContextOptions, type SecureContextHandle } from '../native';
import { SecureContext, compileServerOptions, type SniAnswer as ServerNameAnswer } from './secureContext';
import { isThenable } from '../thenable';

export type ServerNameCallback = (servername: string) => ServerNameAnswer | PromiseLike<ServerNameAnswer>;

/** Contexts kept by content: the most recently answered ones (more are compiled again when answered). */
const KEPT_BY_CONTENT = 64;

export class ServerNameResolver {
  // An options object answered again (a table lookup) is not even read again.
  private readonly compiled = new WeakMap<object, SecureContextHandle>();
  // Insertion order is recency: the first key is the least recently answered.
  private readonly byContent = new Map<string, SecureContextHandle>();

  constructor(
    private readonly callback: ServerNameCallback,
    /** The outer ssl options: what an answer's options leave out comes from them, as with an SNI map. */
    private readonly outer: NativeSecureContextOptions,
  ) {}

  /**
   * Calls the callback for `servername` and gives `done` the context to serve, or null to refuse
   * the handshake (with the error when the callback threw, rejected or answered something unusable).
   */
  resolve(servername: string, done: (context: SecureContextHandle | null, error?: Error) => void): void {
    let answer: ServerNameAnswer | PromiseLike<ServerNameAnswer>;
    try {
      answer = this.callback(servername);
    } catch (error) {
      return done(null, asError(error));
    }
    if (isThenable<ServerNameAnswer>(answer)) {
      Promise.resolve(answer).then(
        (settled) => this.finish(settled, done),
        (error: unknown) => done(null, asError(error)),
      );
      return;
    }
    this.finish(answer, done);
  }

  private finish(answer: ServerNameAnswer, done: (context: SecureContextHandle | null, error?: Error) => void): void {
    let context: SecureContextHandle | null;
    try {
      context = this.contextOf(answer);
    } catch (error) {
      return done(null, asError(error));
    }
    done(context);
  }

  private contextOf(answer: ServerNameAnswer): SecureContextHandle | null {
    if (answer === null || answer === undefined) return null;
    if (answer instanceof SecureContext) return answer._handle;
    if (typeof answer !== 'object') throw new TypeError(`the answer must be ssl options, a SecureContext or null (got ${typeof answer})`);
    let context = this.compiled.get(answer);
    if (context) return context;
    const options = compileServerOptions(answer, this.outer);
    const key = createHash('sha256').update(JSON.stringify(options)).digest('base64');
    context = this.byContent.get(key);
    if (context) {
      this.byContent.delete(key);
    } else {
      context = native.createSecureContext(options);
      if (this.byContent.size >= KEPT_BY_CONTENT) this.byContent.delete(this.byContent.keys().next().value as string);
    }
    this.byContent.set(key, context);
    this.compiled.set(answer, context);
    return context;
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
