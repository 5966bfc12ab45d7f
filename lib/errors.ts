/** Error codes passed to onError(connection, code, message). The first two are Workerman's. */
export const CONNECT_FAIL = 1;
export const SEND_FAIL = 2;
export const PACKAGE_TOO_LARGE = 3;
export const PROTOCOL_ERROR = 4;

export const ERROR_MESSAGES: Record<number, string> = {
  [CONNECT_FAIL]: 'connect failed',
  [SEND_FAIL]: 'client closed',
  [PACKAGE_TOO_LARGE]: 'package too large',
  [PROTOCOL_ERROR]: 'protocol error: bad input',
};

export const SEND_BUFFER_FULL_MESSAGE = 'send buffer full and drop package';
