// What Channel and GlobalData servers share: a frame:// Worker of one process
// (Workerman's count 1), usable under Worker.runAll() or with listen().
import type { TcpConnection } from '../connection/TcpConnection';
import { Worker } from '../Worker';
import { serverSocketName } from './frameClient';

export abstract class FrameServer {
  /** The Worker behind the server: set its properties (user, maxPackageSize, ...) before it starts. */
  readonly worker: Worker;

  protected constructor(ip: string, port: number, name: string) {
    const { socketName, unix } = serverSocketName(ip, port);
    this.worker = new Worker(socketName);
    if (unix) this.worker.protocol = 'frame';
    this.worker.count = 1;
    this.worker.name = name;
    this.worker.onMessage = (connection, data) => this.onMessage(connection, data as Buffer);
  }

  /** Without Worker.runAll(): start serving in this process. */
  listen(): void {
    this.worker.listen();
  }

  /** Stops listening and closes every client connection. */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** The bound port after listen() (port 0 becomes the real one). */
  get port(): number | undefined {
    return this.worker.port;
  }

  protected abstract onMessage(connection: TcpConnection, payload: Buffer | string): void;
}

/** A frame's payload as a JSON object, or undefined for anything else (not JSON, an array, a scalar). */
export function parseJsonObject(payload: Buffer | string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
