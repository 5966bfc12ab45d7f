// A chat room: a websocket:// worker that broadcasts every message to everyone,
// plus a tiny static HTTP server for the page.
//   node examples/chat/server.mjs            then open http://127.0.0.1:8080/
//   HTTP_PORT=8080 WS_PORT=8081 HOST=0.0.0.0 node examples/chat/server.mjs
//   TLS_CERT=cert.pem TLS_KEY=key.pem node examples/chat/server.mjs   (https page, wss)
// The page learns the WebSocket port from the HTML the HTTP server injects
// (window.CHAT_WS_PORT); ?ws=PORT in the page URL overrides it.
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'netwright';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAX_MESSAGE = 4096;

/**
 * Start the chat: returns { worker, httpServer, wsPort, httpPort, url, stop() }.
 * Ports 0 pick free ones. With `ssl` ({ cert, key }: PEM or file paths) the
 * page is served over https and the chat is wss.
 */
export async function startChat({ host = '127.0.0.1', httpPort = 0, wsPort = 0, ssl } = {}) {
  const worker = ssl ? new Worker(`wss://${host}:${wsPort}`, { ssl }) : new Worker(`websocket://${host}:${wsPort}`);
  worker.name = 'chat';
  worker.onWebSocketConnect = (connection) => {
    connection.maxPackageSize = MAX_MESSAGE;
  };
  worker.onWebSocketConnected = () => {
    worker.broadcast(JSON.stringify({ type: 'presence', online: worker.connections.size }));
  };
  worker.onMessage = (connection, data) => {
    if (typeof data !== 'string') return; // text only
    // every message goes to everyone, the sender included
    worker.broadcast(JSON.stringify({ type: 'message', from: connection.id, text: data }));
  };
  worker.onClose = () => {
    // the closing connection may still be counted while onClose runs
    setImmediate(() => worker.broadcast(JSON.stringify({ type: 'presence', online: worker.connections.size })));
  };
  worker.listen();

  const page = await fs.readFile(path.join(here, 'index.html'), 'utf8');
  const pemOf = (source) => (String(source).includes('-----BEGIN') ? source : fs.readFile(source));
  const pageTls = ssl ? { cert: await pemOf(ssl.cert), key: await pemOf(ssl.key) } : undefined;
  const handler = (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      const body = page.replace('/*CHAT_CONFIG*/', `window.CHAT_WS_PORT = ${worker.port};`);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  };
  const httpServer = pageTls ? https.createServer(pageTls, handler) : http.createServer(handler);
  await new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(httpPort, host, resolve);
  });
  const actualHttpPort = httpServer.address().port;
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    worker,
    httpServer,
    wsPort: worker.port,
    httpPort: actualHttpPort,
    url: `${ssl ? 'https' : 'http'}://${shownHost}:${actualHttpPort}/`,
    async stop() {
      httpServer.closeAllConnections?.();
      await new Promise((resolve) => httpServer.close(() => resolve()));
      await worker.stop();
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const chat = await startChat({
    host: process.env.HOST ?? '127.0.0.1',
    httpPort: Number(process.env.HTTP_PORT ?? 8080),
    wsPort: Number(process.env.WS_PORT ?? 8081),
    ssl: process.env.TLS_CERT ? { cert: process.env.TLS_CERT, key: process.env.TLS_KEY } : undefined,
  });
  console.log(`chat: open ${chat.url} (WebSocket on port ${chat.wsPort}; Ctrl+C to stop)`);
  process.on('SIGINT', async () => {
    await chat.stop();
    process.exit(0);
  });
}
