// @internal members are not in the published declarations.
import { TcpConnection, Worker } from 'netwright';

declare const connection: TcpConnection;
declare const worker: Worker;
// @ts-expect-error internal
connection._slot;
// @ts-expect-error internal
connection._received;
// @ts-expect-error internal
worker._accept;
// @ts-expect-error internal
worker._index;
connection.getRemoteIp();
