import { CopyObjectCommand, ListObjectVersionsCommand, type CopyObjectCommandInput } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { copyBucket, type CopyOptions } from '../../lambdas/copy-bucket/core';
import type { CopyBucketEvent } from '../../lambdas/shared/contracts';
import { COPY_SAFETY_MARGIN_MS } from '../../lambdas/steps';
import { awsError, FakeS3, putObject, type FakeObject } from '../fixtures/fake-s3';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-1', name: 'run-1' };
const PAIR = { logicalId: 'Uploads', sourceBucket: 'orders-prod-uploads', destinationBucket: 'orders-prod-tmp-uploads' };
const OPTIONS: CopyOptions = { concurrency: 8, safetyMarginMs: COPY_SAFETY_MARGIN_MS };
const PLENTY = () => 14 * 60 * 1000;
const EVENT: CopyBucketEvent = { pair: PAIR, execution: EXECUTION };

let s3: FakeS3;
beforeEach(() => {
  s3 = new FakeS3();
});

function objects(n: number): Record<string, FakeObject> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k/${String(i).padStart(3, '0')}`, putObject(`object ${i}`)]));
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('copy-bucket as one stream across pages', () => {
  it('lists the next source page while the current one is being copied', async () => {
    s3.pageSize = 3;
    s3.bucket(PAIR.sourceBucket, objects(9));
    s3.bucket(PAIR.destinationBucket);
    let sourceListingsAtFirstCopy = -1;
    s3.mock.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => {
      if (sourceListingsAtFirstCopy < 0) sourceListingsAtFirstCopy = s3.mock.commandCalls(ListObjectVersionsCommand, { Bucket: PAIR.sourceBucket }).length;
      return s3.copy(input);
    });

    const r = await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expect(sourceListingsAtFirstCopy).toBe(2);
    expect(s3.objects(PAIR.destinationBucket).size).toBe(9);
  });

  it('does not hold the next page back while a slow object of the current one is still copying', async () => {
    s3.pageSize = 2;
    s3.bucket(PAIR.sourceBucket, objects(6));
    s3.bucket(PAIR.destinationBucket);
    let lastPageStarted: () => void = () => undefined;
    const lastPage = new Promise<void>((resolve) => (lastPageStarted = resolve));
    s3.mock.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => {
      // The first object finishes only once the third page is being copied: a copy that waited
      // for each page to finish would never get there.
      if (input.Key === 'k/000') await lastPage;
      if (input.Key === 'k/004') lastPageStarted();
      return s3.copy(input);
    });

    const r = await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expect(s3.objects(PAIR.destinationBucket).size).toBe(6);
  });

  it('resumes after the last key it started when the budget runs out: every started key is finished, none is copied twice', async () => {
    s3.pageSize = 2;
    s3.bucket(PAIR.sourceBucket, objects(6));
    s3.bucket(PAIR.destinationBucket);
    let copies = 0;
    s3.mock.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => {
      copies++;
      return s3.copy(input);
    });
    const remaining = () => (copies >= 3 ? 1000 : 10 * 60 * 1000);

    const first = await copyBucket(s3.client, EVENT, remaining, { ...OPTIONS, concurrency: 1 });
    expect(first.status).toBe('CONTINUE');
    expect(first.continuation.totals.objectsCopied).toBe(3);
    expect(first.continuation.lastKey).toBe('k/002');

    const second = await copyBucket(s3.client, { ...EVENT, continuation: first.continuation }, PLENTY, OPTIONS);
    expect(second.status).toBe('DONE');
    expect(second.continuation.totals).toMatchObject({ objectsCopied: 6, objectsSkipped: 0 });
    expect(copies).toBe(6);
    expect(s3.objects(PAIR.destinationBucket).size).toBe(6);
  });

  it('tries a copy that S3 still throttled after the SDK retries again, and finishes the bucket', async () => {
    s3.bucket(PAIR.sourceBucket, objects(5));
    s3.bucket(PAIR.destinationBucket);
    let throttled = 0;
    s3.mock.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => {
      if (input.Key === 'k/002' && throttled < 2) {
        throttled++;
        throw awsError('SlowDown', 503);
      }
      return s3.copy(input);
    });

    const r = await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expect(throttled).toBe(2);
    expect(s3.objects(PAIR.destinationBucket).size).toBe(5);
  });

  it('has fewer copies in flight while S3 keeps pushing back (requests the SDK had to retry)', async () => {
    s3.bucket(PAIR.sourceBucket, objects(60));
    s3.bucket(PAIR.destinationBucket);
    let inFlight = 0;
    const peaks: number[] = [];
    s3.mock.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => {
      inFlight++;
      peaks.push(inFlight);
      await tick();
      inFlight--;
      return { ...s3.copy(input), $metadata: { attempts: 2 } };
    });

    await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(Math.max(...peaks.slice(0, 8))).toBe(8);
    expect(Math.max(...peaks.slice(-20))).toBeLessThanOrEqual(2);
    expect(s3.objects(PAIR.destinationBucket).size).toBe(60);
  });
});
