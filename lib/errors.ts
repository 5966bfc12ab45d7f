import * as util from 'node:util';

import { ErrorCode } from './native';

/** Error codes passed to onError(connection, code, message). The first two are Workerman's. */
export const CONNECT_FAIL = ErrorCode.ConnectFail;
export const SEND_FAIL = ErrorCode.SendFail;
export const PACKAGE_TOO_LARGE = ErrorCode.PackageTooLarge;
export const PROTOCOL_ERROR = ErrorCode.ProtocolError;

export const ERROR_MESSAGES: Record<number, string> = {
  [CONNECT_FAIL]: 'connect failed',
  [SEND_FAIL]: 'client closed',
  [PACKAGE_TOO_LARGE]: 'package too large',
  [PROTOCOL_ERROR]: 'protocol error: bad input',
};

export const SEND_BUFFER_FULL_MESSAGE = 'send buffer full and drop package';

/** ECONNREFUSED for 111 (or -111): libuv's name, as Node's own errors carry it. */
export function errnoName(errno: number): string {
  try {
    return util.getSystemErrorName(-Math.abs(errno));
  } catch {
    return `errno ${Math.abs(errno)}`;
  }
}
