// Workerman manual's "group send" with Channel: every process keeps its own
// group → connections map; a message to a group is published to every process
// through Channel, and each one delivers it to its local members.
//   node examples/channel/group-send.mjs start
//   websocat ws://127.0.0.1:1234
//     {"cmd":"add_group","group_id":"123"}
//     {"cmd":"send_to_group","group_id":"123","message":"hello group"}
// Ports: WS_PORT (1234), CHANNEL_PORT (2206); COUNT (4) processes; PID_FILE / LOG_FILE override the defaults.
import { ChannelClient, ChannelServer, Worker } from 'netwright';

const env = process.env;
const channelPort = Number(env.CHANNEL_PORT ?? 2206);
if (env.PID_FILE) Worker.pidFile = env.PID_FILE;
if (env.LOG_FILE) Worker.logFile = env.LOG_FILE;

new ChannelServer('127.0.0.1', channelPort);

/** group id → (connection id → connection), this process's members only. */
const groups = new Map();
/** connection → the groups it joined, to leave them on close. */
const joined = new WeakMap();

const worker = new Worker(`websocket://127.0.0.1:${env.WS_PORT ?? 1234}`);
worker.count = Number(env.COUNT ?? 4);
worker.name = 'groups';
worker.onWorkerStart = async () => {
  await ChannelClient.connect('127.0.0.1', channelPort);
  ChannelClient.on('send_to_group', ({ group_id, message }) => {
    for (const connection of groups.get(group_id)?.values() ?? []) connection.send(message);
  });
};
worker.onMessage = (connection, text) => {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return connection.send('{"error":"send JSON"}');
  }
  const groupId = String(data.group_id);
  switch (data.cmd) {
    case 'add_group': {
      if (!groups.has(groupId)) groups.set(groupId, new Map());
      groups.get(groupId).set(connection.id, connection);
      if (!joined.has(connection)) joined.set(connection, new Set());
      joined.get(connection).add(groupId);
      connection.send(`{"joined":${JSON.stringify(groupId)},"worker":${worker.id}}`);
      break;
    }
    case 'send_to_group':
      ChannelClient.publish('send_to_group', { group_id: groupId, message: String(data.message) });
      break;
  }
};
worker.onClose = (connection) => {
  for (const groupId of joined.get(connection) ?? []) {
    const members = groups.get(groupId);
    members?.delete(connection.id);
    if (members?.size === 0) groups.delete(groupId);
  }
};

Worker.runAll();
