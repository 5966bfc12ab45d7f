// What every soak session shares, whatever its protocol: how its messages go
// out (the style) and the endings that do not depend on the protocol.
import { sleep } from './conn.mjs';

/**
 * Send the messages `make(size, last)` returns (the wire bytes; `last` marks the final
 * one) in a style: 'echo' (one at a time, each echo awaited), 'pipeline' (all in one
 * write, cut at random places) or 'slow' (written to a paused client socket, so the
 * server's sends back up, then resumed). `slowBulk()` writes the slow style's messages;
 * with `halfclose` the last echo is not awaited (the ending follows right behind it).
 */
export async function sendInStyle(ctx, conn, style, { make, waitAll, halfclose, slowBulk }) {
  const { rng } = ctx;
  if (style === 'echo') {
    const n = rng.int(1, 8);
    for (let i = 0; i < n; i++) {
      await conn.writeSplit(make(rng.size(16384), i === n - 1), rng);
      if (halfclose && i === n - 1) break;
      await waitAll('an echo');
    }
  } else if (style === 'pipeline') {
    const n = rng.int(2, 40);
    const wire = [];
    for (let i = 0; i < n; i++) wire.push(make(rng.size(16384), i === n - 1));
    await conn.writeSplit(Buffer.concat(wire), rng);
  } else {
    conn.pause();
    slowBulk();
    await sleep(rng.int(100, 600));
    conn.resume();
  }
}

/**
 * The slow style's bulk in bytes: usually 128-768 KiB, now and then 5-8 MiB — more than
 * the kernel's buffers hold (up to 4 MiB of send buffer on loopback), so the server's
 * own queue fills: onBufferFull → pauseRecv, drain → resumeRecv.
 */
export function writeBulk(ctx, conn, make) {
  const { rng } = ctx;
  const target = rng.chance(0.25) ? rng.int(5, 8) * 1024 * 1024 : rng.int(128 * 1024, 768 * 1024);
  for (let total = 0; total < target; ) {
    const wire = make(rng.int(1024, 16384), false);
    total += wire.length;
    conn.write(wire);
  }
}

/**
 * The endings every protocol has — 'close' (the client closes after every echo),
 * 'halfclose' (the client's FIN right behind its last message, every echo still due),
 * 'reset' and 'destroy' (what came so far must be a prefix of what was asked for).
 * Returns false for an ending it does not know.
 */
export async function endPlainly(ctx, conn, ending, { waitAll, verify }) {
  if (ending === 'close') {
    await waitAll();
    conn.end();
    await conn.waitClosed();
  } else if (ending === 'halfclose') {
    conn.end();
    await waitAll('every echo after a half-close');
    await conn.waitClosed('the server to close after a half-close');
  } else if (ending === 'reset' || ending === 'destroy') {
    await sleep(ctx.rng.int(0, 20));
    verify();
    if (ending === 'reset') conn.reset();
    else conn.destroy();
    await conn.closed;
  } else {
    return false;
  }
  return true;
}
