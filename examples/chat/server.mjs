// A chat room on one port: an http:// worker serves the page and, on /chat,
// upgrades to WebSocket (worker.websocket); every message goes to everyone.
//   node examples/chat/server.mjs            then open http://127.0.0.1:8080/
//   PORT=8080 HOST=0.0.0.0 node examples/chat/server.mjs
//   TLS_CERT=cert.pem TLS_KEY=key.pem node examples/chat/server.mjs   (https, the chat on wss)
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpRequest, Response, Worker } from 'netwright';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAX_MESSAGE = 4096;

/**
 * Start the chat: returns { worker, port, url, online(), stop() }.
 * Port 0 picks a free one. With `ssl` ({ cert, key }: PEM or file paths) it is
 * https:// and the chat wss://.
 */
export async function startChat({ host = '127.0.0.1', port = 0, ssl } = {}) {
  const page = await fs.readFile(path.join(here, 'index.html'), 'utf8');
  const worker = new Worker(`${ssl ? 'https' : 'http'}://${host}:${port}`, { websocket: { path: '/chat' }, ssl });
  worker.name = 'chat';
  // worker.connections holds the page's HTTP connections too: the room is its WebSocket ones.
  const members = new Set();
  const presence = () => worker.broadcast(JSON.stringify({ type: 'presence', online: members.size }));

  worker.onWebSocketConnect = (connection) => {
    connection.maxPackageSize = MAX_MESSAGE;
  };
  worker.onWebSocketConnected = (connection) => {
    members.add(connection);
    presence();
  };
  worker.onMessage = (connection, data) => {
    if (data instanceof HttpRequest) return connection.send(pageResponse(data, page));
    if (typeof data !== 'string') return; // text only
    // every message goes to everyone, the sender included
    worker.broadcast(JSON.stringify({ type: 'message', from: connection.id, text: data }));
  };
  worker.onClose = (connection) => {
    if (members.delete(connection)) presence();
  };
  worker.listen();

  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    worker,
    port: worker.port,
    url: `${ssl ? 'https' : 'http'}://${shownHost}:${worker.port}/`,
    online: () => members.size,
    stop: () => worker.stop(),
  };
}

/** The page for GET / (and HEAD); 404 elsewhere, 405 for other methods. */
function pageResponse(request, page) {
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(405, { Allow: 'GET, HEAD' });
  if (request.path !== '/' && request.path !== '/index.html') return new Response(404, { 'Content-Type': 'text/plain' }, 'not found');
  return new Response(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, page);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const chat = await startChat({
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 8080),
    ssl: process.env.TLS_CERT ? { cert: process.env.TLS_CERT, key: process.env.TLS_KEY } : undefined,
  });
  console.log(`chat: open ${chat.url} (the page and its WebSocket on one port; Ctrl+C to stop)`);
  process.on('SIGINT', async () => {
    await chat.stop();
    process.exit(0);
  });
}
