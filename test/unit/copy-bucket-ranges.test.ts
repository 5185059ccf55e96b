/**
 * copy-bucket with a key range (split-bucket's ranges, copied in parallel by several invocations):
 * only the range's keys are copied, mirror removes nothing outside it, and an invocation cut short
 * resumes inside its range.
 */
import { CopyObjectCommand, DeleteObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { copyBucket, type CopyOptions } from '../../lambdas/copy-bucket/core';
import type { CopyBucketEvent } from '../../lambdas/shared/contracts';
import { HistoryS3, marker, version } from './fixtures/copy-history-s3';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-4', name: 'run-4' };
const PAIR = { logicalId: 'Uploads', sourceBucket: 'orders-uploads', destinationBucket: 'orders-tmp-uploads' };
const OPTIONS: CopyOptions = { concurrency: 4, safetyMarginMs: 180_000 };
const PLENTY = () => 14 * 60 * 1000;

function world(): HistoryS3 {
  const s3 = new HistoryS3();
  s3.create(PAIR.sourceBucket, {}, {
    a: [version('a1', 'a')],
    b: [version('b1', 'b'), marker('b2')],
    c: [version('c1', 'c')],
    d: [version('d1', 'd')],
    e: [version('e1', 'e')],
  });
  // Keys the source no longer has, before, inside and after the range (b, d]: only "c2" is the range's.
  s3.create(PAIR.destinationBucket, {}, { a0: [version('x1', 'gone')], c2: [version('x2', 'gone')], d2: [version('x3', 'gone')], z: [marker('x4')] });
  return s3;
}
const keysOf = (s3: HistoryS3) => [...s3.bucket(PAIR.destinationBucket).keys].filter(([, h]) => h.length > 0).map(([k]) => k).sort();
const copiedKeys = (s3: HistoryS3) => s3.mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.Key).sort();

describe('copy-bucket key ranges', () => {
  it('copies only the keys after range.after up to and including range.upTo, and reports the range DONE', async () => {
    const s3 = world();
    const r = await copyBucket(s3.client, { pair: PAIR, execution: EXECUTION, range: { after: 'b', upTo: 'd' } }, PLENTY, OPTIONS);
    expect(r.status).toBe('DONE');
    expect(copiedKeys(s3)).toEqual(['c', 'd']);
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 2, deleteMarkersCopied: 0 });
    // Both listings start after the range's start.
    const starts = s3.mock.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input.KeyMarker);
    expect(starts.every((k) => k === 'b')).toBe(true);
  });

  it('open bounds: the first range copies from the first key, the last range to the last key, and together the ranges copy every key once', async () => {
    const s3 = world();
    for (const range of [{ upTo: 'b' }, { after: 'b', upTo: 'd' }, { after: 'd' }]) {
      const r = await copyBucket(s3.client, { pair: PAIR, execution: EXECUTION, range }, PLENTY, OPTIONS);
      expect(r.status).toBe('DONE');
    }
    expect(copiedKeys(s3)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(s3.history(PAIR.destinationBucket, 'b')).toHaveLength(2);
  });

  it('with mirror removes the keys the source no longer has inside its range only, never another range\'s', async () => {
    const s3 = world();
    const r = await copyBucket(s3.client, { pair: PAIR, execution: EXECUTION, mirror: true, range: { after: 'b', upTo: 'd' } }, PLENTY, OPTIONS);
    expect(r.status).toBe('DONE');
    expect(keysOf(s3)).toEqual(['a0', 'c', 'd', 'd2', 'z']);
    expect(r.continuation.totals.versionsRemoved).toBe(1);
    const removed = s3.mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key);
    expect(removed).toEqual(['c2']);
  });

  it('with mirror, the last (open) range removes what follows its start up to the end, the first (open) range what precedes its bound', async () => {
    const s3 = world();
    await copyBucket(s3.client, { pair: PAIR, execution: EXECUTION, mirror: true, range: { after: 'd' } }, PLENTY, OPTIONS);
    // d2 and z are after "d": this range's; c2 and a0 are not.
    expect(keysOf(s3)).toEqual(['a0', 'c2', 'e']);
    await copyBucket(s3.client, { pair: PAIR, execution: EXECUTION, mirror: true, range: { upTo: 'b' } }, PLENTY, OPTIONS);
    expect(keysOf(s3)).toEqual(['a', 'b', 'c2', 'e']);
  });

  it('an invocation cut short resumes inside its range: after its last key, not its start, and stops at its end', async () => {
    const s3 = world();
    const event: CopyBucketEvent = { pair: PAIR, execution: EXECUTION, range: { after: 'a', upTo: 'd' } };
    // One key per invocation: the budget is spent once a key has started.
    const first = await copyBucket(s3.client, event, () => 1000, { ...OPTIONS, concurrency: 1 });
    expect(first.status).toBe('CONTINUE');
    expect(first.continuation.lastKey).toBe('b');
    const second = await copyBucket(s3.client, { ...event, continuation: first.continuation }, PLENTY, OPTIONS);
    expect(second.status).toBe('DONE');
    expect(second.continuation.lastKey).toBe('d');
    expect(copiedKeys(s3)).toEqual(['b', 'c', 'd']);
    expect(second.continuation.totals).toMatchObject({ objectsCopied: 3, deleteMarkersCopied: 1 });
    const resumedAt = s3.mock.commandCalls(ListObjectVersionsCommand).slice(-2).map((c) => c.args[0].input.KeyMarker);
    expect(resumedAt).toEqual(['b', 'b']);
  });
});
