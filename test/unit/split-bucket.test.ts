/**
 * split-bucket: a bucket that fits in one listing page is one open range; a larger one is cut into
 * ranges that cover its key space exactly, with real keys as bounds, none empty, each holding a
 * similar share of the entries (how similar is measured here on typical key names).
 */
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { KeyRange } from '../../lambdas/shared/contracts';
import { compareKeys } from '../../lambdas/shared/s3-objects';
import { splitBucket } from '../../lambdas/split-bucket/core';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-5', name: 'run-5' };
const PAIR = { logicalId: 'Uploads', sourceBucket: 'orders-uploads', destinationBucket: 'orders-tmp-uploads' };
const OPTIONS = { maxRanges: 8, minRangeEntries: 1000 };
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({});

/** A bucket of `keys` (sorted here), each with `versions(key)` entries, listed as S3 does: 1,000 entries a page, resuming after KeyMarker. */
function bucket(keys: string[], versions: (key: string) => number = () => 1): { entries: Map<string, number> } {
  const sorted = [...new Set(keys)].sort(compareKeys);
  const entries = new Map(sorted.map((k) => [k, versions(k)]));
  s3Mock.on(ListObjectVersionsCommand).callsFake((input: { KeyMarker?: string; MaxKeys?: number }) => {
    let lo = 0;
    let hi = sorted.length;
    if (input.KeyMarker !== undefined) {
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareKeys(sorted[mid] as string, input.KeyMarker) <= 0) lo = mid + 1;
        else hi = mid;
      }
    }
    const out: { Key: string; VersionId: string; IsLatest: boolean; Size: number }[] = [];
    const max = input.MaxKeys ?? 1000;
    let truncated = false;
    for (let i = lo; i < sorted.length && !truncated; i++) {
      const key = sorted[i] as string;
      for (let v = entries.get(key) as number; v > 0; v--) {
        if (out.length === max) {
          truncated = true;
          break;
        }
        out.push({ Key: key, VersionId: `v${v}`, IsLatest: v === 1, Size: 1 });
      }
    }
    return { Versions: out, IsTruncated: truncated, ...(truncated ? { NextKeyMarker: out.at(-1)?.Key, NextVersionIdMarker: out.at(-1)?.VersionId } : {}) };
  });
  return { entries };
}

/** Entries per range, checking that the ranges cover the key space exactly and none is empty. */
function shares(ranges: KeyRange[], entries: Map<string, number>): number[] {
  expect(ranges[0]!.after).toBeUndefined();
  expect(ranges.at(-1)!.upTo).toBeUndefined();
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.after).toBe(ranges[i - 1]!.upTo);
  const inRange = (k: string, r: KeyRange) => (r.after === undefined || compareKeys(k, r.after) > 0) && (r.upTo === undefined || compareKeys(k, r.upTo) <= 0);
  const counts = ranges.map(() => 0);
  for (const [k, n] of entries) {
    const holders = ranges.map((r, i) => (inRange(k, r) ? i : -1)).filter((i) => i >= 0);
    expect(holders).toHaveLength(1);
    counts[holders[0] as number] += n;
  }
  for (const r of ranges) if (r.upTo !== undefined) expect(entries.has(r.upTo)).toBe(true);
  expect(counts.every((c) => c > 0)).toBe(true);
  return counts;
}
const worst = (counts: number[]) => Math.max(...counts) / (counts.reduce((a, b) => a + b, 0) / counts.length);
const seeded = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

beforeEach(() => s3Mock.reset());

describe('split-bucket', () => {
  it('a bucket that fits in one page is one open range, after one request', async () => {
    bucket(Array.from({ length: 999 }, (_, i) => `k${i}`));
    const r = await splitBucket(s3, { pair: PAIR, execution: EXECUTION }, OPTIONS);
    expect(r).toEqual({ ranges: [{}], estimatedEntries: 999, requests: 1 });
  });

  it('sequence-numbered keys: 8 ranges, none over 1.3 times its share, the entries estimated within 5%', async () => {
    const { entries } = bucket(Array.from({ length: 20_000 }, (_, i) => `logs/${String(i).padStart(7, '0')}.json`));
    const r = await splitBucket(s3, { pair: PAIR, execution: EXECUTION }, OPTIONS);
    const counts = shares(r.ranges, entries);
    expect(counts).toHaveLength(8);
    expect(worst(counts)).toBeLessThan(1.3);
    expect(Math.abs(r.estimatedEntries - 20_000)).toBeLessThan(1_000);
  });

  it('random UUID keys with 1 to 3 versions each: 8 ranges, none over 1.3 times its share', async () => {
    const random = seeded(7);
    const hex = () => Math.floor(random() * 16).toString(16);
    const keys = Array.from({ length: 20_000 }, () => `${Array.from({ length: 8 }, hex).join('')}-${Array.from({ length: 4 }, hex).join('')}`);
    const { entries } = bucket(keys, (k) => 1 + (k.charCodeAt(3) % 3));
    const r = await splitBucket(s3, { pair: PAIR, execution: EXECUTION }, OPTIONS);
    const counts = shares(r.ranges, entries);
    expect(counts).toHaveLength(8);
    expect(worst(counts)).toBeLessThan(1.3);
  });

  // Balance is not promised here (split-bucket's doc comment: a page's density says little about
  // the gap between two folders); coverage is.
  it('uneven folders (a few users hold most objects): still several ranges, every key in exactly one, none empty', async () => {
    const keys: string[] = [];
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
    users.forEach((u, i) => {
      for (let n = 0; n < 150 * (i % 3 === 0 ? 12 : 1); n++) keys.push(`users/${u}/photos/${String(n).padStart(6, '0')}.jpg`);
    });
    const { entries } = bucket(keys);
    const r = await splitBucket(s3, { pair: PAIR, execution: EXECUTION }, OPTIONS);
    const counts = shares(r.ranges, entries);
    expect(counts.length).toBeGreaterThan(4);
  });

  it('cuts a range per 1,000 entries at most: 2,500 entries are 3 ranges, and maxRanges bounds the count', async () => {
    const { entries } = bucket(Array.from({ length: 2500 }, (_, i) => `k${String(i).padStart(5, '0')}`));
    const r = await splitBucket(s3, { pair: PAIR, execution: EXECUTION }, OPTIONS);
    expect(shares(r.ranges, entries)).toHaveLength(3);
    const two = await splitBucket(s3, { pair: PAIR, execution: EXECUTION, maxRanges: 2 }, OPTIONS);
    expect(shares(two.ranges, entries)).toHaveLength(2);
  });
});
