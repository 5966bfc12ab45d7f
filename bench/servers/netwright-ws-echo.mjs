// netwright websocket:// echo (reports "unavailable" until the websocket protocol lands).
import { netwright, port, listen } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'websocket://127.0.0.1:' + port(), (w) => {
  w.onMessage = (c, d) => c.send(d);
});
