// Cluster messages through Redis pub/sub, for processes on more than one host.
// Two connections per process: one subscribed (ioredis resubscribes after a
// reconnect), one that publishes. Nothing is queued while Redis is away: a
// publish then is dropped and counted, and local delivery goes on.
import type { Broker } from './Broker';

/** Publishes waiting for Redis's answer before more are dropped. */
const MAX_IN_FLIGHT = 10000;

/** What Worker.cluster.redis takes: a redis:// URL or ioredis options. */
export type RedisOptions = string | Record<string, unknown>;

interface RedisClient {
  status: string;
  on(event: string, listener: (...args: any[]) => void): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  publish(channel: string, message: Buffer): Promise<number>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  disconnect(): void;
}
type RedisConstructor = new (...args: unknown[]) => RedisClient;

function loadIoredis(): RedisConstructor {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require('ioredis') as { default?: RedisConstructor } & RedisConstructor;
    return module.default ?? module;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error("Worker.cluster.redis needs the 'ioredis' package, an optional peer dependency of netwright: npm install ioredis");
  }
}

function connect(Redis: RedisConstructor, options: RedisOptions, own: Record<string, unknown>): RedisClient {
  return typeof options === 'string' ? new Redis(options, own) : new Redis({ ...options, ...own });
}

export class RedisBroker implements Broker {
  readonly backend = 'redis';
  onMessage: (channel: string, message: Buffer) => void = () => {};
  dropped = 0;
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly subscribed = new Set<string>();
  private inFlight = 0;

  constructor(options: RedisOptions, private readonly prefix: string) {
    const Redis = loadIoredis();
    // No offline queues: nothing waits in memory for Redis. The subscriber
    // subscribes to every channel this process wants each time it is ready,
    // which also covers the (un)subscriptions made while Redis was away.
    this.publisher = connect(Redis, options, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.subscriber = connect(Redis, options, { enableOfflineQueue: false, autoResubscribe: false, maxRetriesPerRequest: 1 });
    // Errors show in state(); a connection that fails keeps retrying.
    this.publisher.on('error', () => {});
    this.subscriber.on('error', () => {});
    this.subscriber.on('ready', () => this.resubscribe());
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const name = channel.toString('utf8');
      if (name.startsWith(this.prefix)) this.onMessage(name.slice(this.prefix.length), message);
    });
  }

  subscribe(channel: string): void {
    this.subscribed.add(channel);
    if (this.subscriber.status === 'ready') this.subscriber.subscribe(this.prefix + channel).catch(() => {});
  }

  unsubscribe(channel: string): void {
    this.subscribed.delete(channel);
    if (this.subscriber.status === 'ready') this.subscriber.unsubscribe(this.prefix + channel).catch(() => {});
  }

  private resubscribe(): void {
    const channels = [...this.subscribed].map((channel) => this.prefix + channel);
    for (let i = 0; i < channels.length; i += 1000) this.subscriber.subscribe(...channels.slice(i, i + 1000)).catch(() => {});
  }

  publish(channel: string, message: Buffer): boolean {
    if (!this.canSend()) return false;
    this.send(channel, message).catch(() => {});
    return true;
  }

  async publishCounted(channel: string, message: Buffer): Promise<number> {
    if (!this.canSend()) return 0;
    try {
      const received = await this.send(channel, message);
      // Redis counts this process too when it subscribes to the channel itself.
      return Math.max(0, received - (this.subscribed.has(channel) && this.subscriber.status === 'ready' ? 1 : 0));
    } catch {
      return 0;
    }
  }

  mayHaveSubscribers(): boolean {
    return true;
  }

  state(): string {
    const a = this.publisher.status;
    const b = this.subscriber.status;
    if (a === 'ready' && b === 'ready') return 'up';
    return a === 'ready' ? b : a;
  }

  close(): void {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }

  private canSend(): boolean {
    if (this.publisher.status !== 'ready' || this.inFlight >= MAX_IN_FLIGHT) {
      this.dropped++;
      return false;
    }
    return true;
  }

  private async send(channel: string, message: Buffer): Promise<number> {
    this.inFlight++;
    try {
      return await this.publisher.publish(this.prefix + channel, message);
    } catch (error) {
      this.dropped++;
      throw error;
    } finally {
      this.inFlight--;
    }
  }
}
