// A worker process's end of the master's relay: a unix socket pair the master
// created when it spawned the process.
import * as net from 'node:net';

import { MAX_BROKER_QUEUE, type Broker } from './Broker';
import { channelFrame, FrameReader, MAX_FRAME, Op, publishedChannel, publishFrame } from './relayFrames';

/** Interest value meaning "the relay keeps no count for this channel any more". */
export const INTEREST_FORGOTTEN = 0xffffffff;

export class RelayLink implements Broker {
  readonly backend = 'relay';
  onMessage: (channel: string, message: Buffer) => void = () => {};
  dropped = 0;
  private readonly socket: net.Socket;
  /** Other processes subscribed, as the relay last said; no entry: unknown, so publish. */
  private readonly others = new Map<string, number>();
  private readonly counting = new Map<number, (reached: number) => void>();
  private token = 0;
  private closed = false;
  private corked = false;

  constructor(fd: number) {
    this.socket = new net.Socket({ fd, readable: true, writable: true });
    // The link never keeps a process alive: the master's IPC channel decides that.
    this.socket.unref();
    const reader = new FrameReader((frame) => this.received(frame));
    this.socket.on('data', (chunk: Buffer) => {
      if (!reader.push(chunk)) this.socket.destroy();
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      for (const resolve of this.counting.values()) resolve(0);
      this.counting.clear();
    });
  }

  subscribe(channel: string): void {
    this.write(channelFrame(Op.Subscribe, channel));
  }

  unsubscribe(channel: string): void {
    this.write(channelFrame(Op.Unsubscribe, channel));
  }

  publish(channel: string, message: Buffer): boolean {
    if (!this.canQueue(message)) return false;
    this.write(publishFrame(channel, message));
    return true;
  }

  publishCounted(channel: string, message: Buffer): Promise<number> {
    if (!this.canQueue(message)) return Promise.resolve(0);
    const token = (this.token = (this.token + 1) >>> 0);
    return new Promise((resolve) => {
      this.counting.set(token, resolve);
      this.write(publishFrame(channel, message, token));
    });
  }

  mayHaveSubscribers(channel: string): boolean {
    return this.others.get(channel) !== 0;
  }

  state(): string {
    return this.closed ? 'down' : 'up';
  }

  close(): void {
    this.socket.destroy();
  }

  private canQueue(message: Buffer): boolean {
    if (this.closed || this.socket.writableLength > MAX_BROKER_QUEUE || message.length > MAX_FRAME - 65536) {
      this.dropped++;
      return false;
    }
    return true;
  }

  private write(frame: Buffer): void {
    if (this.closed) return;
    // Frames written in one task leave in one writev.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  private received(frame: Buffer): void {
    switch (frame[4]) {
      case Op.Publish: {
        const at = publishedChannel(frame);
        if (at) this.onMessage(at.channel, frame.subarray(at.messageStart));
        break;
      }
      case Op.Count: {
        if (frame.length < 13) break;
        const token = frame.readUInt32BE(5);
        const resolve = this.counting.get(token);
        this.counting.delete(token);
        resolve?.(frame.readUInt32BE(9));
        break;
      }
      case Op.Interest: {
        if (frame.length < 9) break;
        const others = frame.readUInt32BE(5);
        const channel = frame.toString('utf8', 9);
        if (others === INTEREST_FORGOTTEN) this.others.delete(channel);
        else this.others.set(channel, others);
        break;
      }
    }
  }
}
