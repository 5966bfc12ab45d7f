// The master's relay: every worker process of the script is linked to it, and
// it forwards a published message to the processes subscribed to its channel,
// and only to them. It keeps the subscription table and tells each process,
// for the channels of topics and broadcasts, how many other processes
// subscribe, so a process whose subscribers are all local sends nothing.
//
// Each process's queue is bounded: a process that does not read loses
// messages, counted, and never grows the master's memory without bound.
//
// Subscriptions take effect as they are read; published messages are held
// until the next poll of the loop has read what every process wrote before
// them. Without that, a process's subscription could lose the race against a
// publish it caused (B subscribes, tells a client, the client makes A
// publish): reading A's socket to its end before B's would forward the
// publish first.
import type { Duplex } from 'node:stream';

import { MAX_BROKER_QUEUE } from './Broker';
import { INTEREST_FORGOTTEN } from './RelayLink';
import { asDelivery, countFrame, FrameReader, interestFrame, Op, publishedChannel } from './relayFrames';

/** Channels whose interest the relay announces (topics and broadcasts; not nodes, uids or queries). */
function announced(channel: string): boolean {
  return channel.startsWith('t:') || channel.startsWith('b:');
}

class Peer {
  readonly subscriptions = new Set<string>();
  /** What this process was last told about other processes' interest, per channel. */
  readonly told = new Map<string, number>();
  dropped = 0;
  constructor(readonly stream: Duplex) {}
}

export class Relay {
  /** Messages dropped because a process's queue was full. */
  dropped = 0;
  private readonly peers = new Set<Peer>();
  private readonly channels = new Map<string, Set<Peer>>();
  /** Publishes read in this turn of the loop, and those read in the previous one (forwarded next). */
  private readThisTurn: { peer: Peer; frame: Buffer }[] = [];
  private readLastTurn: { peer: Peer; frame: Buffer }[] = [];
  private turnScheduled = false;

  /** Links a worker process; the relay forgets it when the stream closes. */
  attach(stream: Duplex): void {
    const peer = new Peer(stream);
    this.peers.add(peer);
    const reader = new FrameReader((frame) => this.received(peer, frame));
    stream.on('data', (chunk: Buffer) => {
      if (!reader.push(chunk)) stream.destroy();
    });
    stream.on('error', () => {});
    stream.on('close', () => this.detach(peer));
    for (const channel of this.channels.keys()) if (announced(channel)) this.tell(peer, channel);
  }

  get processes(): number {
    return this.peers.size;
  }

  private detach(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    for (const channel of peer.subscriptions) this.remove(peer, channel);
  }

  private received(peer: Peer, frame: Buffer): void {
    switch (frame[4]) {
      case Op.Subscribe:
        return this.add(peer, frame.toString('utf8', 5));
      case Op.Unsubscribe:
        return this.remove(peer, frame.toString('utf8', 5));
      case Op.Publish:
      case Op.PublishCounted:
        this.readThisTurn.push({ peer, frame });
        this.scheduleTurn();
        return;
    }
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => this.endTurn());
  }

  /** After a poll: forwards what was read before it, holds what was read in it. */
  private endTurn(): void {
    this.turnScheduled = false;
    const ready = this.readLastTurn;
    this.readLastTurn = this.readThisTurn;
    this.readThisTurn = [];
    // What a process gets in one turn leaves in one writev.
    for (const peer of this.peers) peer.stream.cork();
    for (const { peer, frame } of ready) this.publish(peer, frame);
    for (const peer of this.peers) peer.stream.uncork();
    if (this.readLastTurn.length > 0) this.scheduleTurn();
  }

  private publish(peer: Peer, frame: Buffer): void {
    const at = publishedChannel(frame);
    if (!at) return;
    const reached = this.forward(peer, at.channel, asDelivery(frame));
    if (frame[4] === Op.PublishCounted && this.peers.has(peer)) peer.stream.write(countFrame(frame.readUInt32BE(5), reached));
  }

  private forward(from: Peer, channel: string, delivery: Buffer): number {
    const subscribers = this.channels.get(channel);
    if (!subscribers) return 0;
    let reached = 0;
    for (const peer of subscribers) {
      if (peer === from) continue;
      if (peer.stream.writableLength > MAX_BROKER_QUEUE) {
        peer.dropped++;
        this.dropped++;
        continue;
      }
      peer.stream.write(delivery);
      reached++;
    }
    return reached;
  }

  private add(peer: Peer, channel: string): void {
    let subscribers = this.channels.get(channel);
    if (!subscribers) this.channels.set(channel, (subscribers = new Set()));
    if (subscribers.has(peer)) return;
    subscribers.add(peer);
    peer.subscriptions.add(channel);
    if (announced(channel)) this.announce(channel);
  }

  private remove(peer: Peer, channel: string): void {
    const subscribers = this.channels.get(channel);
    if (!subscribers?.delete(peer)) return;
    peer.subscriptions.delete(channel);
    if (subscribers.size === 0) this.channels.delete(channel);
    if (announced(channel)) this.announce(channel);
  }

  private announce(channel: string): void {
    for (const peer of this.peers) this.tell(peer, channel);
  }

  /** Sends `peer` the number of other processes subscribed to `channel`, if that changed. */
  private tell(peer: Peer, channel: string): void {
    const subscribers = this.channels.get(channel);
    const others = subscribers ? subscribers.size - (subscribers.has(peer) ? 1 : 0) : INTEREST_FORGOTTEN;
    if ((peer.told.get(channel) ?? INTEREST_FORGOTTEN) === others) return;
    if (others === INTEREST_FORGOTTEN) peer.told.delete(channel);
    else peer.told.set(channel, others);
    peer.stream.write(interestFrame(channel, others));
  }
}
