// A TCP proxy with backpressure: pipe() pauses the faster side while the
// slower side's send buffer is full.
//   TARGET_PORT=9000 node examples/proxy.mjs     (then connect to 9001)
import net from 'node:net';
import { Worker } from 'netwright';

const targetPort = Number(process.env.TARGET_PORT ?? 9000);
const worker = new Worker(`tcp://127.0.0.1:${process.env.PORT ?? 9001}`);

worker.onConnect = (client) => {
  client.pauseRecv();
  const upstream = net.connect(targetPort, '127.0.0.1');
  upstream.on('connect', () => client.resumeRecv());
  client.onMessage = (_c, data) => {
    if (!upstream.write(data)) {
      client.pauseRecv();
      upstream.once('drain', () => client.resumeRecv());
    }
  };
  client.onClose = () => upstream.end();
  upstream.on('data', (data) => {
    if (client.send(data) === null) upstream.pause();
  });
  client.onBufferDrain = () => upstream.resume();
  upstream.on('close', () => client.close());
  upstream.on('error', () => client.destroy());
};

worker.listen();
console.log(`proxy 127.0.0.1:${worker.port} -> 127.0.0.1:${targetPort}`);
