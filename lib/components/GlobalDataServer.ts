// Workerman's GlobalData server: one process (a Worker on frame://ip:port,
// count 1, name 'globalDataServer', reloadable = false) holding a key → value
// map that GlobalDataClients in any process share. Every command runs to its
// end before the next one is read, so each is atomic. Nothing is persisted and
// nothing expires (as Workerman): a restart empties it.
//   request { cmd: 'get' | 'set' | 'add' | 'cas' | 'increment' | 'unset' (or 'delete'), key, value?, old?, step? }
//   answer  get: { value } or {} when missing; the others: { result: true | false | <new number> }
// A request that is not one of these is answered with { error } and its
// connection closed; the server keeps serving. An empty frame is a ping.
import type { TcpConnection } from '../connection/TcpConnection';
import { FrameServer, parseJsonObject } from './FrameServer';

interface Request {
  cmd: string;
  key: string;
  value?: unknown;
  old?: unknown;
  step?: unknown;
}

export class GlobalDataServer extends FrameServer {
  private readonly data = new Map<string, unknown>();

  /** Workerman's `new GlobalData\Server($ip = '0.0.0.0', $port = 2207)`; `ip` may be `unix:///path`. */
  constructor(ip = '0.0.0.0', port = 2207) {
    super(ip, port, 'globalDataServer');
    this.worker.reloadable = false;
  }

  /** Keys held (for status pages and tests). */
  get size(): number {
    return this.data.size;
  }

  protected onMessage(connection: TcpConnection, payload: Buffer | string): void {
    if (payload.length === 0) return; // ping
    const request = parseRequest(payload);
    if (!request) return refuse(connection, 'bad request');
    const answer = this.execute(request);
    if (answer === undefined) return refuse(connection, `bad cmd ${request.cmd}`);
    connection.send(answer);
  }

  /** The answer's JSON, or undefined for an unknown command or bad arguments. */
  private execute({ cmd, key, value, old, step }: Request): string | undefined {
    const data = this.data;
    switch (cmd) {
      case 'get':
        return data.has(key) ? JSON.stringify({ value: data.get(key) }) : '{}';
      case 'set':
        if (value === undefined) return undefined;
        data.set(key, value);
        return RESULT_TRUE;
      case 'add':
        if (value === undefined) return undefined;
        if (data.has(key)) return RESULT_FALSE;
        data.set(key, value);
        return RESULT_TRUE;
      case 'cas': {
        // Workerman compares md5(serialize(current or null)) with the old value the client passes.
        if (value === undefined) return undefined;
        const current = data.has(key) ? data.get(key) : null;
        if (canonical(current) !== canonical(old ?? null)) return RESULT_FALSE;
        data.set(key, value);
        return RESULT_TRUE;
      }
      case 'increment': {
        const by = step === undefined ? 1 : step;
        if (typeof by !== 'number' || !Number.isFinite(by)) return undefined;
        if (!data.has(key)) return RESULT_FALSE;
        const next = numeric(data.get(key)) + by;
        if (!Number.isFinite(next)) return RESULT_FALSE;
        data.set(key, next);
        return JSON.stringify({ result: next });
      }
      case 'unset':
      case 'delete':
        data.delete(key);
        return RESULT_TRUE;
      default:
        return undefined;
    }
  }
}

const RESULT_TRUE = '{"result":true}';
const RESULT_FALSE = '{"result":false}';

function refuse(connection: TcpConnection, error: string): void {
  connection.close(JSON.stringify({ error }));
}

function parseRequest(payload: Buffer | string): Request | undefined {
  const value = parseJsonObject(payload);
  if (!value) return undefined;
  const request = value as Partial<Request>;
  if (typeof request.cmd !== 'string' || typeof request.key !== 'string') return undefined;
  return request as Request;
}

/** PHP's is_numeric then `+`: numbers and numeric strings count, anything else starts again from 0. */
function numeric(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return 0;
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}
