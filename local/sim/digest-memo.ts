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
