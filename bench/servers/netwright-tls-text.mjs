// netwright text:// echo over TLS (the ssl option): each line comes in as a string and goes back with "\n".
import { netwright, port, listen, tlsFiles } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'text://127.0.0.1:' + port(), (w) => {
  w.onMessage = (c, d) => c.send(d);
}, { ssl: tlsFiles() });
