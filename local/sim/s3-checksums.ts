/**
 * The checksum values S3 reports, computed over the bytes as S3 computes them, so that a step that
 * reads an object and hashes it gets the value S3 reports for it (and for its copy).
 *
 * "Checking object integrity in Amazon S3" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html):
 * - the value is the digest in big-endian bytes, base64-encoded (ChecksumCRC64NVME: "The Base64
 *   encoded, 64-bit CRC64NVME checksum of the object", API_HeadObject);
 * - a FULL_OBJECT checksum is the algorithm over the whole content, whatever the part layout;
 * - a COMPOSITE checksum of a multipart object is the algorithm over the concatenated binary part
 *   checksums, followed by "-<number of parts>" ("checksum of checksums").
 *
 * The simulator's writes are synchronous (seeding writes 10,000 objects without an event loop turn
 * each), and the SDK's own implementations (@aws-sdk/checksums Crc64Nvme, Crc32c) only digest
 * asynchronously, so the CRCs are computed here with the same table-driven, reflected algorithms
 * (CRC-64/NVME: poly 0x9a6c9329ac4bc9b5 reflected; CRC-32: 0xedb88320; CRC-32C: 0x82f63b78) and
 * test/sim/s3-checksums.test.ts proves every value equal to the SDK's on random data. SHA and MD5
 * come from node:crypto. XXHASH* have no implementation here: values of those algorithms are
 * stand-ins (see s3.ts); nothing in the workflow asks for them.
 */
import { createHash } from 'node:crypto';
import type { ChecksumAlgorithm } from '@aws-sdk/client-s3';
import { memoDigest } from './digest-memo';

function crc32Table(poly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
}

const CRC32_TABLE = crc32Table(0xedb88320);
const CRC32C_TABLE = crc32Table(0x82f63b78);

function crc32With(table: Uint32Array, data: Uint8Array): Buffer {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = (table[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out;
}

// CRC-64/NVME as two 32-bit halves (hi, lo), reflected: one table lookup per byte.
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
(() => {
  const POLY_HI = 0x9a6c9329;
  const POLY_LO = 0xac4bc9b5;
  for (let i = 0; i < 256; i++) {
    let hi = 0;
    let lo = i;
    for (let k = 0; k < 8; k++) {
      const lsb = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (lsb) {
        hi = (hi ^ POLY_HI) >>> 0;
        lo = (lo ^ POLY_LO) >>> 0;
      }
    }
    CRC64_HI[i] = hi;
    CRC64_LO[i] = lo;
  }
})();

function crc64nvme(data: Uint8Array): Buffer {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    const idx = (lo ^ (data[i] as number)) & 0xff;
    lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ (CRC64_LO[idx] as number)) >>> 0;
    hi = ((hi >>> 8) ^ (CRC64_HI[idx] as number)) >>> 0;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
  out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
  return out;
}

const NODE_HASH: Partial<Record<ChecksumAlgorithm, string>> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512', MD5: 'md5' };

/** Whether this module computes real values of the algorithm (otherwise s3.ts uses a stand-in). */
export function computable(algorithm: ChecksumAlgorithm): boolean {
  return algorithm === 'CRC32' || algorithm === 'CRC32C' || algorithm === 'CRC64NVME' || NODE_HASH[algorithm] !== undefined;
}

/** The binary digest of `data` under `algorithm`, or undefined for an algorithm this module does not compute. */
export function digestOf(algorithm: ChecksumAlgorithm, data: Uint8Array): Buffer | undefined {
  if (algorithm === 'CRC64NVME') return memoDigest(algorithm, data, crc64nvme);
  if (algorithm === 'CRC32') return memoDigest(algorithm, data, (d) => crc32With(CRC32_TABLE, d));
  if (algorithm === 'CRC32C') return memoDigest(algorithm, data, (d) => crc32With(CRC32C_TABLE, d));
  const node = NODE_HASH[algorithm];
  return node ? memoDigest(node, data, (d) => createHash(node).update(d).digest()) : undefined;
}

/** The FULL_OBJECT value S3 reports for these bytes (base64), or undefined when not computable here. */
export function fullObjectValue(algorithm: ChecksumAlgorithm, data: Uint8Array): string | undefined {
  return digestOf(algorithm, data)?.toString('base64');
}

/** The COMPOSITE value S3 reports for parts with these base64 checksums: base64(H(concat(part digests))) + "-N". */
export function compositeValue(algorithm: ChecksumAlgorithm, partValues: string[]): string | undefined {
  const digest = digestOf(algorithm, Buffer.concat(partValues.map((v) => Buffer.from(v, 'base64'))));
  return digest ? `${digest.toString('base64')}-${partValues.length}` : undefined;
}
