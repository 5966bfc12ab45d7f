// netwright websocket:// echo with permessage-deflate (defaults: context takeover, window 15, threshold 1024).
import { netwright, port, listen } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'websocket://127.0.0.1:' + port(), (w) => {
  w.perMessageDeflate = true;
  w.onMessage = (c, d) => c.send(d);
});
