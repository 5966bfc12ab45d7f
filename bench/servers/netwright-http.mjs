// netwright http:// hello world; --tls: https:// (the ssl option, TLS in the native core).
// Workerman's convention: connection.send(body) answers the request with 200 and that body.
import { netwright, port, flag, listen, tlsFiles } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'http://127.0.0.1:' + port(), (w) => {
  w.onMessage = (c) => c.send('Hello, World!');
}, flag('tls') ? { ssl: tlsFiles() } : undefined);
