// Clients for the cluster suites: ws clients of a runAll() chat gateway
// (test/fixtures/cluster-server.mjs) that know which worker process serves
// them, and the HTTP side of its pusher Worker.
// node --test runs every .mjs under test/ as a test file, this one included:
// importing it has no side effects beyond loading node modules.
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';

import { FIXTURES, Server, until } from '../fixtures/runall-helpers.mjs';

export const CLUSTER_SERVER = path.join(FIXTURES, 'cluster-server.mjs');

/** A runAll() chat gateway; `ports` holds the chat (websocket) and pusher (http) ports once started. */
export async function startGateway(t, env = {}) {
  const server = new Server(t, env, CLUSTER_SERVER);
  await server.start();
  const chat = /websocket:\/\/[\d.]+:(\d+)/.exec(server.output);
  const pusher = /http:\/\/[\d.]+:(\d+)/.exec(server.output);
  server.ports = { chat: Number(chat[1]), pusher: Number(pusher[1]) };
  await until(async () => (await server.workerPids()).every((p) => p.status === 'idle'), 'every worker process up', 10000);
  return server;
}

/** One ws client: every message it gets lands in `messages`; request() sends and waits for the next answer matching `expect`. */
export async function chatClient(port) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const client = { socket, messages: [], waiting: [] };
  socket.on('message', (data, binary) => {
    const text = binary ? data : data.toString();
    client.messages.push(text);
    for (const w of [...client.waiting]) {
      if (typeof text === 'string' && w.match(text)) {
        client.waiting.splice(client.waiting.indexOf(w), 1);
        w.resolve(text);
      }
    }
  });
  client.closed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
  client.next = (match, ms = 5000) =>
    new Promise((resolve, reject) => {
      const found = client.messages.find((m) => typeof m === 'string' && match(m));
      if (found !== undefined) {
        client.messages.splice(client.messages.indexOf(found), 1);
        return resolve(found);
      }
      const timer = setTimeout(() => reject(new Error(`no message matching ${match} within ${ms} ms at ${client.clientId ?? "a new client"} (pid ${client.pid}); got ${JSON.stringify(client.messages.slice(-5))}`)), ms);
      client.waiting.push({ match, resolve: (v) => { clearTimeout(timer); client.messages.splice(client.messages.indexOf(v), 1); resolve(v); } });
    });
  client.request = (text, prefix = text.split(' ')[0], ms) => {
    const answer = client.next((m) => m.startsWith(prefix), ms);
    socket.send(text);
    return answer;
  };
  client.close = () => socket.terminate();
  const info = JSON.parse(await client.request('id', '{'));
  Object.assign(client, info);
  return client;
}

/** Connects clients until at least `perProcess` are served by each of `processes` worker processes; returns them all. */
export async function spreadClients(port, processes = 2, perProcess = 3, limit = 200) {
  const clients = [];
  const byPid = new Map();
  while ([...byPid.values()].filter((n) => n >= perProcess).length < processes) {
    if (clients.length >= limit) throw new Error(`${limit} clients did not spread over ${processes} processes: ${JSON.stringify([...byPid])}`);
    const client = await chatClient(port);
    clients.push(client);
    byPid.set(client.pid, (byPid.get(client.pid) ?? 0) + 1);
  }
  return clients;
}

/** GET on the pusher Worker; resolves with the parsed JSON body. */
export function pusherGet(port, pathAndQuery) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: pathAndQuery, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (d) => { body += d; });
      response.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(new Error(`${pathAndQuery}: ${response.statusCode} ${body}`));
        }
      });
    });
    request.on('error', reject);
    request.setTimeout(5000, () => request.destroy(new Error(`${pathAndQuery}: no answer`)));
  });
}

/**
 * Waits until the cluster counts `n` subscribers of `topic`. A subscription in one process is
 * seen by a publisher in another once the relay has told it (one hop through the master); the
 * count's answer comes back the same way, so after it every process knows.
 */
export async function subscribed(server, topic, n) {
  await until(async () => (await pusherGet(server.ports.pusher, `/count?topic=${encodeURIComponent(topic)}`)).count === n, `${n} subscribers of ${topic}`, 10000);
}

export function closeAll(clients) {
  for (const c of clients) c.close();
}
