// netwright text:// echo: each line comes in as a string and goes back out with "\n";
// --tls: over TLS (the ssl option).
import { netwright, port, flag, listen, tlsFiles } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'text://127.0.0.1:' + port(), (w) => {
  w.onMessage = (c, d) => c.send(d);
}, flag('tls') ? { ssl: tlsFiles() } : undefined);
