// netwright text:// echo with worker.keepAsyncContext = true and a store entered in onConnect:
// measures what carrying AsyncLocalStorage into every callback of a connection costs.
import { AsyncLocalStorage } from 'node:async_hooks';
import { netwright, port, listen } from './netwright-load.mjs';

const { Worker } = await netwright();
const als = new AsyncLocalStorage();
let seq = 0;
listen(Worker, 'text://127.0.0.1:' + port(), (w) => {
  w.keepAsyncContext = true;
  w.onConnect = () => als.enterWith({ connection: ++seq });
  w.onMessage = (c, d) => {
    if (!als.getStore()) throw new Error('the store did not carry over');
    c.send(d);
  };
});
