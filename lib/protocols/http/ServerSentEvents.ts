/** The fields of one server-sent event; `''` is a comment. */
export interface ServerSentEventFields {
  ''?: string | number;
  event?: string;
  id?: string | number;
  retry?: number;
  data?: string | number | boolean;
}

/**
 * One event on a `text/event-stream` response, as Workerman's ServerSentEvents:
 * send `new Response(200, { 'Content-Type': 'text/event-stream' })` first, then
 * `connection.send(new ServerSentEvents({ event, id, retry, data }))` as often as needed.
 */
export class ServerSentEvents {
  constructor(readonly fields: ServerSentEventFields) {
    for (const name of ['event', 'id'] as const) {
      const value = fields[name];
      if (value !== undefined && /[\r\n\0]/.test(String(value))) throw new TypeError(`server-sent event ${name} must be one line without NUL`);
    }
    if (fields.retry !== undefined && !(Number.isInteger(fields.retry) && fields.retry >= 0)) {
      throw new TypeError('server-sent event retry must be a whole number of milliseconds');
    }
  }

  toString(): string {
    const { fields } = this;
    let text = '';
    if (fields[''] !== undefined) text += lines(':', String(fields['']));
    if (fields.event !== undefined) text += `event: ${fields.event}\n`;
    if (fields.id !== undefined) text += `id: ${fields.id}\n`;
    if (fields.retry !== undefined) text += `retry: ${fields.retry}\n`;
    if (fields.data !== undefined) text += lines('data:', String(fields.data));
    return `${text}\n`;
  }
}

/** A multi-line value as one field line per line (any of CRLF, CR, LF ends one). */
function lines(field: string, value: string): string {
  return value
    .split(/\r\n|\r|\n/)
    .map((line) => `${field} ${line}\n`)
    .join('');
}
