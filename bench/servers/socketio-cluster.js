'use strict';
// socket.io fan-out across processes: `node socketio-cluster.js PORT COUNT`, REDIS_URL (and
// REDIS_PREFIX) from the environment. COUNT worker processes of Node's `cluster` module share the
// port (Node 20's net has no SO_REUSEPORT; the primary accepts and hands each connection to a
// worker in turn, then stays idle); each runs socket.io (WebSocket transport only, no
// compression) with @socket.io/redis-adapter on ioredis, as its documentation sets it up. Every
// event "m" from any client is sent to every client of every process with io.emit('m', data),
// so the bytes a client gets, 42["m","<data>"], are exactly the bytes the publisher sent.
// The primary prints "ready PORT" once every worker listens.
const cluster = require('cluster');
const http = require('http');
const { port, ready, requirePeer } = require('./common');

const p = port();
const count = Number(process.argv[3] || 2);
const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.error('socketio-cluster: REDIS_URL is not set');
  process.exit(2);
}
// resolved in the primary too, so a missing package is reported before any fork
const { Server } = requirePeer('socket.io');
const { createAdapter } = requirePeer('@socket.io/redis-adapter');
const ioredis = requirePeer('ioredis');
const Redis = ioredis.default || ioredis;

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === count) ready(p);
  });
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    console.error(`socketio-cluster: worker ${w.process.pid} exited (${signal || code})`);
    process.exit(1);
  });
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < count; i++) cluster.fork();
} else {
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  const up = (client) => new Promise((resolve, reject) => (client.status === 'ready' ? resolve() : client.once('ready', resolve).once('error', reject)));
  Promise.all([up(pub), up(sub)]).then(
    () => {
      const server = http.createServer();
      const io = new Server(server, {
        transports: ['websocket'],
        perMessageDeflate: false,
        serveClient: false,
        adapter: createAdapter(pub, sub, { key: process.env.REDIS_PREFIX || 'socket.io' }),
      });
      io.on('connection', (socket) => {
        socket.on('m', (data) => io.emit('m', data));
      });
      server.listen(p, '127.0.0.1');
    },
    (e) => {
      console.error(`socketio-cluster: Redis at ${redisUrl}: ${e.message}`);
      process.exit(1);
    },
  );
}
