// Seeded randomness for the soak: every choice a client loop makes comes from
// its own generator, derived from the run's seed and the loop's index, so a
// seed replays the same choices (timing between loops still varies).

/** mulberry32: a small, fast 32-bit generator; good enough to pick test cases. */
export function generator(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    /** An integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    /** Pick by weight from [[weight, value], ...]. */
    weighted(pairs) {
      const total = pairs.reduce((s, [w]) => s + w, 0);
      let r = next() * total;
      for (const [w, v] of pairs) if ((r -= w) < 0) return v;
      return pairs[pairs.length - 1][1];
    },
    /** A message size: mostly small, sometimes a few KiB, rarely up to `max`. */
    size(max) {
      const r = next();
      if (r < 0.7) return rng.int(0, 200);
      if (r < 0.95) return rng.int(200, Math.min(8192, max));
      return rng.int(8192, max);
    },
    bytes(n) {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = (next() * 256) | 0;
      return out;
    },
    /** Printable text with some multi-byte UTF-8 (never '\r' or '\n'); about `n` bytes. */
    text(n) {
      let s = '';
      let bytes = 0;
      while (bytes < n) {
        const r = next();
        let ch;
        if (r < 0.9) ch = String.fromCharCode(32 + ((next() * 95) | 0));
        else if (r < 0.95) ch = 'é';
        else if (r < 0.98) ch = '日';
        else ch = '😀';
        s += ch;
        bytes += Buffer.byteLength(ch);
      }
      return s;
    },
    /** Cut `buf` into 1..maxPieces pieces at random offsets. */
    split(buf, maxPieces = 4) {
      const pieces = rng.int(1, maxPieces);
      if (pieces === 1 || buf.length < 2) return [buf];
      const cuts = new Set();
      for (let i = 1; i < pieces; i++) cuts.add(rng.int(1, buf.length - 1));
      const sorted = [...cuts].sort((x, y) => x - y);
      const out = [];
      let at = 0;
      for (const c of sorted) {
        out.push(buf.subarray(at, c));
        at = c;
      }
      out.push(buf.subarray(at));
      return out;
    },
  };
  return rng;
}

/** A seed for loop `index` of a run seeded `seed`. */
export function childSeed(seed, index) {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}
