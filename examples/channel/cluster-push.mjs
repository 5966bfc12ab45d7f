// Workerman manual's "cluster push" with Channel: a ChannelServer, a
// websocket:// worker with 2 processes that each subscribe to an event named
// after their worker.id (push to one connection) and to 'broadcast' (push to
// all), and an http:// worker that publishes what it is asked to push.
//   node examples/channel/cluster-push.mjs start
//   websocat ws://127.0.0.1:4236          (each client is told its worker id and connection id)
//   curl 'http://127.0.0.1:4237/?content=hello'                                  (everyone)
//   curl 'http://127.0.0.1:4237/?to_worker_id=1&to_connection_id=1&content=hi'  (one connection)
// Ports: WS_PORT (4236), HTTP_PORT (4237), CHANNEL_PORT (2206); PID_FILE / LOG_FILE override the defaults.
// Worker ids repeat on every host: a deployment with several servers namespaces the event names.
import { ChannelClient, ChannelServer, Worker } from 'netwright';

const env = process.env;
const channelPort = Number(env.CHANNEL_PORT ?? 2206);
if (env.PID_FILE) Worker.pidFile = env.PID_FILE;
if (env.LOG_FILE) Worker.logFile = env.LOG_FILE;

new ChannelServer('127.0.0.1', channelPort);

const worker = new Worker(`websocket://127.0.0.1:${env.WS_PORT ?? 4236}`);
worker.count = 2;
worker.name = 'pusher';
worker.onWorkerStart = async (w) => {
  await ChannelClient.connect('127.0.0.1', channelPort);
  // push to one connection of this process
  ChannelClient.on(String(w.id), (data) => {
    const connection = w.connections.get(Number(data.to_connection_id));
    if (!connection) return console.log(`connection ${data.to_connection_id} not in worker ${w.id}`);
    connection.send(data.content);
  });
  // push to every connection of this process: the Channel already reached every process, so
  // { local: true } (netwright's broadcast alone would reach the whole cluster without a Channel)
  ChannelClient.on('broadcast', (data) => {
    w.broadcast(data.content, null, { local: true });
  });
};
worker.onWebSocketConnected = (connection) => {
  connection.send(`workerID:${worker.id} connectionID:${connection.id} connected`);
};

const httpWorker = new Worker(`http://127.0.0.1:${env.HTTP_PORT ?? 4237}`);
httpWorker.name = 'publisher';
httpWorker.onWorkerStart = () => ChannelClient.connect('127.0.0.1', channelPort);
httpWorker.onMessage = (connection, request) => {
  const toWorkerId = request.get('to_worker_id');
  const toConnectionId = request.get('to_connection_id');
  const content = String(request.get('content') ?? '');
  if (toWorkerId !== undefined && toConnectionId !== undefined) {
    ChannelClient.publish(String(toWorkerId), { to_connection_id: toConnectionId, content });
  } else {
    ChannelClient.publish('broadcast', { content });
  }
  connection.send('ok');
};

Worker.runAll();
