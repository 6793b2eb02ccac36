// Random ids, injected so a seeded sandbox hands out the same ids on every run.
import { randomBytes } from 'node:crypto';

export interface IdSource {
  /** `bytes` random bytes as lowercase hex. */
  hex(bytes: number): string;
  uuid(): string;
}

export function createIdSource(seed?: number): IdSource {
  const fill = seed === undefined ? pooledRandomBytes() : seededBytes(seed);
  const hex = (bytes: number) => Buffer.from(fill(bytes)).toString('hex');
  return {
    hex,
    uuid() {
      const b = Buffer.from(fill(16));
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  };
}

/**
 * Cryptographic bytes drawn 4 KiB at a time: one `randomBytes` call per id cost more than the
 * rest of creating a row (a bulk create hands out hundreds of ids per request).
 */
function pooledRandomBytes(): (n: number) => Uint8Array {
  const POOL = 4096;
  let pool = randomBytes(POOL);
  let offset = 0;
  return (n) => {
    if (n > POOL) return randomBytes(n);
    if (offset + n > POOL) {
      pool = randomBytes(POOL);
      offset = 0;
    }
    offset += n;
    return pool.subarray(offset - n, offset);
  };
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
