// netwright tcp:// raw echo: each read chunk comes in as a Buffer and goes back whole.
import { netwright, port, listen } from './netwright-load.mjs';

const { Worker } = await netwright();
listen(Worker, 'tcp://127.0.0.1:' + port(), (w) => {
  w.onMessage = (c, data) => c.send(data);
});
