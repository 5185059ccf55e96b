/**
 * What verify-bucket reports to the workflow and the operator, exactly: the verdict, the differences
 * (by key and position, with their details, shortened for the state), the counts and digests, the
 * continuation an invocation hands to the next, the checksum jobs it asks for, the documents it
 * writes (the source's manifest, the full difference list, the pairs left to the jobs) and when it
 * refuses to answer at all. Against an in-memory versioned S3 (fixtures/verify-a-versioned-s3.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { BucketSide, ChecksumJobStatusResult, ObjectDifference, VerifyBucketEvent, VerifyBucketResult } from '../../lambdas/shared/contracts';
import { readyJobResult } from '../fixtures/job-results';
import { EMPTY_SET_DIGEST } from '../../lambdas/shared/manifest';
import { PART_ENTRIES, verifyBucket, type VerifyOptions } from '../../lambdas/verify-bucket/core';
import { MARKER, md5, VersionedS3, type VersionSpec } from './fixtures/verify-a-versioned-s3';

const WF = 'workflow';
process.env.WORKFLOW_BUCKET = WF;
const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-1', name: 'run-1' };
const PAIR = { logicalId: 'Uploads', sourceBucket: 'src', destinationBucket: 'dst' };
const EVENT: VerifyBucketEvent = { pair: PAIR, execution: EXECUTION };
const OPTIONS: VerifyOptions = { concurrency: 8, safetyMarginMs: 60_000, hashMaxBytes: 1024 ** 3 };
const PLENTY = () => 14 * 60_000;
/** Less than the safety margin: the first key of an invocation starts, no other does. */
const SHORT = () => 0;
const NONE = { etag: 0, checksum: 0, hashed: 0, batch: 0, notComparable: 0 };
const EMPTY: BucketSide = { objects: 0, versions: 0, deleteMarkers: 0, bytes: 0, digest: EMPTY_SET_DIGEST };
const MANIFEST_PREFIX = 'runs/run-1/manifests/src';
const proofPart = (n: number) => `runs/run-1/proofs/src/part-00000${n}.ndjson`;

let s3: VersionedS3;
beforeEach(() => {
  s3 = new VersionedS3();
  s3.bucket(PAIR.sourceBucket);
  s3.bucket(PAIR.destinationBucket);
});

const v = (content: string, extra: Partial<VersionSpec> = {}): VersionSpec => ({ content, ...extra });
/** Multipart, no checksum on either side: nothing the step can prove, left to the checksum jobs. */
const unprovable = (content: string): VersionSpec => ({ content, multipart: true, crc: false });
/** Counts of one side; its digest is asserted where the test is about it. */
const side = (objects: number, versions: number, deleteMarkers: number, bytes: number) => ({ objects, versions, deleteMarkers, bytes, digest: expect.objectContaining({ count: expect.any(Number) }) });
const docRef = (key: string) => ({ bucket: WF, key, bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
const lines = (key: string) => (s3.documents.get(`${WF}/${key}`)?.body ?? '').split('\n').filter(Boolean);
const manifestRef = (parts: number) => ({ listedBucket: 'src', bucket: WF, prefix: MANIFEST_PREFIX, parts, listing: expect.objectContaining({ count: expect.any(Number) }) });
const verify = (extra: Partial<VerifyBucketEvent> = {}, remaining = PLENTY, options: Partial<VerifyOptions> = {}) =>
  verifyBucket(s3.client, { ...EVENT, ...extra }, remaining, { ...OPTIONS, ...options });

describe('verify-bucket: differences by key and position', () => {
  it('names each missing, extra and changed key and version by position, in key order, with the counts the operator reads', async () => {
    s3.put('dst', '0-before', v('zz'));
    s3.put('src', 'a-more', v('m1'), v('m2'));
    s3.put('dst', 'a-more', v('m1'));
    s3.put('src', 'b-fewer', v('f1'));
    s3.put('dst', 'b-fewer', v('f1'), v('f2'));
    s3.put('src', 'c-gone', v('g1'), MARKER);
    s3.put('src', 'd-both', v('x1'), v('x2'));
    s3.put('dst', 'd-both', v('X1'), v('X2'));
    s3.put('dst', 'e-stray', v('s1'), MARKER);
    s3.put('src', 'f-same', v('same'));
    s3.put('dst', 'f-same', v('same'));

    const r = await verify();

    expect(r).toEqual({
      status: 'MISMATCH',
      pair: PAIR,
      source: side(5, 7, 1, 16),
      destination: side(6, 8, 1, 18),
      comparedBy: { ...NONE, etag: 5 },
      differences: [
        { key: '0-before', problem: 'EXTRA_AT_DESTINATION', detail: '1 version(s) and marker(s)' },
        { key: 'a-more', version: 2, problem: 'VERSION_MISSING', detail: '1 of 2 at the destination' },
        { key: 'b-fewer', version: 2, problem: 'EXTRA_AT_DESTINATION', detail: '2 at the destination, 1 expected' },
        { key: 'c-gone', problem: 'MISSING_AT_DESTINATION', detail: '2 version(s) and marker(s)' },
        { key: 'd-both', version: 1, problem: 'CONTENT_DIFFERS', detail: 'by etag' },
        { key: 'd-both', version: 2, problem: 'CONTENT_DIFFERS', detail: 'by etag' },
        { key: 'e-stray', problem: 'EXTRA_AT_DESTINATION', detail: '2 version(s) and marker(s)' },
      ],
      differenceCount: 7,
      sourceManifest: manifestRef(1),
    });
  });

  it('writes the source\'s every version and delete marker to its manifest, newest first per key, with sizes and ETags, and is EQUAL with no difference document', async () => {
    for (const bucket of ['src', 'dst']) {
      s3.put(bucket, 'a', v('a1'), v('a2 longer'), MARKER);
      s3.put(bucket, 'b', v('b1'));
    }
    const [a1, a2, aMarker] = s3.versionIds('src', 'a');
    const [b1] = s3.versionIds('src', 'b');

    const r = await verify();

    expect(r).toEqual({ status: 'EQUAL', pair: PAIR, source: side(2, 3, 1, 13), destination: side(2, 3, 1, 13), comparedBy: { ...NONE, etag: 3 }, differences: [], differenceCount: 0, sourceManifest: manifestRef(1) });
    expect(r.source.digest).toEqual(r.destination.digest);
    expect(lines(`${MANIFEST_PREFIX}/part-000001.ndjson`).map((l) => JSON.parse(l) as unknown)).toEqual([
      { key: 'a', versionId: aMarker, deleteMarker: true },
      { key: 'a', versionId: a2, size: 9, etag: md5('a2 longer') },
      { key: 'a', versionId: a1, size: 2, etag: md5('a1') },
      { key: 'b', versionId: b1, size: 2, etag: md5('b1') },
    ]);
  });

  it('shortens keys over 100 characters and details over 80 to fit the state, with an ellipsis, and keeps shorter ones whole', async () => {
    const key100 = 'k'.repeat(100);
    const key101 = 'l'.repeat(101);
    s3.put('src', key100, v('1'));
    s3.put('src', key101, v('2'));
    // One differing user metadata field names the detail: x-amz-meta-<name> is 80 and 81 characters.
    const name80 = 'm'.repeat(69);
    const name81 = 'n'.repeat(70);
    s3.put('src', 'meta-80', v('x', { head: { Metadata: { [name80]: 'before' } } }));
    s3.put('dst', 'meta-80', v('x', { head: { Metadata: { [name80]: 'after' } } }));
    s3.put('src', 'meta-81', v('y', { head: { Metadata: { [name81]: 'before' } } }));
    s3.put('dst', 'meta-81', v('y', { head: { Metadata: { [name81]: 'after' } } }));

    const r = await verify();

    expect(r.differences).toEqual([
      { key: key100, problem: 'MISSING_AT_DESTINATION', detail: '1 version(s) and marker(s)' },
      { key: `${'l'.repeat(99)}…`, problem: 'MISSING_AT_DESTINATION', detail: '1 version(s) and marker(s)' },
      { key: 'meta-80', version: 1, problem: 'METADATA_DIFFERS', detail: `x-amz-meta-${name80}` },
      { key: 'meta-81', version: 1, problem: 'METADATA_DIFFERS', detail: `x-amz-meta-${'n'.repeat(68)}…` },
    ]);
    expect(r.differences[1]?.key).toHaveLength(100);
    expect(r.differences[3]?.detail).toHaveLength(80);
  });
});

describe('verify-bucket: metadata', () => {
  it('compares the standard headers and the user metadata HeadObject reports, naming each field that differs in order', async () => {
    s3.put('src', 'doc', v('same', { head: { ContentType: 'text/plain', CacheControl: 'max-age=60', Metadata: { zeta: '1', alpha: '1', kept: 'k' } } }));
    s3.put('dst', 'doc', v('same', { head: { ContentType: 'text/html', CacheControl: 'max-age=60', Metadata: { zeta: '2', alpha: '2', kept: 'k' } } }));
    s3.put('src', 'page', v('p', { head: { ContentLanguage: 'en', ContentDisposition: 'inline', WebsiteRedirectLocation: '/new' } }));
    s3.put('dst', 'page', v('p', { head: { ContentLanguage: 'de', ContentDisposition: 'inline', WebsiteRedirectLocation: '/old' } }));

    const r = await verify();

    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([
      { key: 'doc', version: 1, problem: 'METADATA_DIFFERS', detail: 'ContentType, x-amz-meta-alpha, x-amz-meta-zeta' },
      { key: 'page', version: 1, problem: 'METADATA_DIFFERS', detail: 'ContentLanguage, WebsiteRedirectLocation' },
    ]);
  });

  it('treats an empty standard header as absent: empty on one side and missing on the other is EQUAL', async () => {
    s3.put('src', 'doc', v('same', { head: { ContentEncoding: '', ContentType: 'text/plain' } }));
    s3.put('dst', 'doc', v('same', { head: { ContentType: 'text/plain' } }));
    const r = await verify();
    expect(r).toMatchObject({ status: 'EQUAL', differences: [], differenceCount: 0 });
    expect(r.source.digest).toEqual(r.destination.digest);
  });
});

describe('verify-bucket: content rules', () => {
  it('does not trust matching ETags in a bucket whose default encryption is SSE-KMS, even for an object reported as SSE-S3: the checksums find the content different', async () => {
    s3.kmsDefault.add('src');
    const sse = { head: { ServerSideEncryption: 'AES256' as const } };
    s3.put('src', 'a', v('same-bytes', sse));
    s3.put('dst', 'a', v('othr-bytes', { ...sse, etag: md5('same-bytes') }));
    const r = await verify();
    expect(r).toMatchObject({ status: 'MISMATCH', comparedBy: { ...NONE, checksum: 1 }, differences: [{ key: 'a', version: 1, problem: 'CONTENT_DIFFERS', detail: 'by checksum' }] });
  });

  const totals = (objectsCopied: number, objectsSkipped: number, bytesCopied: number) => ({ objectsCopied, objectsSkipped, bytesCopied, multipartObjects: 0, deleteMarkersCopied: 0, versionsCleared: 0, requests: 0 });
  it.each([
    ['without the copy\'s totals', undefined, 'EQUAL', { ...NONE, hashed: 1 }],
    ['for a small bucket', totals(10, 0, 10_000), 'EQUAL', { ...NONE, hashed: 1 }],
    ['not for a bucket of five million objects the resumed copy skipped', totals(0, 5_000_000, 0), 'PROOF_NEEDED', NONE],
  ] as const)('reads and hashes a version only its CRC64NVME copy can prove %s', async (_what, bucketTotals, status, comparedBy) => {
    s3.put('src', 'big', { content: 'payload', multipart: true, crc: false });
    s3.put('dst', 'big', { content: 'payload', multipart: true });
    const r = await verify(bucketTotals ? { bucketTotals } : {});
    expect(r).toMatchObject({ status, comparedBy, differenceCount: 0 });
  });
});

describe('verify-bucket: invocations', () => {
  /** A clock that lets `keys` keys start in each invocation. */
  function keysPerInvocation(keys: number): () => number {
    let calls = 0;
    return () => (++calls < keys ? PLENTY() : 0);
  }

  it('carries the differences, their stored parts and the invocation count from one invocation to the next, keeping the first 20 in the state', async () => {
    for (let i = 0; i < 30; i++) s3.put('src', `k${String(i).padStart(2, '0')}`, v(`c${String(i).padStart(2, '0')}`));
    const missing = (i: number): ObjectDifference => ({ key: `k${String(i).padStart(2, '0')}`, problem: 'MISSING_AT_DESTINATION', detail: '1 version(s) and marker(s)' });
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => missing(from + i));
    const part = (n: number) => `runs/run-1/differences/src/part-00000${n}.ndjson`;

    const first = await verify({}, keysPerInvocation(15));
    const firstSource = side(15, 15, 0, 45);
    expect(first).toEqual({
      status: 'CONTINUE',
      pair: PAIR,
      source: firstSource,
      destination: EMPTY,
      comparedBy: NONE,
      differences: range(0, 15),
      differenceCount: 15,
      continuation: {
        lastKey: 'k14',
        source: firstSource,
        destination: EMPTY,
        comparedBy: NONE,
        differences: range(0, 15),
        differenceCount: 15,
        differenceParts: [docRef(part(1))],
        manifest: manifestRef(1),
        invocations: 1,
      },
    });

    const last = await verify({ continuation: first.continuation }, keysPerInvocation(15));
    expect(last).toEqual({
      status: 'MISMATCH',
      pair: PAIR,
      source: side(30, 30, 0, 90),
      destination: EMPTY,
      comparedBy: NONE,
      differences: range(0, 20),
      differenceCount: 30,
      differencesDocument: docRef('runs/run-1/differences/src/index.json'),
      sourceManifest: manifestRef(2),
    });
    const index = JSON.parse(s3.documents.get(`${WF}/runs/run-1/differences/src/index.json`)?.body ?? '{}') as unknown;
    expect(index).toEqual({ pair: PAIR, differenceCount: 30, parts: [docRef(part(1)), docRef(part(2))] });
    expect(lines(part(1)).map((l) => JSON.parse(l) as unknown)).toEqual(range(0, 15));
    expect(lines(part(2)).map((l) => JSON.parse(l) as unknown)).toEqual(range(15, 30));
    for (const n of [1, 2]) expect(s3.documents.get(`${WF}/${part(n)}`)?.contentType).toBe('application/x-ndjson');
  });

  it('starts another key with exactly the safety margin left', async () => {
    for (const k of ['a', 'b', 'c']) for (const bucket of ['src', 'dst']) s3.put(bucket, k, v(k));
    const r = await verify({}, () => OPTIONS.safetyMarginMs);
    expect(r).toMatchObject({ status: 'EQUAL', comparedBy: { ...NONE, etag: 3 } });
  });

  it('keeps at most `concurrency` keys in flight, so time that runs short while they are compared stops the invocation at the next key', async () => {
    for (const k of ['a', 'b', 'c', 'd']) for (const bucket of ['src', 'dst']) s3.put(bucket, k, v(k));
    s3.slowHeads = true;
    // Time runs short as soon as S3 has answered the first comparison's request.
    const r = await verify({}, () => (s3.headsAnswered > 0 ? 0 : PLENTY()), { concurrency: 1 });
    expect(r).toMatchObject({ status: 'CONTINUE', source: side(2, 2, 0, 2), comparedBy: { ...NONE, etag: 2 }, continuation: { lastKey: 'b' } });
  });

  it('fails with the S3 error when a comparison fails, and answers no verdict', async () => {
    for (const k of ['a', 'b', 'c']) for (const bucket of ['src', 'dst']) s3.put(bucket, k, v(k));
    s3.failingHeads.set('dst/b', Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    await expect(verify()).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('never calls a bucket EQUAL once a difference was counted, even when both sides\' digests agree', async () => {
    const counted: ObjectDifference = { key: 'a', version: 1, problem: 'CONTENT_DIFFERS', detail: 'by etag' };
    const continuation = {
      lastKey: 'a',
      source: EMPTY,
      destination: EMPTY,
      comparedBy: NONE,
      differences: [counted],
      differenceCount: 1,
      differenceParts: [],
      manifest: { listedBucket: 'src', bucket: WF, prefix: MANIFEST_PREFIX, parts: 0, listing: EMPTY_SET_DIGEST },
      invocations: 1,
    };
    const r = await verify({ continuation });
    expect(r).toEqual({ status: 'MISMATCH', pair: PAIR, source: EMPTY, destination: EMPTY, comparedBy: NONE, differences: [counted], differenceCount: 1, sourceManifest: { ...continuation.manifest } });
  });
});

describe('verify-bucket: versions left to the checksum jobs', () => {
  const WAIT = { label: 'checksum job', startedAt: '2026-01-01T00:00:00Z', timeoutSeconds: 21600, elapsedSeconds: 600, nextDelaySeconds: 0, attempt: 3 };
  function jobResult(name: string, rows: object[]): Promise<ChecksumJobStatusResult> {
    return readyJobResult(s3.client, WF, `checksum-jobs/run-1/${name}/checksums`, rows, WAIT);
  }

  it('asks for the jobs once every key is compared (PROOF_NEEDED, both sides\' manifests), then counts each version the jobs prove', async () => {
    for (const bucket of ['src', 'dst']) {
      s3.put(bucket, 'p', unprovable('p1'), unprovable('p2'));
      s3.put(bucket, 'q', v('qq'));
    }
    const [s1, s2] = s3.versionIds('src', 'p');
    const [d1, d2] = s3.versionIds('dst', 'p');

    const first = await verify();

    const counts = side(2, 3, 0, 6);
    expect(first).toEqual({
      status: 'PROOF_NEEDED',
      pair: PAIR,
      source: counts,
      destination: counts,
      comparedBy: { ...NONE, etag: 1 },
      differences: [],
      differenceCount: 0,
      continuation: {
        source: counts,
        destination: counts,
        comparedBy: { ...NONE, etag: 1 },
        differences: [],
        differenceCount: 0,
        differenceParts: [],
        manifest: manifestRef(1),
        invocations: 1,
        // The same pairs split by key for the second pass, as the jobs' results will be.
        pendingProof: { parts: [docRef(proofPart(1))], versions: 2, bytes: 4, partitioned: expect.objectContaining({ bucket: WF, key: 'runs/run-1/proofs/src/partitioned/index.json' }) },
      },
      proof: {
        versions: 2,
        bytes: 4,
        manifests: { source: { bucket: WF, key: 'checksum-jobs/run-1/src/source.csv' }, destination: { bucket: WF, key: 'checksum-jobs/run-1/src/destination.csv' } },
        reportPrefixes: { source: 'checksum-jobs/run-1/src/source-report', destination: 'checksum-jobs/run-1/src/destination-report' },
      },
    });
    expect(s3.documents.get(`${WF}/checksum-jobs/run-1/src/source.csv`)?.body).toBe(`src,p,${s1}\nsrc,p,${s2}\n`);
    expect(s3.documents.get(`${WF}/checksum-jobs/run-1/src/destination.csv`)?.body).toBe(`dst,p,${d1}\ndst,p,${d2}\n`);
    expect(s3.documents.get(`${WF}/${proofPart(1)}`)?.contentType).toBe('application/x-ndjson');

    const row = (bucket: string, versionId: string | undefined) => ({ bucket, key: 'p', versionId, checksum: 'AAAAAAAAAAA=', algorithm: 'CRC64NVME', type: 'FULL_OBJECT' });
    const proofResults = { source: await jobResult('s', [row('src', s1), row('src', s2)]), destination: await jobResult('d', [row('dst', d1), row('dst', d2)]) };
    const proven = await verify({ continuation: first.continuation, proofResults });
    expect(proven).toEqual({ status: 'EQUAL', pair: PAIR, source: counts, destination: counts, comparedBy: { ...NONE, etag: 1, batch: 2 }, differences: [], differenceCount: 0, sourceManifest: manifestRef(1) });
    expect(proven.source.digest).toEqual(proven.destination.digest);
  });

  it('stores the pairs left to the jobs by one invocation in one NDJSON document, one line per pair', async () => {
    for (const bucket of ['src', 'dst']) for (const k of ['a', 'b', 'c']) s3.put(bucket, k, unprovable(k));
    const r = await verify({}, PLENTY, { concurrency: 1 });
    expect(r).toMatchObject({ status: 'PROOF_NEEDED', proof: { versions: 3, bytes: 3 } });
    expect(r.continuation?.pendingProof).toEqual({ parts: [docRef(proofPart(1))], versions: 3, bytes: 3, partitioned: expect.objectContaining({ key: 'runs/run-1/proofs/src/partitioned/index.json' }) });
    expect(lines(proofPart(1))).toHaveLength(3);
    expect(lines('checksum-jobs/run-1/src/source.csv').map((row) => row.split(',')[1])).toEqual(['a', 'b', 'c']);
    expect(s3.documents.get(`${WF}/${proofPart(1)}`)?.contentType).toBe('application/x-ndjson');
  });

  it('carries pending versions through invocations cut short, until both listings are exhausted; then a copy that differs runs no job and names them NOT_COMPARABLE', async () => {
    for (const bucket of ['src', 'dst']) {
      s3.put(bucket, 'a', unprovable('aaa'));
      s3.put(bucket, 'b', v('bb'));
    }
    s3.put('dst', 'z', v('zz'));
    const pendingProof = { parts: [docRef(proofPart(1))], versions: 1, bytes: 3 };

    const first = await verify({}, SHORT);
    expect(first).toMatchObject({ status: 'CONTINUE', continuation: { lastKey: 'a' } });
    expect(first.continuation?.pendingProof).toEqual(pendingProof);

    // The source is exhausted after b, the destination is not: nothing is decided yet.
    const second = await verify({ continuation: first.continuation }, SHORT);
    expect(second).toMatchObject({ status: 'CONTINUE', comparedBy: { ...NONE, etag: 1 }, continuation: { lastKey: 'b' } });
    expect(second.continuation?.pendingProof).toEqual(pendingProof);

    const last: VerifyBucketResult = await verify({ continuation: second.continuation }, SHORT);
    expect(last).toEqual({
      status: 'MISMATCH',
      pair: PAIR,
      source: side(2, 2, 0, 5),
      destination: side(3, 3, 0, 7),
      comparedBy: { ...NONE, etag: 1, notComparable: 1 },
      differences: [
        { key: 'z', problem: 'EXTRA_AT_DESTINATION', detail: '1 version(s) and marker(s)' },
        { key: 'a', version: 1, problem: 'NOT_COMPARABLE', detail: 'source checksum job failed: no checksum job was run: the copy differs already' },
      ],
      differenceCount: 2,
      sourceManifest: manifestRef(2),
    });
  });
});

describe('verify-bucket: bounded memory on large buckets', () => {
  // Parts of 10 here stand for PART_ENTRIES (10,000) in Lambda: the same code paths in milliseconds,
  // with more differences (21) than the state holds (MAX_DIFFERENCES), so that they are stored too.
  const partEntries = 10;

  it('stores the source\'s manifest and the differences in parts as it goes, every one in the full list', async () => {
    expect(PART_ENTRIES).toBe(10_000);
    const n = 2 * partEntries + 1;
    s3.bucket('src', false);
    for (let i = 0; i < n; i++) s3.put('src', `k${String(i).padStart(5, '0')}`, v(`c${i}`));
    const r = await verify({}, PLENTY, { concurrency: 1, partEntries });
    expect(r).toMatchObject({ status: 'MISMATCH', differenceCount: n, sourceManifest: { parts: 3 } });
    expect([1, 2, 3].map((part) => lines(`${MANIFEST_PREFIX}/part-00000${part}.ndjson`).length)).toEqual([10, 10, 1]);
    const index = JSON.parse(s3.documents.get(`${WF}/runs/run-1/differences/src/index.json`)?.body ?? '{}') as { parts: { key: string }[] };
    expect(index.parts.map((p) => lines(p.key).length)).toEqual([10, 10, 1]);
  });

  it('stores the pairs left to the checksum jobs in parts as it goes, and hands every one to the jobs', async () => {
    const n = 2 * partEntries + 1;
    for (const bucket of ['src', 'dst']) {
      s3.bucket(bucket, false);
      for (let i = 0; i < n; i++) s3.put(bucket, `k${String(i).padStart(5, '0')}`, unprovable(`c${i}`));
    }
    const r = await verify({}, PLENTY, { concurrency: 1, partEntries });
    expect(r).toMatchObject({ status: 'PROOF_NEEDED', proof: { versions: n }, continuation: { pendingProof: { versions: n, parts: [docRef(proofPart(1)), docRef(proofPart(2)), docRef(proofPart(3))] } } });
    expect([lines(proofPart(1)).length, lines(proofPart(2)).length, lines(proofPart(3)).length]).toEqual([10, 10, 1]);
    expect(lines('checksum-jobs/run-1/src/source.csv')).toHaveLength(n);
  });
});
