// A chat gateway in two processes that behave as one: rooms, users on several
// devices, and an HTTP worker in a third process that pushes into the chat.
//   node examples/cluster-chat.mjs start
//   ws://127.0.0.1:8080: send {"join":"lobby"}, {"room":"lobby","text":"hi"}, {"login":"alice"}
//   curl 'http://127.0.0.1:8081/push?room=lobby&text=hello'   (every member, whichever process serves it)
//   curl 'http://127.0.0.1:8081/notify?user=alice&text=ping'  (every device of alice)
//   curl 'http://127.0.0.1:8081/count?room=lobby'
// With REDIS_URL=redis://127.0.0.1:6379 (and `npm install ioredis`) every host
// that runs this script against that Redis is one chat.
import { Worker, Response } from 'netwright';

if (process.env.REDIS_URL) Worker.cluster = { redis: process.env.REDIS_URL };

const chat = new Worker(`websocket://127.0.0.1:${process.env.WS_PORT ?? 8080}`);
chat.name = 'chat';
chat.count = 2;
chat.onWebSocketConnected = (connection) => connection.send(JSON.stringify({ welcome: connection.clientId, process: chat.id }));
chat.onMessage = (connection, data) => {
  let message;
  try {
    message = JSON.parse(String(data));
  } catch {
    return connection.send(JSON.stringify({ error: 'send JSON' }));
  }
  if (message.login) connection.bindUid(String(message.login));
  if (message.join) connection.subscribe(String(message.join));
  if (message.room && message.text) {
    chat.publish(String(message.room), JSON.stringify({ room: message.room, from: connection.uid ?? connection.clientId, text: message.text }));
  }
};

const api = new Worker(`http://127.0.0.1:${process.env.HTTP_PORT ?? 8081}`);
api.name = 'api';
api.onMessage = async (connection, request) => {
  const text = String(request.get('text') ?? '');
  const reply = (body) => connection.send(new Response(200, { 'Content-Type': 'application/json' }, JSON.stringify(body)));
  switch (request.path) {
    case '/push':
      chat.publish(String(request.get('room') ?? 'lobby'), JSON.stringify({ room: request.get('room'), from: 'api', text }));
      return reply({ ok: true });
    case '/notify':
      Worker.sendToUid(String(request.get('user') ?? ''), JSON.stringify({ notice: text }));
      return reply({ online: await Worker.isUidOnline(String(request.get('user') ?? '')) });
    case '/count':
      return reply({ members: await chat.subscriberCount(String(request.get('room') ?? 'lobby')), connections: await chat.connectionCount() });
  }
  connection.send(new Response(404, {}, 'not found\n'));
};

Worker.runAll();
