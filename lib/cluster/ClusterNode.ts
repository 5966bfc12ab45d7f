// This process's place in the cluster: the calls that reach connections in
// other processes (publish, broadcast, sendTo, uids, counts), and the
// delivery of what other processes send here. Fan-out inside the process
// stays native; what crosses processes goes through one Broker.
//
// Channels: t:<worker>:<topic> (a worker's topic), b:<worker> (every
// connection of a worker), n:<node> (one process), u:<uid> (a uid's
// connections), q:all (questions to every process).
import type { TcpConnection } from '../connection/TcpConnection';
import { corkUntilMicrotask } from '../dispatcher';
import { ENV, registeredWorkers } from '../master/role';
import type { AnyWorker as Worker } from '../Worker';
import type { Broker } from './Broker';
import { clusterSettings } from './settings';
import { CLIENT_ID_LENGTH, dataOf, decode, encode, Flags, Kind, newNodeId, NODE_ID_LENGTH, payloadOf, Question, type Envelope } from './envelope';
import { RedisBroker } from './RedisBroker';
import { RelayLink } from './RelayLink';

/** How long a question to other processes waits for their answers. */
const QUERY_TIMEOUT_MS = 1000;
const ALL = 'q:all';

type Data = string | Buffer | Uint8Array;

interface PendingQuery {
  value: unknown;
  answers: number;
  expected: number;
  combine: (value: unknown, answer: unknown) => unknown;
  resolve: (value: unknown) => void;
  timer: NodeJS.Timeout;
}

/** A Worker's name across processes and hosts: its name, or unnamed, its creation order. */
export function workerKey(worker: Worker): string {
  return worker.name && worker.name !== 'none' ? worker.name : `#${worker._index}`;
}

let processNodeId: string | undefined;
/** This process's node id: the first 12 hex digits of every client id it gives out. */
export function localNodeId(): string {
  return (processNodeId ??= newNodeId());
}

export function clientIdOf(connectionId: number): string {
  return localNodeId() + (connectionId >>> 0).toString(16).padStart(8, '0');
}

function parseClientId(clientId: string): { node: string; connection: number } | null {
  if (typeof clientId !== 'string' || clientId.length !== CLIENT_ID_LENGTH || !/^[0-9a-f]+$/.test(clientId)) return null;
  return { node: clientId.slice(0, NODE_ID_LENGTH), connection: Number.parseInt(clientId.slice(NODE_ID_LENGTH), 16) };
}

function localConnection(id: number): TcpConnection | undefined {
  for (const worker of registeredWorkers()) {
    const connection = worker.connections.get(id);
    if (connection) return connection;
  }
  return undefined;
}

function workerByKey(key: string): Worker | undefined {
  return registeredWorkers().find((worker) => workerKey(worker) === key);
}

function makeBroker(): Broker | null {
  const settings = clusterSettings.value;
  if (settings?.redis !== undefined) return new RedisBroker(settings.redis, settings.prefix ?? 'netwright:');
  const fd = process.env[ENV.clusterFd];
  if (process.env[ENV.role] === 'worker' && fd) return new RelayLink(Number(fd));
  return null;
}

export class ClusterNode {
  readonly id = localNodeId();
  readonly broker: Broker | null = makeBroker();
  /** Local subscribers per topic channel. */
  private readonly topicCounts = new Map<string, number>();
  private readonly broadcastChannels = new Set<string>();
  private readonly uids = new Map<string, Set<TcpConnection>>();
  private readonly queries = new Map<number, PendingQuery>();
  private seq = 0;

  constructor() {
    if (!this.broker) return;
    this.broker.onMessage = (_channel, message) => this.received(message);
    this.broker.subscribe(`n:${this.id}`);
    this.broker.subscribe(ALL);
  }

  // ---- what this process has: topics, listeners, uids -------------------------

  topicAdded(worker: Worker, topic: string): void {
    const channel = `t:${workerKey(worker)}:${topic}`;
    const count = (this.topicCounts.get(channel) ?? 0) + 1;
    this.topicCounts.set(channel, count);
    if (count === 1) this.broker?.subscribe(channel);
  }

  topicRemoved(worker: Worker, topic: string): void {
    const channel = `t:${workerKey(worker)}:${topic}`;
    const count = (this.topicCounts.get(channel) ?? 0) - 1;
    if (count > 0) return void this.topicCounts.set(channel, count);
    this.topicCounts.delete(channel);
    this.broker?.unsubscribe(channel);
  }

  listening(worker: Worker): void {
    const channel = `b:${workerKey(worker)}`;
    if (this.broadcastChannels.has(channel)) return;
    this.broadcastChannels.add(channel);
    this.broker?.subscribe(channel);
  }

  uidBound(connection: TcpConnection, uid: string): void {
    let bound = this.uids.get(uid);
    if (!bound) this.uids.set(uid, (bound = new Set()));
    bound.add(connection);
    if (bound.size === 1) this.broker?.subscribe(`u:${uid}`);
  }

  uidUnbound(connection: TcpConnection, uid: string): void {
    const bound = this.uids.get(uid);
    if (!bound?.delete(connection) || bound.size > 0) return;
    this.uids.delete(uid);
    this.broker?.unsubscribe(`u:${uid}`);
  }

  // ---- reaching other processes ------------------------------------------------

  publish(worker: Worker, topic: string, data: Data): void {
    if (!this.broker) return;
    const key = workerKey(worker);
    const channel = `t:${key}:${topic}`;
    if (!this.broker?.mayHaveSubscribers(channel)) return;
    const { payload, flags } = payloadOf(data);
    this.broker.publish(channel, encode({ kind: Kind.Publish, origin: this.id, key, topic, flags, payload }));
  }

  broadcast(worker: Worker, data: Data): void {
    if (!this.broker) return;
    const key = workerKey(worker);
    const channel = `b:${key}`;
    if (!this.broker?.mayHaveSubscribers(channel)) return;
    const { payload, flags } = payloadOf(data);
    this.broker.publish(channel, encode({ kind: Kind.Broadcast, origin: this.id, key, flags, payload }));
  }

  sendTo(clientId: string, data: Data): boolean {
    const target = parseClientId(clientId);
    if (!target) return false;
    if (target.node === this.id) {
      const connection = localConnection(target.connection);
      return connection !== undefined && connection.send(data) !== false;
    }
    if (!this.broker) return false;
    const { payload, flags } = payloadOf(data);
    return this.broker.publish(`n:${target.node}`, encode({ kind: Kind.SendTo, origin: this.id, number: target.connection, flags, payload }));
  }

  closeClient(clientId: string, data?: Data): boolean {
    const target = parseClientId(clientId);
    if (!target) return false;
    if (target.node === this.id) {
      const connection = localConnection(target.connection);
      if (!connection || connection.status === 'closed') return false;
      connection.close(data);
      return true;
    }
    if (!this.broker) return false;
    const { payload, flags } = data === undefined ? { payload: undefined, flags: 0 } : payloadOf(data);
    const hasData = data === undefined ? 0 : Flags.HasData;
    return this.broker.publish(
      `n:${target.node}`,
      encode({ kind: Kind.Close, origin: this.id, number: target.connection, flags: flags | hasData, payload }),
    );
  }

  /** Sends to this uid's connections here and hands the message on for the others; returns how many here were written to. */
  sendToUid(uid: string, data: Data): number {
    const written = this.sendToLocalUid(uid, data);
    if (this.broker) {
      const { payload, flags } = payloadOf(data);
      this.broker.publish(`u:${uid}`, encode({ kind: Kind.SendToUid, origin: this.id, key: uid, flags, payload }));
    }
    return written;
  }

  isOnline(clientId: string): Promise<boolean> {
    const target = parseClientId(clientId);
    if (!target) return Promise.resolve(false);
    if (target.node === this.id) return Promise.resolve(this.isOpenHere(target.connection));
    return this.ask(`n:${target.node}`, Question.IsOnline, String(target.connection), false, (a, b) => a || b === true);
  }

  async getClientIdsByUid(uid: string): Promise<string[]> {
    const local = this.localClientIds(uid);
    const all = await this.ask(`u:${uid}`, Question.ClientIdsByUid, uid, local, (a, b) => (Array.isArray(b) ? a.concat(b.map(String)) : a));
    return all;
  }

  async isUidOnline(uid: string): Promise<boolean> {
    if (this.localClientIds(uid).length > 0) return true;
    return (await this.getClientIdsByUid(uid)).length > 0;
  }

  subscriberCount(worker: Worker, topic: string): Promise<number> {
    const key = workerKey(worker);
    return this.ask(ALL, Question.SubscriberCount, `${key}\n${topic}`, this.localSubscribers(key, topic), sum);
  }

  connectionCount(worker: Worker): Promise<number> {
    return this.ask(ALL, Question.ConnectionCount, workerKey(worker), worker.connections.size, sum);
  }

  // ---- answering other processes ------------------------------------------------

  private received(message: Buffer): void {
    const envelope = decode(message);
    if (!envelope || envelope.origin === this.id) return;
    // Messages that arrive together leave together: one write per connection.
    if (envelope.kind <= Kind.SendToUid) corkUntilMicrotask();
    switch (envelope.kind) {
      case Kind.Publish:
        workerByKey(envelope.key)?._publishLocal(envelope.topic, envelope.payload, (envelope.flags & Flags.Binary) !== 0);
        break;
      case Kind.Broadcast:
        workerByKey(envelope.key)?._broadcastLocal(envelope.payload, (envelope.flags & Flags.Binary) !== 0);
        break;
      case Kind.SendTo:
        localConnection(envelope.number)?.send(dataOf(envelope));
        break;
      case Kind.Close: {
        const connection = localConnection(envelope.number);
        if (connection) connection.close(envelope.flags & Flags.HasData ? dataOf(envelope) : undefined);
        break;
      }
      case Kind.SendToUid:
        this.sendToLocalUid(envelope.key, dataOf(envelope));
        break;
      case Kind.Query:
        this.answer(envelope);
        break;
      case Kind.Reply:
        this.replied(envelope);
        break;
    }
  }

  private answer(query: Envelope): void {
    let answer: unknown;
    switch (query.question) {
      case Question.IsOnline:
        answer = this.isOpenHere(Number(query.key));
        break;
      case Question.ClientIdsByUid:
        answer = this.localClientIds(query.key);
        break;
      case Question.SubscriberCount: {
        const newline = query.key.indexOf('\n');
        answer = this.localSubscribers(query.key.slice(0, newline), query.key.slice(newline + 1));
        break;
      }
      case Question.ConnectionCount:
        answer = workerByKey(query.key)?.connections.size ?? 0;
        break;
      default:
        return;
    }
    this.broker?.publish(
      `n:${query.origin}`,
      encode({ kind: Kind.Reply, origin: this.id, number: query.number, payload: JSON.stringify(answer) }),
    );
  }

  private ask<T>(channel: string, question: Question, argument: string, local: T, combine: (value: T, answer: unknown) => T): Promise<T> {
    const broker = this.broker;
    if (!broker) return Promise.resolve(local);
    const seq = (this.seq = (this.seq + 1) >>> 0);
    return new Promise<T>((resolve) => {
      const pending: PendingQuery = {
        value: local,
        answers: 0,
        expected: Infinity,
        combine: combine as PendingQuery['combine'],
        resolve: resolve as PendingQuery['resolve'],
        timer: setTimeout(() => this.settle(seq), QUERY_TIMEOUT_MS),
      };
      this.queries.set(seq, pending);
      void broker.publishCounted(channel, encode({ kind: Kind.Query, origin: this.id, number: seq, question, key: argument })).then((reached) => {
        pending.expected = reached;
        if (pending.answers >= reached) this.settle(seq);
      });
    });
  }

  private replied(reply: Envelope): void {
    const pending = this.queries.get(reply.number);
    if (!pending) return;
    let answer: unknown;
    try {
      answer = JSON.parse(reply.payload.toString('utf8'));
    } catch {
      return;
    }
    pending.value = pending.combine(pending.value, answer);
    if (++pending.answers >= pending.expected) this.settle(reply.number);
  }

  private settle(seq: number): void {
    const pending = this.queries.get(seq);
    if (!pending) return;
    this.queries.delete(seq);
    clearTimeout(pending.timer);
    pending.resolve(pending.value);
  }

  private isOpenHere(connectionId: number): boolean {
    const connection = localConnection(connectionId);
    return connection !== undefined && connection.status === 'established';
  }

  private localClientIds(uid: string): string[] {
    return [...(this.uids.get(uid) ?? [])].map((connection) => connection.clientId);
  }

  private localSubscribers(key: string, topic: string): number {
    return this.topicCounts.get(`t:${key}:${topic}`) ?? 0;
  }

  private sendToLocalUid(uid: string, data: Data): number {
    let written = 0;
    for (const connection of this.uids.get(uid) ?? []) if (connection.send(data) !== false) written++;
    return written;
  }
}

function sum(total: number, answer: unknown): number {
  return total + (typeof answer === 'number' && Number.isFinite(answer) ? answer : 0);
}

let node: ClusterNode | undefined;

/** This process's cluster node, made on first use (Worker.cluster must be set by then). */
export function clusterNode(): ClusterNode {
  if (!node) {
    clusterSettings.frozen = true;
    node = new ClusterNode();
  }
  return node;
}

/** Ends this process's link to the cluster (a plain listen() process stopping all its Workers). */
export function closeCluster(): void {
  node?.broker?.close();
}

/** Messages this process could not hand on to the cluster (0 before the node is made). */
export function clusterDropped(): number {
  return node?.broker?.dropped ?? 0;
}

/** 'relay up', 'redis reconnecting', ... or 'none' for a process outside any cluster. */
export function clusterState(): string {
  const broker = node?.broker;
  return broker ? `${broker.backend} ${broker.state()}` : 'none';
}
