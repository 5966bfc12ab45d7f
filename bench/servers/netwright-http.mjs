// netwright http:// hello world (reports "unavailable" until the http protocol lands).
// Workerman's convention: connection.send(body) answers the request with 200 and that body.
import { netwright, port, listen } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'http://127.0.0.1:' + port(), (w) => {
  w.onMessage = (c) => c.send('Hello, World!');
});
