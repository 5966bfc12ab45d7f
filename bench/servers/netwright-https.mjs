// netwright https:// hello world: http:// with the ssl option (TLS in the native core).
import { netwright, port, listen, tlsFiles } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'http://127.0.0.1:' + port(), (w) => {
  w.onMessage = (c) => c.send('Hello, World!');
}, { ssl: tlsFiles() });
