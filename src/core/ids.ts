// Random ids, injected so a seeded sandbox hands out the same ids on every run.
import { randomBytes } from 'node:crypto';

export interface IdSource {
  /** `bytes` random bytes as lowercase hex. */
  hex(bytes: number): string;
  uuid(): string;
}

export function createIdSource(seed?: number): IdSource {
  const source = seed === undefined ? pooledRandom() : seeded(seed);
  return {
    hex: source.hex,
    uuid() {
      const b = Buffer.from(source.bytes(16));
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  };
}

interface ByteSource {
  bytes(n: number): Uint8Array;
  hex(n: number): string;
}

/**
 * Cryptographic bytes drawn 4 KiB at a time, and their hex written once per pool: one
 * `randomBytes` call per id cost more than the rest of creating a row, and copying each id's
 * bytes into a Buffer to hex them was still ~0.4 µs an id (a bulk create hands out up to 1000).
 */
function pooledRandom(): ByteSource {
  const POOL = 4096;
  let pool = randomBytes(POOL);
  let poolHex = pool.toString('hex');
  let offset = 0;
  /** Where the next `n` bytes start, refilling the pool when they do not fit. */
  const take = (n: number): number => {
    if (offset + n > POOL) {
      pool = randomBytes(POOL);
      poolHex = pool.toString('hex');
      offset = 0;
    }
    offset += n;
    return offset - n;
  };
  return {
    bytes(n) {
      if (n > POOL) return randomBytes(n);
      const start = take(n);
      return pool.subarray(start, start + n);
    },
    hex(n) {
      if (n > POOL) return randomBytes(n).toString('hex');
      const start = take(n);
      return poolHex.slice(2 * start, 2 * (start + n));
    },
  };
}

function seeded(seed: number): ByteSource {
  const bytes = seededBytes(seed);
  return { bytes, hex: (n) => Buffer.from(bytes(n)).toString('hex') };
}

/** mulberry32: small, fast and good enough for ids that only need to be repeatable. */
function seededBytes(seed: number): (n: number) => Uint8Array {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const word = next();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (j * 8)) & 0xff;
    }
    return out;
  };
}
