// The TypeScript side of protocols: what onMessage receives and what send()
// takes, decided by the socket name's scheme ('text://…' → string) or by a
// protocol object's decode()/encode(). Types only; nothing here runs.
import type { Request } from './http/Request';
import type { Chunk, Response } from './http/Response';
import type { ServerSentEvents } from './http/ServerSentEvents';
import type { ProtocolObject } from './protocol';

/** What every connection can send as it is. */
export type Bytes = string | Buffer | Uint8Array | ArrayBuffer;

/** What an HTTP connection sends: a body (200, text/html for strings), or a Response, a Chunk of a chunked one, an event. */
export type HttpSendable = Bytes | Response | Chunk | ServerSentEvents;

/**
 * The message and send types of each scheme. Add your registered protocols by
 * declaration merging, and `new Worker('json://…')` follows them:
 *
 *     declare module 'netwright' { interface ProtocolTypes { json: { message: object; send: object } } }
 */
export interface ProtocolTypes {
  tcp: { message: Buffer; send: Bytes };
  unix: { message: Buffer; send: Bytes };
  text: { message: string; send: Bytes };
  frame: { message: Buffer; send: Bytes };
  websocket: { message: string | Buffer; send: Bytes };
  ws: { message: string | Buffer; send: Bytes };
  http: { message: Request; send: HttpSendable };
  /**
   * An http:// worker made with `{ websocket: ... }`: requests and, once a connection
   * has upgraded, its WebSocket messages. `data instanceof HttpRequest` tells them apart.
   */
  'http+websocket': { message: Request | string | Buffer; send: HttpSendable };
}

/** A Worker's or connection's protocol as its type parameter: a scheme name, or a protocol object's type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProtocolSpec = string | ProtocolObject<any, any>;

type IsAny<T> = 0 extends 1 & T ? true : false;

/** The scheme of a socket name, as the ProtocolTypes key. */
type SchemeKey<P> = P extends string ? Lowercase<P> : never;

/** The type of `data` in onMessage for protocol P. */
export type MessageOf<P> =
  IsAny<P> extends true
    ? any // eslint-disable-line @typescript-eslint/no-explicit-any
    : P extends ProtocolObject<infer Decoded, any> // eslint-disable-line @typescript-eslint/no-explicit-any
      ? Decoded
      : SchemeKey<P> extends keyof ProtocolTypes
        ? ProtocolTypes[SchemeKey<P>]['message']
        : unknown;

/** What send() takes on a connection of protocol P (a scheme not known to the types: anything, checked when sent). */
export type SendOf<P> =
  IsAny<P> extends true
    ? any // eslint-disable-line @typescript-eslint/no-explicit-any
    : P extends ProtocolObject<any, infer Encodable> // eslint-disable-line @typescript-eslint/no-explicit-any
      ? Encodable
      : SchemeKey<P> extends keyof ProtocolTypes
        ? ProtocolTypes[SchemeKey<P>]['send']
        : unknown;

/**
 * A socket name for protocol P: 'text://0.0.0.0:9000' infers P = 'text'. Any
 * string is accepted (checked when the Worker is made); a name that is not a
 * literal leaves P to an explicit type argument: `new Worker<'text'>(address)`.
 */
export type SocketNameOf<P> = P extends string ? `${P}://${string}` | (string & {}) : string; // eslint-disable-line @typescript-eslint/ban-types

/** A connection's own state: `connection.context`, made per connection by the Worker's `context` option. */
export type DefaultContext = Record<string, unknown>;
