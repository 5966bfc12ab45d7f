// netwright: HTTP and WebSocket on one port (an http:// worker with worker.websocket):
// HTTP requests get a hello world, upgraded connections an echo — the WebSocket echo
// scenario against it shows what sharing the port costs per message.
import { netwright, port, listen } from './netwright-load.mjs';

const { Worker, HttpRequest } = await netwright();
listen(Worker, 'http://127.0.0.1:' + port(), (w) => {
  w.websocket = true;
  w.onMessage = (c, d) => c.send(d instanceof HttpRequest ? 'Hello, World!' : d);
});
