// ssl.sni as a callback: the native handshake pauses at the ClientHello
// (a ServerName event) until the callback's answer (options, a SecureContext,
// or a Promise of either) is turned into a native context for that
// connection. Answers are compiled once per options object.
import { native, type NativeSecureContextOptions, type SecureContextHandle } from '../native';
import { SecureContext, compileServerOptions, type SniAnswer as ServerNameAnswer } from './secureContext';

export type ServerNameCallback = (servername: string) => ServerNameAnswer | PromiseLike<ServerNameAnswer>;

export class ServerNameResolver {
  // An options object answered again (the usual case: a table lookup) is not compiled again.
  private readonly compiled = new WeakMap<object, SecureContextHandle>();

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
    if (isThenable(answer)) {
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
    if (!context) {
      context = native.createSecureContext(compileServerOptions(answer, this.outer));
      this.compiled.set(answer, context);
    }
    return context;
  }
}

function isThenable(value: unknown): value is PromiseLike<ServerNameAnswer> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
