import * as os from 'node:os';

import type { TcpConnection } from '../../connection/TcpConnection';
import { parseCookies } from './cookies';
import { headMethod, headTarget, parseHeadFields, targetPath, targetQuery } from './headers';
import { parseMultipart, removeUploads, type MultipartLimits, type UploadedFile } from './multipart';
import { parseQuery, type QueryValue } from './query';
import { MemorySessionStore } from './session/MemorySessionStore';
import { Session } from './session/Session';
import type { SessionStore } from './session/SessionStore';

export interface SessionSettings {
  /** Cookie name; default 'NWSID'. */
  name: string;
  /** Where sessions live: MemorySessionStore (default), FileSessionStore, or your own SessionStore. */
  store: SessionStore;
  /** Seconds a session lives without being saved again; default 1440 (24 minutes). */
  lifetime: number;
  cookie: { path: string; domain?: string; secure: boolean; httpOnly: boolean; sameSite: 'Strict' | 'Lax' | 'None' };
}

/**
 * An HTTP request, as Workerman's: the head was parsed and validated natively;
 * headers, query, cookies and bodies are split here lazily, on first use.
 */
export class Request {
  static session: SessionSettings = {
    name: 'NWSID',
    store: new MemorySessionStore(),
    lifetime: 1440,
    cookie: { path: '/', secure: false, httpOnly: true, sameSite: 'Lax' },
  };
  static uploads: MultipartLimits = {
    maxFileSize: 10 * 1024 * 1024,
    maxFiles: 20,
    maxFields: 1000,
    maxFieldSize: 1024 * 1024,
    tmpDir: os.tmpdir(),
  };

  readonly connection: TcpConnection;
  /** The body as received (chunked bodies decoded). */
  readonly body: Buffer;
  /** @internal */ readonly _keepAlive: boolean;
  /** @internal */ readonly _isHead: boolean;

  private readonly head: string;
  private parsedHeaders: Record<string, string> | undefined;
  private parsedQuery: Record<string, QueryValue> | undefined;
  private form: { fields: Record<string, QueryValue>; files: Record<string, UploadedFile | UploadedFile[]> } | undefined;
  private cookies: Record<string, string> | undefined;
  private sessionObject: Session | undefined;
  private sessionIsNew = false;
  private cleaned = false; // uploads parsed after this are removed at once
  private sessionIdFromCookie: string | undefined;
  /** Why the body could not be parsed (malformed or over-limit multipart), if it could not. */
  bodyError: Error | undefined;

  /** @internal */
  constructor(head: string, body: Buffer, connection: TcpConnection, keepAlive: boolean, isHead: boolean) {
    this.head = head;
    this.body = body;
    this.connection = connection;
    this._keepAlive = keepAlive;
    this._isHead = isHead;
  }

  get method(): string {
    return headMethod(this.head);
  }
  /** The request target, e.g. "/search?q=1". */
  get uri(): string {
    return headTarget(this.head);
  }
  get path(): string {
    return targetPath(this.uri);
  }
  get queryString(): string {
    return targetQuery(this.uri);
  }
  /** '1.1' or '1.0'. */
  get protocolVersion(): string {
    const lineEnd = this.head.indexOf('\r\n');
    return this.head.slice(lineEnd - 3, lineEnd);
  }
  get remoteAddress(): string {
    return this.connection.getRemoteIp();
  }
  get remotePort(): number {
    return this.connection.getRemotePort();
  }

  /** Query parameters (PHP-style: a[]=1, a[b]=1); all of them without a name. */
  get(): Record<string, QueryValue>;
  get(name: string, defaultValue?: QueryValue): QueryValue | undefined;
  get(name?: string, defaultValue?: QueryValue): unknown {
    this.parsedQuery ??= parseQuery(this.queryString);
    return name === undefined ? this.parsedQuery : (this.parsedQuery[name] ?? defaultValue);
  }

  /** Body parameters: application/x-www-form-urlencoded, JSON, or multipart/form-data fields. */
  post(): Record<string, unknown>;
  post(name: string, defaultValue?: unknown): unknown;
  post(name?: string, defaultValue?: unknown): unknown {
    const fields = this.parseBody().fields as Record<string, unknown>;
    return name === undefined ? fields : (fields[name] ?? defaultValue);
  }

  /** Uploaded files of a multipart/form-data body: { name, tmpName, size, type, error }. Removed after the response. */
  file(): Record<string, UploadedFile | UploadedFile[]>;
  file(name: string): UploadedFile | UploadedFile[] | undefined;
  file(name?: string): unknown {
    const files = this.parseBody().files;
    return name === undefined ? files : files[name];
  }

  /** Headers with lower-case names (repeated ones joined with ", "). */
  header(): Record<string, string>;
  header(name: string, defaultValue?: string): string | undefined;
  header(name?: string, defaultValue?: string): unknown {
    const headers = this.headerFields();
    return name === undefined ? headers : (headers[name.toLowerCase()] ?? defaultValue);
  }

  cookie(): Record<string, string>;
  cookie(name: string, defaultValue?: string): string | undefined;
  cookie(name?: string, defaultValue?: string): unknown {
    this.cookies ??= parseCookies(this.headerFields().cookie);
    return name === undefined ? this.cookies : (this.cookies[name] ?? defaultValue);
  }

  rawBody(): string {
    return this.body.toString('utf8');
  }

  rawHead(): string {
    return this.head;
  }

  /** The Host header; without its port when asked. */
  host(withoutPort = false): string | undefined {
    const host = this.headerFields().host;
    if (!host || !withoutPort) return host;
    if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
    const colon = host.lastIndexOf(':');
    return colon < 0 ? host : host.slice(0, colon);
  }

  /** The session, created on first use; saved when the response is sent. */
  session(): Session {
    if (this.sessionObject) return this.sessionObject;
    const settings = Request.session;
    const id = this.cookie(settings.name);
    if (id && Session.isValidId(id)) {
      this.sessionIdFromCookie = id;
      this.sessionObject = new Session(settings.store, id, settings.lifetime);
    } else {
      this.sessionObject = new Session(settings.store, Session.createId(), settings.lifetime);
      this.sessionIsNew = true;
    }
    return this.sessionObject;
  }

  /** @internal Saves the session; returns the Set-Cookie value when the browser must learn its id. */
  _finishSession(): string | null {
    const session = this.sessionObject;
    if (!session) return null;
    session.save();
    return this.sessionIsNew || session.id !== this.sessionIdFromCookie ? session.id : null;
  }

  /** @internal */
  _hasSession(): boolean {
    return this.sessionObject !== undefined;
  }

  /** @internal Removes spooled uploads (after the response). */
  _cleanup(): void {
    if (this.form && Object.keys(this.form.files).length) removeUploads(this.form.files);
    this.cleaned = true;
  }

  private headerFields(): Record<string, string> {
    return (this.parsedHeaders ??= parseHeadFields(this.head));
  }

  private parseBody(): { fields: Record<string, QueryValue>; files: Record<string, UploadedFile | UploadedFile[]> } {
    if (this.form) return this.form;
    const type = (this.headerFields()['content-type'] ?? '').toLowerCase();
    let form: { fields: Record<string, QueryValue>; files: Record<string, UploadedFile | UploadedFile[]> } = {
      fields: Object.create(null),
      files: Object.create(null),
    };
    if (this.body.length) {
      if (type.startsWith('application/x-www-form-urlencoded')) {
        form.fields = parseQuery(this.body.toString('utf8'));
      } else if (type.startsWith('application/json') || type.endsWith('+json')) {
        try {
          const parsed: unknown = JSON.parse(this.body.toString('utf8'));
          if (parsed && typeof parsed === 'object') form.fields = parsed as Record<string, QueryValue>;
        } catch {
          // not JSON: no fields
        }
      } else if (type.startsWith('multipart/form-data')) {
        try {
          form = parseMultipart(this.body, this.headerFields()['content-type']!, Request.uploads);
          if (this.cleaned) removeUploads(form.files); // the exchange is over already
        } catch (error) {
          // A malformed or over-limit upload: no fields, no files; the reason is kept.
          this.bodyError = error as Error;
        }
      }
    }
    return (this.form = form);
  }
}
