// netwright websocket:// echo; --tls: the ssl option (wss, TLS in the native core);
// --deflate: perMessageDeflate with its defaults (context takeover, window 15, threshold 1024).
import { netwright, port, flag, listen, tlsFiles } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'websocket://127.0.0.1:' + port(), (w) => {
  if (flag('deflate')) w.perMessageDeflate = true;
  w.onMessage = (c, d) => c.send(d);
}, flag('tls') ? { ssl: tlsFiles() } : undefined);
