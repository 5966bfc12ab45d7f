// netwright wss:// echo: websocket:// with the ssl option (TLS in the native core).
import { netwright, port, listen, tlsFiles } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'websocket://127.0.0.1:' + port(), (w) => {
  w.onMessage = (c, d) => c.send(d);
}, { ssl: tlsFiles() });
