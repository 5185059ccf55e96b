/**
 * Deterministic "random" identifiers for the simulated account: version IDs, upload IDs, message IDs,
 * the random suffixes AWS appends to generated names. Each service draws from its own seeded counter,
 * so a rehearsal run twice produces the same names (and the same logs) without any real randomness.
 */
import { createHash } from 'node:crypto';

export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const HEX = '0123456789abcdef';

export class IdSource {
  private counter = 0;

  constructor(private readonly seed: string) {}

  /** `length` characters from `alphabet`, different on every call. */
  next(length: number, alphabet: string = LOWER_ALNUM): string {
    let out = '';
    while (out.length < length) {
      const digest = createHash('sha256').update(`${this.seed}:${++this.counter}`).digest();
      for (const byte of digest) {
        if (out.length >= length) break;
        out += alphabet[byte % alphabet.length];
      }
    }
    return out;
  }

  /** A version-4-shaped UUID (the format SNS message IDs and Secrets Manager version IDs use). */
  uuid(): string {
    const h = this.next(32, HEX);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

/**
 * mulberry32: a small, well-distributed pseudo-random number generator in [0, 1). The same seed gives
 * the same sequence, so seeded environments and retry jitter replay exactly.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
