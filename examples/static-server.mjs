// A static file server: files under ROOT (default: this folder), streamed with
// Range and If-Modified-Since support; paths that leave the root — "..", its
// encodings, absolute paths, symlinks pointing outside — get 404.
//   ROOT=./public PORT=8080 node examples/static-server.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, Response } from 'netwright';
import { resolveStaticPath } from 'netwright/static';

const root = path.resolve(process.env.ROOT ?? path.dirname(fileURLToPath(import.meta.url)));
const worker = new Worker(`http://127.0.0.1:${process.env.PORT ?? 8080}`);

worker.onMessage = (connection, request) => {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return connection.send(new Response(405, { Allow: 'GET, HEAD' }, 'Method Not Allowed'));
  }
  const file = resolveStaticPath(root, request.path);
  if (!file) return connection.send(new Response(404, {}, 'Not Found'));
  connection.send(new Response().withFile(file));
};

worker.listen();
console.log(`serving ${root} on http://127.0.0.1:${worker.port}/`);
