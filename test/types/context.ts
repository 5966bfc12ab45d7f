// connection.context: per-connection state typed by the Worker's context option.
import { Worker } from 'netwright';

const chat = new Worker('websocket://0.0.0.0:8080', {
  context: () => ({ user: null as string | null, messages: 0 }),
});
chat.onWebSocketConnect = (connection, request) => {
  connection.context.user = request.query.get('user');
};
chat.onMessage = (connection, data) => {
  connection.context.messages++;
  const user: string | null = connection.context.user;
  // @ts-expect-error messages is a number
  connection.context.messages = 'many';
  // @ts-expect-error not part of the context
  connection.context.room;
  connection.send(`${user ?? 'anonymous'}: ${String(data)}`);
};

// Without the option: a record of unknowns, to narrow before use.
const plain = new Worker('text://0.0.0.0:9000');
plain.onConnect = (connection) => {
  connection.context.seen = Date.now();
  // @ts-expect-error unknown until narrowed
  const seen: number = connection.context.seen;
  void seen;
};
