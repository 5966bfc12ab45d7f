// The HttpTransport of an http:// connection: its TcpConnection's raw writes
// (the last one of a response marked for the core), close, drain, and what the
// worker says about the Server header and stopping. One object with one field.
import type { TcpConnection } from '../../connection/TcpConnection';
import { native, stringLength } from '../../native';
import { HttpExchange, type HttpTransport } from './HttpExchange';

class ConnectionTransport implements HttpTransport {
  constructor(private readonly connection: TcpConnection) {}

  write(bytes: string | Uint8Array, end: boolean): true | null | false {
    const connection = this.connection;
    if (connection.status === 'closed') return false;
    return connection.interpret((end ? native.endResponse : native.sendRaw)(connection._slot, bytes, stringLength(bytes)));
  }

  close(): void {
    this.connection.close();
  }

  isOpen(): boolean {
    return this.connection.status !== 'closed';
  }

  drained(): Promise<void> {
    return this.connection._whenDrained();
  }

  serverHeader(): string | null {
    const worker = this.connection.worker;
    return worker ? worker.serverHeader : 'netwright';
  }

  draining(): boolean {
    return this.connection.worker?._draining === true;
  }
}

/** The HTTP side of an http:// connection: its responses, in request order, over its raw writes. */
export function httpExchangeOver(connection: TcpConnection): HttpExchange {
  return new HttpExchange(new ConnectionTransport(connection));
}
