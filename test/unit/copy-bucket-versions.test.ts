/**
 * The copy and the verification of versioned buckets, against the simulated S3 through the real SDK:
 * every version and delete marker of every key, in order, carried and proven; a destination history
 * that went wrong is found, named by key and version, and repaired by a resumed copy.
 */
import { DeleteObjectCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { copyBucket } from '../../lambdas/copy-bucket/core';
import type { BucketPair, CopyBucketEvent } from '../../lambdas/shared/contracts';
import { verifyBucket } from '../../lambdas/verify-bucket/core';
import type { SimAccount } from '../../local/sim/account';
import { simulatedAccountPerTest } from '../fixtures/sim-account';

const sim = simulatedAccountPerTest();
const EXECUTION = { id: 'arn:aws:states:us-east-1:123456789012:execution:Clone:run-1', name: 'run-1' };
const PAIR: BucketPair = { logicalId: 'Uploads', sourceBucket: 'src-uploads', destinationBucket: 'dst-uploads' };
const PLENTY = () => 14 * 60 * 1000;
const COPY = { concurrency: 4, safetyMarginMs: 180_000 };
const VERIFY = { concurrency: 4, safetyMarginMs: 180_000, hashMaxBytes: 1024 ** 3 };

function setUp(opts: { destinationVersioned?: boolean } = {}): { account: SimAccount; s3: S3Client } {
  const account = sim.setUp();
  process.env.WORKFLOW_BUCKET = 'workflow-docs';
  account.s3.createBucket('workflow-docs');
  account.s3.createBucket(PAIR.sourceBucket, { versioning: true });
  account.s3.createBucket(PAIR.destinationBucket, { versioning: opts.destinationVersioned ?? true });
  return { account, s3: new S3Client({}) };
}

/** a: 3 versions; b: version, delete marker (soft-deleted); c: version, marker, version; d: one version, tagged. */
async function seedHistory(s3: S3Client): Promise<void> {
  const put = (Key: string, Body: string, extra: Record<string, unknown> = {}) => s3.send(new PutObjectCommand({ Bucket: PAIR.sourceBucket, Key, Body, ...extra }));
  const del = (Key: string) => s3.send(new DeleteObjectCommand({ Bucket: PAIR.sourceBucket, Key }));
  await put('a', 'a1', { Metadata: { rev: '1' } });
  await put('a', 'a2 longer', { Metadata: { rev: '2' } });
  await put('a', 'a3', { ContentType: 'text/plain' });
  await put('b', 'b1');
  await del('b');
  await put('c', 'c1');
  await del('c');
  await put('c', 'c2');
  await put('d', 'd1', { Tagging: 'team=orders' });
}

function historyOf(account: SimAccount, bucket: string, key: string): string[] {
  const state = (account.s3 as unknown as { buckets: Map<string, { keys: Map<string, { deleteMarker: boolean; object?: { body?: Buffer } }[]> }> }).buckets.get(bucket);
  return (state?.keys.get(key) ?? []).map((e) => (e.deleteMarker ? '<marker>' : (e.object?.body?.toString() ?? '?')));
}

const copyEvent = (extra: Partial<CopyBucketEvent> = {}): CopyBucketEvent => ({ pair: PAIR, execution: EXECUTION, ...extra });

describe('copy-bucket and verify-bucket on versioned buckets', () => {
  it('recreates every version and delete marker of every key in order, and the verification proves it EQUAL', async () => {
    const { account, s3 } = setUp();
    await seedHistory(s3);

    const copied = await copyBucket(s3, copyEvent(), PLENTY, COPY);
    expect(copied.status).toBe('DONE');
    expect(copied.continuation.totals).toMatchObject({ objectsCopied: 7, deleteMarkersCopied: 2 });
    for (const key of ['a', 'b', 'c', 'd']) expect(historyOf(account, PAIR.destinationBucket, key), key).toEqual(historyOf(account, PAIR.sourceBucket, key));

    const verified = await verifyBucket(s3, { pair: PAIR, execution: EXECUTION, phase: 'c1' }, PLENTY, VERIFY);
    expect(verified).toMatchObject({ status: 'EQUAL', differenceCount: 0, source: { objects: 4, versions: 7, deleteMarkers: 2 } });
    expect(verified.source.digest).toEqual(verified.destination.digest);
    // The manifest names all nine entries of the source, under this clone's phase.
    expect(verified.sourceManifest).toMatchObject({ listedBucket: PAIR.sourceBucket, prefix: 'runs/run-1/manifests/c1/src-uploads', listing: { count: 9 } });

    // Run again: everything is identical, nothing is copied.
    const again = await copyBucket(s3, copyEvent(), PLENTY, COPY);
    expect(again.continuation.totals).toMatchObject({ objectsCopied: 0, objectsSkipped: 7, deleteMarkersCopied: 0 });
  });

  it('names a missing noncurrent version, a lost delete marker and changed metadata by key and version', async () => {
    const { s3 } = setUp();
    await seedHistory(s3);
    const dput = (Key: string, Body: string, extra: Record<string, unknown> = {}) => s3.send(new PutObjectCommand({ Bucket: PAIR.destinationBucket, Key, Body, ...extra }));
    // a: the noncurrent "a2" never arrived; b: no marker, other metadata; c: complete.
    await dput('a', 'a1', { Metadata: { rev: '1' } });
    await dput('a', 'a3', { ContentType: 'text/plain' });
    await dput('b', 'b1', { Metadata: { extra: 'x' } });
    await dput('c', 'c1');
    await s3.send(new DeleteObjectCommand({ Bucket: PAIR.destinationBucket, Key: 'c' }));
    await dput('c', 'c2');
    await dput('d', 'd1');
    await s3.send(new PutObjectTaggingCommand({ Bucket: PAIR.destinationBucket, Key: 'd', Tagging: { TagSet: [] } }));

    const r = await verifyBucket(s3, { pair: PAIR, execution: EXECUTION }, PLENTY, VERIFY);
    expect(r.status).toBe('MISMATCH');
    const found = r.differences.map((d) => `${d.key}#${d.version ?? '-'} ${d.problem}`);
    expect(found).toContain('a#2 SIZE_DIFFERS');
    expect(found).toContain('a#3 VERSION_MISSING');
    expect(found).toContain('b#1 METADATA_DIFFERS');
    expect(found).toContain('b#2 VERSION_MISSING');
    expect(found.some((f) => f.startsWith('c#'))).toBe(false);
    expect(r.source.digest).not.toEqual(r.destination.digest);
  });

  it('completes a destination history that is a prefix, clears one that is not, and never touches the source', async () => {
    const { account, s3 } = setUp();
    await seedHistory(s3);
    const before = ['a', 'b', 'c', 'd'].map((k) => historyOf(account, PAIR.sourceBucket, k));
    // a: the first version only (a resumed copy); c: a wrong first version.
    await s3.send(new PutObjectCommand({ Bucket: PAIR.destinationBucket, Key: 'a', Body: 'a1', Metadata: { rev: '1' } }));
    await s3.send(new PutObjectCommand({ Bucket: PAIR.destinationBucket, Key: 'c', Body: 'not c1' }));

    const r = await copyBucket(s3, copyEvent(), PLENTY, COPY);
    expect(r.continuation.totals).toMatchObject({ objectsSkipped: 1, versionsCleared: 1 });
    for (const key of ['a', 'b', 'c', 'd']) expect(historyOf(account, PAIR.destinationBucket, key), key).toEqual(historyOf(account, PAIR.sourceBucket, key));
    expect(['a', 'b', 'c', 'd'].map((k) => historyOf(account, PAIR.sourceBucket, k))).toEqual(before);
    expect((await verifyBucket(s3, { pair: PAIR, execution: EXECUTION }, PLENTY, VERIFY)).status).toBe('EQUAL');
  });

  it('refuses a history the unversioned destination cannot hold, naming objectVersions "current"; with "current" copies and verifies the current objects', async () => {
    const { account, s3 } = setUp({ destinationVersioned: false });
    await seedHistory(s3);

    await expect(copyBucket(s3, copyEvent(), PLENTY, COPY)).rejects.toMatchObject({ name: 'VersionHistoryNotCarried', message: expect.stringContaining('objectVersions "current"') as unknown });

    const current = await copyBucket(s3, copyEvent({ objectVersions: 'current' }), PLENTY, COPY);
    expect(current.status).toBe('DONE');
    expect(historyOf(account, PAIR.destinationBucket, 'a')).toEqual(['a3']);
    expect(historyOf(account, PAIR.destinationBucket, 'b')).toEqual([]);
    const verified = await verifyBucket(s3, { pair: PAIR, execution: EXECUTION, objectVersions: 'current' }, PLENTY, VERIFY);
    expect(verified).toMatchObject({ status: 'EQUAL', source: { objects: 3, versions: 3, deleteMarkers: 0 } });
    // Its manifest still names everything the source holds (what emptying it may delete).
    expect(verified.sourceManifest?.listing.count).toBe(9);
  });

  it('carries a key whose history spans listing pages (1,100 versions and 4 delete markers), proven EQUAL', async () => {
    const { account, s3 } = setUp();
    for (let v = 1; v <= 1100; v++) {
      account.s3.putObjectDirect(PAIR.sourceBucket, 'ledger', { body: `revision ${v}`, metadata: { revision: String(v) } });
      if (v % 250 === 0) void account.s3.operations.DeleteObject!({ Bucket: PAIR.sourceBucket, Key: 'ledger' });
    }
    account.s3.putObjectDirect(PAIR.sourceBucket, 'm-after', { body: 'after' });

    const copied = await copyBucket(s3, copyEvent(), PLENTY, COPY);
    expect(copied.continuation.totals).toMatchObject({ objectsCopied: 1101, deleteMarkersCopied: 4 });
    expect(historyOf(account, PAIR.destinationBucket, 'ledger')).toEqual(historyOf(account, PAIR.sourceBucket, 'ledger'));
    const verified = await verifyBucket(s3, { pair: PAIR, execution: EXECUTION }, PLENTY, VERIFY);
    expect(verified).toMatchObject({ status: 'EQUAL', source: { objects: 2, versions: 1101, deleteMarkers: 4 } });
  });

  it('verifies across invocations, resuming after the last key compared, with the same verdict and digests as in one go', async () => {
    const { s3 } = setUp();
    await seedHistory(s3);
    await copyBucket(s3, copyEvent(), PLENTY, COPY);
    const whole = await verifyBucket(s3, { pair: PAIR, execution: EXECUTION }, PLENTY, VERIFY);

    let calls = 0;
    // Two keys per invocation: the first key starts whatever the time left, the third finds it short.
    const short = () => (calls++ === 0 ? 14 * 60 * 1000 : 1000);
    let r = await verifyBucket(s3, { pair: PAIR, execution: EXECUTION }, () => short(), { ...VERIFY, concurrency: 1 });
    let invocations = 1;
    while (r.status === 'CONTINUE') {
      calls = 0;
      r = await verifyBucket(s3, { pair: PAIR, execution: EXECUTION, continuation: r.continuation }, () => short(), { ...VERIFY, concurrency: 1 });
      invocations++;
    }
    expect(invocations).toBe(2);
    expect(r.status).toBe('EQUAL');
    expect(r.source.digest).toEqual(whole.source.digest);
    expect(r.sourceManifest?.listing).toEqual(whole.sourceManifest?.listing);
  });
});
