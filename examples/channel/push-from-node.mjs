// A plain Node program (no netwright server in it: node:http here, an express
// app alike) pushing into examples/channel/cluster-push.mjs through its Channel.
//   node examples/channel/cluster-push.mjs start      (in another shell)
//   node examples/channel/push-from-node.mjs          then: curl 'http://127.0.0.1:4238/?content=hi'
// Ports: PUSH_PORT (4238), CHANNEL_PORT (2206).
import http from 'node:http';

import { ChannelClient } from 'netwright';

const channel = new ChannelClient();
// Publishing while the Channel server is away: up to maxPendingMessages wait
// and go out on reconnect (every second); more are dropped and counted.
channel.connect('127.0.0.1', Number(process.env.CHANNEL_PORT ?? 2206));

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const sent = channel.publish('broadcast', { content: url.searchParams.get('content') ?? '' });
  res.end(sent ? 'ok\n' : `dropped (${channel.dropped} so far)\n`);
});
server.listen(Number(process.env.PUSH_PORT ?? 4238), '127.0.0.1', () => {
  console.log(`pushing into the cluster: http://127.0.0.1:${server.address().port}/?content=hello`);
});
