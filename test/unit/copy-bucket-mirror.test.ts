/**
 * copy-bucket's mirror (live sync's delta pass): the destination becomes a mirror of the frozen
 * source, removing the histories of keys the source no longer has, version by version, only within
 * each invocation's key range; without mirror nothing of the destination is removed.
 */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { copyBucket, type CopyOptions } from '../../lambdas/copy-bucket/core';
import type { CopyBucketEvent } from '../../lambdas/shared/contracts';
import { HistoryS3, marker, version } from './fixtures/copy-history-s3';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-3', name: 'run-3' };
const PAIR = { logicalId: 'Uploads', sourceBucket: 'orders-uploads', destinationBucket: 'orders-tmp-uploads' };
const OPTIONS: CopyOptions = { concurrency: 4, safetyMarginMs: 180_000 };
const PLENTY = () => 14 * 60 * 1000;
const MIRROR: CopyBucketEvent = { pair: PAIR, execution: EXECUTION, mirror: true };

/** The pre-copied destination: a, b (gone from the source since), c, d (gone, after the source's last key) and e (gone). */
function world(): HistoryS3 {
  const s3 = new HistoryS3();
  s3.create(PAIR.sourceBucket, {}, {
    a: [version('a1', 'a')],
    c: [version('c1', 'c'), version('c2', 'c, changed')],
  });
  s3.create(PAIR.destinationBucket, {}, {
    a: [version('x1', 'a')],
    b: [version('x2', 'b'), marker('x3'), version('x4', 'b again')],
    c: [version('x5', 'c')],
    d: [version('x6', 'd')],
    e: [marker('x7')],
  });
  return s3;
}
const keysOf = (s3: HistoryS3) => [...s3.bucket(PAIR.destinationBucket).keys].filter(([, h]) => h.length > 0).map(([k]) => k);
const deletes = (s3: HistoryS3) => s3.mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input);

describe('copy-bucket mirror', () => {
  it('removes every version and marker of the keys the source no longer has, between its keys and after its last, and copies what changed', async () => {
    const s3 = world();
    const r = await copyBucket(s3.client, MIRROR, PLENTY, OPTIONS);
    expect(r.status).toBe('DONE');
    expect(keysOf(s3)).toEqual(['a', 'c']);
    expect(s3.history(PAIR.destinationBucket, 'c')).toEqual(['c', 'c, changed']);
    expect(r.continuation.totals).toMatchObject({ versionsRemoved: 5, objectsCopied: 1, objectsSkipped: 2 });
  });

  it('removes by VersionId only, never writing a delete marker over a removed key', async () => {
    const s3 = world();
    await copyBucket(s3.client, MIRROR, PLENTY, OPTIONS);
    const removals = deletes(s3).filter((d) => ['b', 'd', 'e'].includes(d.Key as string));
    expect(removals).toHaveLength(5);
    for (const d of removals) {
      expect(d.Bucket).toBe(PAIR.destinationBucket);
      expect(d.VersionId).toBeDefined();
    }
    expect(deletes(s3).every((d) => d.Bucket === PAIR.destinationBucket)).toBe(true);
  });

  it('without mirror leaves the keys the source no longer has where they are and reports no removal', async () => {
    const s3 = world();
    const r = await copyBucket(s3.client, { pair: PAIR, execution: EXECUTION }, PLENTY, OPTIONS);
    expect(keysOf(s3)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(r.continuation.totals.versionsRemoved).toBeUndefined();
    expect(deletes(s3).filter((d) => ['b', 'd', 'e'].includes(d.Key as string))).toEqual([]);
  });

  it('removes only within its own key range: keys after the resume point of an invocation cut short wait for the next one', async () => {
    const s3 = world();
    // Every invocation starts one key; with the budget spent, it starts no second one: it stops after "a".
    const first = await copyBucket(s3.client, MIRROR, () => 1000, { ...OPTIONS, concurrency: 1 });
    expect(first.status).toBe('CONTINUE');
    expect(first.continuation.lastKey).toBe('a');
    // Nothing after "a" was touched yet.
    expect(keysOf(s3)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const second = await copyBucket(s3.client, { ...MIRROR, continuation: first.continuation }, PLENTY, OPTIONS);
    expect(second.status).toBe('DONE');
    expect(keysOf(s3)).toEqual(['a', 'c']);
    expect(second.continuation.totals.versionsRemoved).toBe(5);
  });

  it('removes a key walked past between two source keys in the invocation that passes it, and leaves those after its resume point', async () => {
    const s3 = world();
    let calls = 0;
    const r = await copyBucket(s3.client, MIRROR, () => (++calls > 1 ? 1000 : PLENTY()), { ...OPTIONS, concurrency: 1 });
    expect(r.status).toBe('CONTINUE');
    expect(r.continuation.lastKey).toBe('c');
    expect(keysOf(s3)).toEqual(['a', 'c', 'd', 'e']);
    expect(r.continuation.totals.versionsRemoved).toBe(3);
  });

  it('resumes removing after the source is exhausted: a drain cut short by the budget continues from the last key removed', async () => {
    const s3 = new HistoryS3();
    s3.create(PAIR.sourceBucket, {}, {});
    s3.create(PAIR.destinationBucket, {}, { p: [version('y1', 'p')], q: [version('y2', 'q')], r: [version('y3', 'r')] });
    const first = await copyBucket(s3.client, MIRROR, () => (deletes(s3).length > 0 ? 1000 : PLENTY()), { ...OPTIONS, concurrency: 1 });
    expect(first.status).toBe('CONTINUE');
    expect(first.continuation.lastKey).toBe('p');
    expect(keysOf(s3)).toEqual(['q', 'r']);
    const second = await copyBucket(s3.client, { ...MIRROR, continuation: first.continuation }, PLENTY, OPTIONS);
    expect(second.status).toBe('DONE');
    expect(keysOf(s3)).toEqual([]);
    expect(second.continuation.totals.versionsRemoved).toBe(3);
  });
});
