/**
 * The simulated S3 remembers digests of large contents (local/sim/digest-memo.ts): a remembered
 * digest must answer only for exactly the bytes it was computed over.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoDigest } from '../../local/sim/digest-memo';
import { digestOf } from '../../local/sim/s3-checksums';

const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest();

describe('digest memo', () => {
  it('a buffer written into after its digest was remembered gets the digest of its new bytes', () => {
    const data = Buffer.alloc(1024 * 1024, 'abc');
    const before = memoDigest('sha256', data, sha256);
    data[12345] = 0x00;
    const after = memoDigest('sha256', data, sha256);
    expect(after.equals(sha256(data))).toBe(true);
    expect(after.equals(before)).toBe(false);
  });

  it('equal bytes in another buffer (or a range of one) get the same digest as computed directly', () => {
    const a = Buffer.alloc(2 * 1024 * 1024, 'xyz ');
    const first = digestOf('CRC64NVME', a);
    const copy = Buffer.concat([Buffer.from('-'), a]).subarray(1);
    let computed = 0;
    const again = memoDigest('CRC64NVME', copy, (d) => {
      computed++;
      return sha256(d);
    });
    expect(computed, 'remembered: not computed again').toBe(0);
    expect(again.equals(first!)).toBe(true);
    // A caller writing into the returned digest does not change what is remembered.
    again.fill(0);
    expect(digestOf('CRC64NVME', a)!.equals(first!)).toBe(true);
  });

  it('a content of another length is never answered from memory', () => {
    const a = Buffer.alloc(1024 * 1024, 'q');
    memoDigest('md5', a, (d) => createHash('md5').update(d).digest());
    const longer = Buffer.alloc(1024 * 1024 + 1, 'q');
    expect(memoDigest('md5', longer, (d) => createHash('md5').update(d).digest()).equals(createHash('md5').update(longer).digest())).toBe(true);
  });
});
