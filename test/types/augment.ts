// A registered protocol's types declared once, by declaration merging; its socket names follow.
import { Worker } from 'netwright';

declare module 'netwright' {
  interface ProtocolTypes {
    jsonl: { message: { id: number }; send: { id: number } };
  }
}

const worker = new Worker('jsonl://0.0.0.0:9005');
worker.onMessage = (connection, message) => {
  const id: number = message.id;
  connection.send({ id: id + 1 });
  // @ts-expect-error send takes the declared type
  connection.send('text');
};
