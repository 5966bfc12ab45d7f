// The control socket: a unix socket beside the pid file over which `stop`,
// `reload`, `status` and `connections` talk to the master. One JSON object a
// line each way: a request { cmd, ... } and its answer.
import * as fs from 'node:fs';
import * as net from 'node:net';

export interface ControlRequest {
  cmd: 'ping' | 'stop' | 'reload' | 'status' | 'connections';
  graceful?: boolean;
}

export type ControlHandler = (request: ControlRequest) => Promise<unknown> | unknown;

/** Listens on `socketPath` (a stale file there is replaced); resolves once listening. */
export function serveControl(socketPath: string, handler: ControlHandler): Promise<net.Server> {
  try {
    fs.unlinkSync(socketPath);
  } catch {
    // none
  }
  const server = net.createServer((socket) => {
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        void answer(socket, line, handler);
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      server.on('error', () => {});
      try {
        fs.chmodSync(socketPath, 0o600);
      } catch {
        // best effort
      }
      resolve(server);
    });
  });
}

async function answer(socket: net.Socket, line: string, handler: ControlHandler): Promise<void> {
  let reply: unknown;
  try {
    reply = { ok: true, data: await handler(JSON.parse(line) as ControlRequest) };
  } catch (error) {
    reply = { ok: false, error: (error as Error).message };
  }
  if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
}

/** One connection to a master's control socket; requests are answered in order. */
export class ControlClient {
  private readonly socket: net.Socket;
  private buffered = '';
  private readonly waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let newline: number;
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        const waiter = this.waiting.shift();
        if (!waiter) continue;
        const reply = JSON.parse(line) as { ok: boolean; data?: unknown; error?: string };
        if (reply.ok) waiter.resolve(reply.data);
        else waiter.reject(new Error(reply.error ?? 'request failed'));
      }
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the master closed the control connection')));
  }

  static connect(socketPath: string, timeoutMs = 3000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer on the control socket ${socketPath}`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new ControlClient(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  request<T = unknown>(request: ControlRequest, timeoutMs = 10000): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the master did not answer "${request.cmd}"`)), timeoutMs);
      this.waiting.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(JSON.stringify(request) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects, sends one request, closes. */
export async function controlRequest<T = unknown>(socketPath: string, request: ControlRequest, timeoutMs = 10000): Promise<T> {
  const client = await ControlClient.connect(socketPath);
  try {
    return await client.request<T>(request, timeoutMs);
  } finally {
    client.close();
  }
}
