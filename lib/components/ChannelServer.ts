// Workerman's Channel server: a Worker on frame://ip:port (count 1, name
// 'ChannelServer') that relays pub/sub events and in-memory queues between the
// ChannelClients of any processes. Messages are JSON objects (Workerman: PHP
// serialize) with the same types and fields:
//   client → server { type: 'subscribe' | 'unsubscribe' | 'watch' | 'unwatch' | 'reserve', channels: string[] }
//                   { type: 'publish' | 'enqueue', channels: string[], data }
//   server → client { type: 'event', channel, data } (publish) / { type: 'queue', channel, data } (queue)
// An empty frame is a ping. A message that is not one of these closes that
// connection (after { type: 'error', message }); the server keeps serving.
import type { TcpConnection } from '../connection/TcpConnection';
import { FrameServer, parseJsonObject } from './FrameServer';

export interface ChannelServerOptions {
  /** Messages waiting in all queues (enqueue without a consumer) at most; over it an enqueue is dropped and counted. Default 100000. */
  maxQueuedMessages?: number;
}

export interface ChannelServerCounters {
  /** publish messages received. */
  published: number;
  /** event messages handed to subscriber connections. */
  delivered: number;
  /** enqueue messages received / handed to consumers / dropped at maxQueuedMessages. */
  enqueued: number;
  consumed: number;
  queueDropped: number;
  /** Connections closed for a message that was not valid. */
  badRequests: number;
}

interface ChannelMessage {
  type: string;
  channels: string[];
  data?: unknown;
}

/** One queue: waiting messages, the connections watching it, and those with a credit (after reserve). */
class Queue {
  readonly items: unknown[] = [];
  readonly watchers = new Set<TcpConnection>();
  readonly consumers = new Set<TcpConnection>();
  constructor(readonly name: string) {}
}

export class ChannelServer extends FrameServer {
  readonly counters: ChannelServerCounters = { published: 0, delivered: 0, enqueued: 0, consumed: 0, queueDropped: 0, badRequests: 0 };
  private readonly maxQueuedMessages: number;
  private readonly subscribers = new Map<string, Set<TcpConnection>>();
  private readonly queues = new Map<string, Queue>();
  /** Per connection: its subscribed channels and watched queues, to forget them on close. */
  private readonly interests = new Map<TcpConnection, { channels: Set<string>; watched: Set<string> }>();
  private queuedMessages = 0;

  /** Workerman's `new Channel\Server($ip = '0.0.0.0', $port = 2206)`; `ip` may be `unix:///path`. */
  constructor(ip = '0.0.0.0', port = 2206, options: ChannelServerOptions = {}) {
    super(ip, port, 'ChannelServer');
    this.maxQueuedMessages = options.maxQueuedMessages ?? 100_000;
    this.worker.onClose = (connection) => this.forget(connection);
  }

  protected onMessage(connection: TcpConnection, payload: Buffer | string): void {
    if (payload.length === 0) return; // ping
    const message = parseMessage(payload);
    if (!message) return this.reject(connection, 'bad request');
    switch (message.type) {
      case 'subscribe':
        for (const channel of message.channels) this.subscribe(connection, channel);
        return;
      case 'unsubscribe':
        for (const channel of message.channels) this.unsubscribe(connection, channel);
        return;
      case 'publish':
        this.counters.published++;
        for (const channel of message.channels) this.publish(channel, message.data);
        return;
      case 'watch':
        for (const channel of message.channels) this.watch(connection, channel);
        return;
      case 'unwatch':
        for (const channel of message.channels) this.unwatch(connection, channel);
        return;
      case 'enqueue':
        for (const channel of message.channels) this.enqueue(channel, message.data);
        return;
      case 'reserve':
        this.reserve(connection);
        return;
      default:
        return this.reject(connection, `bad type ${message.type}`);
    }
  }

  private reject(connection: TcpConnection, reason: string): void {
    this.counters.badRequests++;
    connection.close(JSON.stringify({ type: 'error', message: reason }));
  }

  private interestOf(connection: TcpConnection): { channels: Set<string>; watched: Set<string> } {
    let interest = this.interests.get(connection);
    if (!interest) {
      interest = { channels: new Set(), watched: new Set() };
      this.interests.set(connection, interest);
    }
    return interest;
  }

  private subscribe(connection: TcpConnection, channel: string): void {
    let set = this.subscribers.get(channel);
    if (!set) this.subscribers.set(channel, (set = new Set()));
    set.add(connection);
    this.interestOf(connection).channels.add(channel);
  }

  private unsubscribe(connection: TcpConnection, channel: string): void {
    const set = this.subscribers.get(channel);
    if (set) {
      set.delete(connection);
      if (set.size === 0) this.subscribers.delete(channel);
    }
    this.interests.get(connection)?.channels.delete(channel);
  }

  /** To every subscriber of the channel, the publisher too when it subscribed; nobody subscribed: dropped (as Workerman). */
  private publish(channel: string, data: unknown): void {
    const set = this.subscribers.get(channel);
    if (!set || set.size === 0) return;
    const frame = JSON.stringify({ type: 'event', channel, data });
    for (const connection of set) {
      if (connection.send(frame) !== false) this.counters.delivered++;
    }
  }

  private queue(channel: string): Queue {
    let queue = this.queues.get(channel);
    if (!queue) this.queues.set(channel, (queue = new Queue(channel)));
    return queue;
  }

  private watch(connection: TcpConnection, channel: string): void {
    this.queue(channel).watchers.add(connection);
    this.interestOf(connection).watched.add(channel);
  }

  private unwatch(connection: TcpConnection, channel: string): void {
    const queue = this.queues.get(channel);
    if (queue) {
      queue.watchers.delete(connection);
      queue.consumers.delete(connection);
      this.dropIfIdle(queue);
    }
    this.interests.get(connection)?.watched.delete(channel);
  }

  private enqueue(channel: string, data: unknown): void {
    if (this.queuedMessages >= this.maxQueuedMessages) {
      this.counters.queueDropped++;
      return;
    }
    this.counters.enqueued++;
    const queue = this.queue(channel);
    queue.items.push(data);
    this.queuedMessages++;
    this.dispatch(queue);
  }

  /** Each watched queue gets one credit from this connection: its next message goes here. */
  private reserve(connection: TcpConnection): void {
    const interest = this.interests.get(connection);
    if (!interest) return;
    for (const channel of interest.watched) {
      const queue = this.queues.get(channel);
      if (!queue) continue;
      queue.consumers.add(connection);
      this.dispatch(queue);
    }
  }

  /** Waiting messages to the consumers in the order they reserved; each consumer takes one. */
  private dispatch(queue: Queue): void {
    while (queue.items.length > 0 && queue.consumers.size > 0) {
      const consumer = queue.consumers.values().next().value as TcpConnection;
      queue.consumers.delete(consumer);
      const data = queue.items.shift();
      this.queuedMessages--;
      this.counters.consumed++;
      consumer.send(JSON.stringify({ type: 'queue', channel: queue.name, data }));
    }
  }

  private dropIfIdle(queue: Queue): void {
    if (queue.watchers.size === 0 && queue.items.length === 0) this.queues.delete(queue.name);
  }

  private forget(connection: TcpConnection): void {
    const interest = this.interests.get(connection);
    if (!interest) return;
    this.interests.delete(connection);
    for (const channel of interest.channels) this.unsubscribe(connection, channel);
    for (const channel of interest.watched) this.unwatch(connection, channel);
  }
}

/** A valid message, or undefined. `channels` may be one string (sent as an array by clients). */
function parseMessage(payload: Buffer | string): ChannelMessage | undefined {
  const value = parseJsonObject(payload);
  if (!value) return undefined;
  const { type, channels, data } = value as { type?: unknown; channels?: unknown; data?: unknown };
  if (typeof type !== 'string') return undefined;
  const list = type === 'reserve' && channels === undefined ? [] : typeof channels === 'string' ? [channels] : channels;
  if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) return undefined;
  return { type, channels: list as string[], data };
}
