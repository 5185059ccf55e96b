/**
 * Digests of large contents, remembered by content. Every fault run seeds an 11 MiB multipart
 * object and copies it twice; the simulated S3 hashed those bytes afresh each time (SHA-256 for its
 * identity, MD5 per part for the ETag, the table-driven CRC64NVME in JavaScript for the copy's
 * checksum): about a third of the CPU of a fault run. The same bytes give the same digest, so a
 * digest computed once is reused — for exactly the same bytes only: a hit needs a byte-for-byte
 * comparison with a private copy of the content the digest was computed over (a memcmp, a small
 * fraction of any hash), so no caller mutating its buffer afterwards can make a stale digest
 * answer. Small contents are hashed directly (cheaper than comparing and copying).
 */
import { Crc64NvmeJs, crc64NvmeCrtContainer } from '@aws-sdk/checksums/crc';

/** Below this, computing is cheaper than remembering. */
const MIN_BYTES = 256 * 1024;
/** At most this many contents are remembered (least recently used dropped first). */
const MAX_CONTENTS = 16;

interface Remembered {
  bytes: Buffer;
  digests: Map<string, Buffer>;
}

/** Most recently used last. */
const remembered: Remembered[] = [];

function find(data: Uint8Array): Remembered | undefined {
  for (let i = remembered.length - 1; i >= 0; i--) {
    const r = remembered[i] as Remembered;
    if (r.bytes.length === data.length && r.bytes.equals(data)) {
      if (i !== remembered.length - 1) {
        remembered.splice(i, 1);
        remembered.push(r);
      }
      return r;
    }
  }
  return undefined;
}

/**
 * `compute(data)` for `data` under the name `kind` (an algorithm: "sha256", "md5", "CRC64NVME"),
 * computed once per content. Returns a fresh Buffer each time (callers may write into it).
 */
export function memoDigest(kind: string, data: Uint8Array, compute: (data: Uint8Array) => Buffer): Buffer {
  if (data.length < MIN_BYTES) return compute(data);
  let r = find(data);
  const known = r?.digests.get(kind);
  if (known) return Buffer.from(known);
  const digest = compute(data);
  if (!r) {
    r = { bytes: Buffer.from(data), digests: new Map() };
    remembered.push(r);
    if (remembered.length > MAX_CONTENTS) remembered.shift();
  }
  r.digests.set(kind, Buffer.from(digest));
  return digest;
}

/**
 * The AWS SDK's CRC64NVME (@aws-sdk/checksums/crc Crc64NvmeJs, what verify-bucket hashes a version
 * it reads with: lambdas/shared/object-hash.ts) with its large updates remembered as above: the
 * state after `update(data)` is a pure function of the state before and of the bytes, so it is
 * remembered under the state before, for exactly those bytes (every fault run reads and hashes the
 * same 11 MiB archive, about a tenth of a run's CPU). The arithmetic is the SDK's own class; only a
 * repeat of the same bytes from the same state is answered from memory.
 */
class RememberingCrc64Nvme {
  readonly impl = new Crc64NvmeJs();

  update(data: Uint8Array): void {
    if (data.length < MIN_BYTES) return this.impl.update(data);
    const state = this.impl as unknown as Crc64State;
    const { c1, c2 } = state;
    const after = memoDigest(`sdk-crc64nvme-update:${c1 >>> 0}:${c2 >>> 0}`, data, (d) => {
      const h = new Crc64NvmeJs();
      Object.assign(h, { c1, c2 });
      h.update(d);
      const out = Buffer.alloc(8);
      out.writeUInt32BE((h as unknown as Crc64State).c1 >>> 0, 0);
      out.writeUInt32BE((h as unknown as Crc64State).c2 >>> 0, 4);
      return out;
    });
    state.c1 = after.readUInt32BE(0) | 0;
    state.c2 = after.readUInt32BE(4) | 0;
  }

  digest(): Promise<Uint8Array> {
    return this.impl.digest();
  }

  reset(): void {
    this.impl.reset();
  }
}

/** Crc64NvmeJs's running state (two 32-bit halves; private in its typings). */
interface Crc64State {
  c1: number;
  c2: number;
}

/**
 * Makes every `new Crc64Nvme()` of the SDK in this thread remember its large updates
 * (RememberingCrc64Nvme), through the SDK's own slot for another implementation
 * (crc64NvmeCrtContainer, where @aws-sdk/crc64-nvme-crt puts the native one). First checks on
 * bytes of its own that it answers exactly what the SDK computes, split and whole, first time and
 * remembered; if not (an SDK upgrade changed the class), it leaves the SDK alone. Returns the
 * function that puts back what was there. The fault catalogue uses it (local/faults/runner.ts);
 * nothing that measures a step's CPU does.
 */
export function rememberSdkCrc64Nvme(): () => void {
  const previous = crc64NvmeCrtContainer.CrtCrc64Nvme;
  if (previous === RememberingCrc64Nvme) return () => undefined;
  if (previous !== null || !rememberingAgrees()) return () => undefined;
  crc64NvmeCrtContainer.CrtCrc64Nvme = RememberingCrc64Nvme;
  return () => {
    if (crc64NvmeCrtContainer.CrtCrc64Nvme === RememberingCrc64Nvme) crc64NvmeCrtContainer.CrtCrc64Nvme = previous;
  };
}

let agrees: boolean | undefined;

/** Whether RememberingCrc64Nvme gives the SDK's own digests (checked once per thread). */
function rememberingAgrees(): boolean {
  if (agrees !== undefined) return agrees;
  const data = Buffer.alloc(MIN_BYTES * 2 + 11);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + (i >>> 9)) & 0xff;
  // Crc64NvmeJs computes in update; its digest only formats the state: equal states, equal digests.
  const stateAfter = (h: { update(d: Uint8Array): void }, state: Crc64State, chunks: Uint8Array[]): string => {
    for (const c of chunks) h.update(c);
    return `${state.c1 >>> 0}:${state.c2 >>> 0}`;
  };
  const probe = new Crc64NvmeJs() as unknown as Partial<Crc64State>;
  if (typeof probe.c1 !== 'number' || typeof probe.c2 !== 'number') return (agrees = false);
  const splits = [[data], [data.subarray(0, 5), data.subarray(5, MIN_BYTES + 5), data.subarray(MIN_BYTES + 5)]];
  agrees = true;
  for (const chunks of splits) {
    const plain = new Crc64NvmeJs();
    const expected = stateAfter(plain, plain as unknown as Crc64State, chunks);
    if (!/^\d+:\d+$/.test(expected) || expected === `${0xffffffff}:${0xffffffff}`) agrees = false;
    for (let round = 0; round < 2; round++) {
      const remembering = new RememberingCrc64Nvme();
      if (stateAfter(remembering, remembering.impl as unknown as Crc64State, chunks) !== expected) agrees = false;
    }
  }
  return agrees;
}
