// netwright udp:// echo: one onMessage per datagram, send() answers its sender.
import { netwright, port, listen } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'udp://127.0.0.1:' + port(), (w) => {
  w.onMessage = (c, d) => c.send(d);
});
