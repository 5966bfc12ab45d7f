// What carries cluster messages between processes: the master's relay on one
// host, Redis across hosts. A process's ClusterNode talks to one of these and
// does not know which.

export type BrokerBackend = 'relay' | 'redis';

export interface Broker {
  readonly backend: BrokerBackend;
  /** Messages published by other processes on channels this process subscribed to. */
  onMessage: (channel: string, message: Buffer) => void;
  subscribe(channel: string): void;
  unsubscribe(channel: string): void;
  /** Hands a message on; false when it was dropped (queue full, backend down), which counts in `dropped`. */
  publish(channel: string, message: Buffer): boolean;
  /** Publishes and resolves with the number of other processes it reached (0 when dropped). */
  publishCounted(channel: string, message: Buffer): Promise<number>;
  /** False only when the broker knows that no other process subscribes to the channel. */
  mayHaveSubscribers(channel: string): boolean;
  /** Messages this process could not hand on. */
  readonly dropped: number;
  /** 'up', or the backend's own word for its state ('connecting', 'reconnecting', ...). */
  state(): string;
  close(): void;
}

/** Bytes a process may have queued towards its broker before messages are dropped. */
export const MAX_BROKER_QUEUE = 16 * 1024 * 1024;
