// A text echo server: every line you send comes back prefixed.
//   node examples/echo.mjs            then: nc 127.0.0.1 9000
import { Worker, Timer } from 'netwright';

const port = Number(process.env.PORT ?? 9000);
const worker = new Worker(`text://127.0.0.1:${port}`);

worker.onConnect = (connection) => {
  console.log(`#${connection.id} connected from ${connection.getRemoteAddress()}`);
  connection.send('welcome to netwright: type a line');
};
worker.onMessage = (connection, line) => {
  if (line === 'quit') return connection.close('bye');
  connection.send(`echo: ${line}`);
};
worker.onClose = (connection) => console.log(`#${connection.id} closed`);

worker.listen();
console.log(`netwright text echo on 127.0.0.1:${worker.port} (Ctrl+C to stop)`);

Timer.add(60, () => console.log(`${worker.connections.size} connections`));
process.on('SIGINT', async () => {
  await worker.stop();
  process.exit(0);
});
