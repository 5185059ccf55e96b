import { createHash } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { recheckOriginal, type RecheckOriginalDeps } from '../../lambdas/recheck-original/core';
import { canonicalJson, statisticsDigest } from '../../lambdas/shared/canonical-json';
import type {
  DocumentRef, CloneOutput, ManifestEntry, ManifestRef, RecheckOriginalEvent, VerifyBucketResult } from '../../lambdas/shared/contracts';
import { OriginalChangedAfterVerification } from '../../lambdas/shared/errors';
import { storedManifest } from './fixtures/manifests';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const STACK = 'orders-prod';
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/cur';
const STATS_URL = 'https://orders.example/stats';

const cfnMock = mockClient(CloudFormationClient);
const s3Mock = mockClient(S3Client);
const stored = new Map<string, string>();
let statistics: unknown = { data: { customers: { count: 57 }, orders: { count: 9 } } };
let fetched = 0;

const deps: RecheckOriginalDeps = {
  cfn: new CloudFormationClient({}),
  s3: new S3Client({}),
  secrets: new SecretsManagerClient({}),
  fetch: async () => {
    fetched++;
    return { status: 200, text: async () => JSON.stringify(statistics) };
  },
};
const plenty = () => 10 * 60 * 1000;
const options = { safetyMarginMs: 60_000 };

const v = (key: string, versionId: string, size = 5): ManifestEntry => ({ key, versionId, size, etag: `e-${key}-${versionId}` });

const manifestRef = (bucket: string, entries: ManifestEntry[] = []): ManifestRef => storedManifest(stored, bucket, entries);

function verification(bucket: string, entries: ManifestEntry[]): VerifyBucketResult {
  const m = { objects: entries.length, versions: entries.length, deleteMarkers: 0, bytes: 0, digest: { sum: 'd'.repeat(64), count: entries.length } };
  return {
    status: 'EQUAL',
    pair: { logicalId: bucket, sourceBucket: bucket, destinationBucket: `${bucket}-copy` },
    source: m,
    destination: m,
    comparedBy: { etag: 0, checksum: 0, hashed: 0, notComparable: 0 },
    differences: [],
    differenceCount: 0,
    sourceManifest: manifestRef(bucket, entries),
  };
}

const DATA = [v('a', 'a2'), v('a', 'a1'), { key: 'b', versionId: 'b2', deleteMarker: true as const }, v('b', 'b1')];
const UPLOADS = [v('u/1', 'null', 10)];

/** The statistics response clone 1 kept in the workflow bucket (compare-statistics' document). */
function statisticsDocument(body: unknown): DocumentRef {
  const text = JSON.stringify(body);
  const key = 'runs/run-1/statistics/source.json';
  stored.set(key, text);
  return { bucket: 'workflow', key, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
}

function event(extra: Partial<RecheckOriginalEvent> = {}, copyExtra: Partial<CloneOutput> = {}): RecheckOriginalEvent {
  const data = { customers: { count: 57 }, orders: { count: 9 } };
  return {
    stackName: STACK,
    expectedStackId: STACK_ID,
    statistics: { outputKey: 'StatisticsUrl', timeoutSeconds: 5 },
    execution: EXECUTION,
    verifiedCopy: {
      outcome: 'EQUAL',
      sourceStackName: STACK,
      destinationStackName: `${STACK}-tmp-1a2b3c4d`,
      destinationStackId: 'arn:tmp',
      destinationDbInstances: [],
      version: '1.3.0',
      snapshots: [],
      copies: [],
      verification: [verification('orders-data', DATA), verification('orders-uploads', UPLOADS)],
      statistics: {
        status: 'EQUAL',
        source: { url: STATS_URL, ok: true, dataSha256: statisticsDigest(data), document: statisticsDocument({ data }) },
        destination: { url: 'https://tmp/stats', ok: true, dataSha256: statisticsDigest(data) },
        differences: [],
        differenceCount: 0,
        summary: 'equal',
      },
      ...copyExtra,
    },
    ...extra,
  };
}

/** Lists `entries` one per page, so a bucket takes several pages. */
function lists(bucket: string, entries: ManifestEntry[]) {
  const page = (i: number) => {
    const e = entries[i];
    const body = e?.deleteMarker
      ? { DeleteMarkers: [{ Key: e.key, VersionId: e.versionId, IsLatest: false }] }
      : e
        ? { Versions: [{ Key: e.key, VersionId: e.versionId, Size: e.size, ETag: `"${e.etag}"`, IsLatest: false }] }
        : {};
    const last = i >= entries.length - 1;
    return { ...body, IsTruncated: !last, ...(last ? {} : { NextKeyMarker: e!.key, NextVersionIdMarker: e!.versionId }) };
  };
  s3Mock.on(ListObjectVersionsCommand, { Bucket: bucket }).callsFake((i: { KeyMarker?: string; VersionIdMarker?: string }) => {
    if (i.KeyMarker === undefined) return page(0);
    return page(entries.findIndex((e) => e.key === i.KeyMarker && e.versionId === i.VersionIdMarker) + 1);
  });
}

beforeEach(() => {
  cfnMock.reset();
  s3Mock.reset();
  stored.clear();
  fetched = 0;
  statistics = { data: { orders: { count: 9 }, customers: { count: 57 } } };
  cfnMock.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [{ StackName: STACK, StackId: STACK_ID, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'StatisticsUrl', OutputValue: STATS_URL }] }],
  });
  cfnMock.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: ['orders-uploads', 'orders-data'].map((name) => ({
      LogicalResourceId: name,
      PhysicalResourceId: name,
      ResourceType: 'AWS::S3::Bucket',
      ResourceStatus: 'CREATE_COMPLETE' as const,
      LastUpdatedTimestamp: new Date(),
    })),
  });
  s3Mock.on(GetObjectCommand).callsFake((i: { Key: string }) => {
    const text = stored.get(i.Key);
    if (text === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => text, transformToByteArray: async () => new Uint8Array(Buffer.from(text)) } };
  });
  lists('orders-data', DATA);
  lists('orders-uploads', UPLOADS);
});

async function changed(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(OriginalChangedAfterVerification);
  const message = (err as Error).message;
  expect(message).toMatch(/^orders-prod changed after its copy was verified, so it was not deleted: the original keeps the data/);
  return message;
}

describe('recheck-original', () => {
  it('proves an unchanged original: every bucket lists what was verified, the statistics are those compared (key order aside)', async () => {
    const result = await recheckOriginal(deps, event(), plenty, options);
    expect(result.status).toBe('UNCHANGED');
    expect(result.buckets).toEqual([
      { bucketName: 'orders-data', verified: 4, listed: 4, unchanged: true },
      { bucketName: 'orders-uploads', verified: 1, listed: 1, unchanged: true },
    ]);
    expect(fetched).toBe(1);
  });

  it('continues across invocations keeping only the digest, and reads the statistics once', async () => {
    let remaining = 10 * 60 * 1000;
    const clock = () => (remaining -= 30_000);
    let result = await recheckOriginal(deps, event(), clock, { safetyMarginMs: 575_000 });
    const steps = [result.status];
    while (result.status === 'CONTINUE') {
      expect(JSON.stringify(result.continuation).length).toBeLessThan(1000);
      remaining = 10 * 60 * 1000;
      result = await recheckOriginal(deps, event({ continuation: result.continuation }), clock, { safetyMarginMs: 575_000 });
      steps.push(result.status);
    }
    expect(steps.length).toBeGreaterThan(2);
    expect(result.status).toBe('UNCHANGED');
    expect(fetched).toBe(1);
  });

  it('refuses a late write, naming the bucket, the counts and the added version', async () => {
    lists('orders-uploads', [...UPLOADS, v('uploads/late.bin', 'null', 12)]);
    const message = await changed(recheckOriginal(deps, event(), plenty, options));
    expect(message).toContain('bucket orders-uploads: 1 versions and delete markers verified, 2 listed now: added "uploads/late.bin" (version null, 12 bytes)');
    expect(message).not.toContain('orders-data:');
    expect(message).not.toContain('statistics:');
  });

  it('names removed and changed versions too, at most 20 over all buckets', async () => {
    const many = Array.from({ length: 30 }, (_, i) => v(`k${String(i).padStart(2, '0')}`, 'v1'));
    lists('orders-data', [v('a', 'a2', 6), ...DATA.slice(2), ...many]);
    const message = await changed(recheckOriginal(deps, event(), plenty, options));
    expect(message).toContain('changed "a" (version a2, 6 bytes)');
    expect(message).toContain('removed "a" (version a1, 5 bytes)');
    expect(message.match(/added "k/g)).toHaveLength(18);
  });

  it('refuses changed statistics, naming the values that moved', async () => {
    statistics = { data: { customers: { count: 58 }, orders: { count: 9 } } };
    const message = await changed(recheckOriginal(deps, event(), plenty, options));
    expect(message).toMatch(/statistics: changed since clone 1 compared them .*data\.customers\.count 57 → 58/);
  });

  it('refuses statistics it cannot read: unproven is not unchanged', async () => {
    statistics = { data: {} };
    expect(await changed(recheckOriginal(deps, event(), plenty, options))).toMatch(/could not be read .*cannot be proven unchanged/);
  });

  it('refuses a bucket of the stack with no verified manifest, before listing anything', async () => {
    const e = event();
    delete e.verifiedCopy.verification[1]!.sourceManifest;
    expect(await changed(recheckOriginal(deps, e, plenty, options))).toContain('bucket orders-uploads has no verified manifest in the copy');
    expect(s3Mock.commandCalls(ListObjectVersionsCommand)).toHaveLength(0);
  });

  it('refuses a stack that is no longer the one discovered', async () => {
    expect(await changed(recheckOriginal(deps, event({ expectedStackId: `${STACK_ID}-old` }), plenty, options))).toMatch(/not the discovered/);
  });

  it('compares with the digest clone 1 recorded, computed the same way (canonical JSON)', async () => {
    const e = event();
    e.verifiedCopy.statistics.source = { url: STATS_URL, ok: true, dataSha256: statisticsDigest({ orders: { count: 9 }, customers: { count: 57 } }) };
    expect((await recheckOriginal(deps, e, plenty, options)).status).toBe('UNCHANGED');
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every level, keeps array order, writes numbers one way', () => {
    expect(canonicalJson({ b: [2, { y: 1, x: 1.0 }], a: 'é' })).toBe('{"a":"é","b":[2,{"x":1,"y":1}]}');
    expect(statisticsDigest(JSON.parse('{"n":1e0,"m":[1,2]}'))).toBe(statisticsDigest({ m: [1, 2], n: 1 }));
    expect(statisticsDigest({ m: [2, 1] })).not.toBe(statisticsDigest({ m: [1, 2] }));
  });
});
