import { GetBucketVersioningCommand, HeadObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { inventoryBucket } from '../../lambdas/inventory-buckets/core';
import type { InventoryBucketEvent } from '../../lambdas/shared/contracts';
import { PreflightFailed } from '../../lambdas/shared/errors';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const BUCKET = { logicalId: 'Uploads', bucketName: 'orders-uploads' };
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({});
const plenty = () => 10 * 60 * 1000;
const options = { safetyMarginMs: 60_000, concurrency: 4 };
const event = (extra: Partial<InventoryBucketEvent> = {}): InventoryBucketEvent => ({ bucket: BUCKET, objectVersions: 'all', execution: EXECUTION, ...extra });

type Version = { Key: string; VersionId: string; IsLatest: boolean; Size: number; StorageClass?: string };
const version = (Key: string, VersionId: string, IsLatest: boolean, StorageClass = 'STANDARD', Size = 10): Version => ({ Key, VersionId, IsLatest, Size, StorageClass });

/** Two pages: versions then delete markers. */
function lists(versions: Version[], markers = 0) {
  s3Mock.on(ListObjectVersionsCommand).callsFake((i: { KeyMarker?: string }) =>
    i.KeyMarker === undefined
      ? { Versions: versions, IsTruncated: true, NextKeyMarker: 'm', NextVersionIdMarker: 'v' }
      : { DeleteMarkers: Array.from({ length: markers }, (_, n) => ({ Key: `gone-${n}`, VersionId: `d${n}`, IsLatest: true })), IsTruncated: false },
  );
}

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
});

async function refused(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PreflightFailed);
  return (err as Error).message;
}

describe('inventory-buckets', () => {
  it('counts current objects, noncurrent versions, delete markers, bytes and the versioning, across pages', async () => {
    lists([version('a', 'a2', true), version('a', 'a1', false), version('b', 'b1', true, 'GLACIER_IR', 5)], 2);
    const result = await inventoryBucket(s3, event(), plenty, options);
    expect(result).toMatchObject({
      status: 'DONE',
      versioning: 'Enabled',
      counts: { currentObjects: 2, noncurrentVersions: 1, deleteMarkers: 2, bytes: 25, archived: 0 },
      notCarried: 0,
    });
  });

  it('with objectVersions "current", counts the noncurrent versions and delete markers that will not be carried', async () => {
    lists([version('a', 'a2', true), version('a', 'a1', false, 'DEEP_ARCHIVE')], 3);
    const result = await inventoryBucket(s3, event({ objectVersions: 'current' }), plenty, options);
    // An archived noncurrent version is not carried, so it is no reason to refuse.
    expect(result).toMatchObject({ status: 'DONE', notCarried: 4, counts: { noncurrentVersions: 1, deleteMarkers: 3, archived: 0 } });
  });

  it('refuses archived versions (GLACIER, DEEP_ARCHIVE, Intelligent-Tiering archive tiers) once listed, naming the bucket, how many and 10 keys', async () => {
    const archived = Array.from({ length: 12 }, (_, i) => version(`old/${i}`, `v${i}`, true, i % 2 ? 'GLACIER' : 'DEEP_ARCHIVE'));
    lists([...archived, version('it/cold', 'c1', true, 'INTELLIGENT_TIERING'), version('it/warm', 'w1', true, 'INTELLIGENT_TIERING'), version('new', 'n1', true, 'GLACIER_IR')]);
    s3Mock.on(HeadObjectCommand, { Key: 'it/cold' }).resolves({ ArchiveStatus: 'DEEP_ARCHIVE_ACCESS' });
    s3Mock.on(HeadObjectCommand, { Key: 'it/warm' }).resolves({});
    const message = await refused(inventoryBucket(s3, event(), plenty, options));
    expect(message).toContain('bucket orders-uploads (Uploads) holds 13 object version(s) in an archive storage class');
    expect(message).toContain('"old/0", "old/1"');
    expect(message).toContain('and 3 more');
    expect(message).not.toContain('it/warm');
    expect(message).toMatch(/Restore them .*nothing was touched/);
    expect(s3Mock.commandCalls(HeadObjectCommand).map((c) => c.args[0].input.VersionId)).toEqual(['c1', 'w1']);
  });

  it('stops between pages when the invocation runs short, and goes on from the continuation', async () => {
    lists([version('a', 'a1', true)], 1);
    let remaining = 61_000;
    const first = await inventoryBucket(s3, event(), () => (remaining -= 2000), options);
    expect(first).toMatchObject({ status: 'CONTINUE', continuation: { keyMarker: 'm', versionIdMarker: 'v' } });
    const second = await inventoryBucket(s3, event({ continuation: first.continuation }), plenty, options);
    expect(second).toMatchObject({ status: 'DONE', counts: { currentObjects: 1, deleteMarkers: 1 } });
    expect(second.continuation.invocations).toBe(2);
  });

  it('reports a bucket whose versioning was never enabled as Never', async () => {
    s3Mock.on(GetBucketVersioningCommand).resolves({});
    lists([version('a', 'null', true)]);
    expect((await inventoryBucket(s3, event(), plenty, options)).versioning).toBe('Never');
  });
});
