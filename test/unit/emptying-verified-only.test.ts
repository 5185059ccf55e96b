/**
 * The emptying passes of delete-stack (lambdas/delete-stack/emptying.ts), called directly: the
 * original's buckets lose exactly the versions and delete markers their verified manifest names and
 * that are still listed as verified (nothing added, changed or named by no manifest), a manifest that
 * is out of order, incomplete or changed is refused before it is trusted, each pass resumes where the
 * previous invocation stopped, and S3's per-key failures come back as named errors.
 */
import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkAgainstManifest, deleteEverything, deleteVerified, type PassOutcome, type Unverified } from '../../lambdas/delete-stack/emptying';
import type { EmptyingPosition, ManifestEntry } from '../../lambdas/shared/contracts';
import { AwsRequestFailed, DocumentCorrupt } from '../../lambdas/shared/errors';
import { EMPTY_SET_DIGEST, manifestPartKey } from '../../lambdas/shared/manifest';
import { BUCKET, deleteMarker, digestOf, FakeS3, PREFIX, version } from './fixtures/emptying-s3';

const s3 = new FakeS3();
const never = () => false;
const always = () => true;
const part = (n: number) => manifestPartKey(PREFIX, n);
const ids = (entries: ManifestEntry[]) => entries.map((e) => ({ Key: e.key, VersionId: e.versionId }));
/** A position as the state machine hands it back: through JSON. */
const carried = (o: PassOutcome): EmptyingPosition | undefined => (o.finished ? undefined : (JSON.parse(JSON.stringify(o.position)) as EmptyingPosition));

// What verification saw of the bucket (listing order: UTF-8 bytes, so "é" and "ü" after "d"; newest first).
const a2 = version('a', 'a2');
const a1 = version('a', 'a1');
const bm = deleteMarker('b', 'bm');
const c1 = version('c', 'c1');
const d1 = version('d', 'd1');
const e1 = version('é', 'é1');
const u1 = version('ü', 'ü1');
const VERIFIED = [a2, a1, bm, c1, d1, e1, u1];
// The bucket now: a newer version of "a", a new key "aa", "c" rewritten under its version ID, "d" and "ü" gone.
const a3 = version('a', 'a3');
const aa1 = version('aa', 'aa1');
const c1Changed = version('c', 'c1', 6);
const NOW = [a3, a2, a1, aa1, bm, c1Changed, e1];

beforeEach(() => s3.reset(NOW));

describe('deleteVerified: only what the verified manifest names, as it was verified', () => {
  it('deletes the versions and delete markers listed as verified, and keeps what was added, changed or is named by no manifest', async () => {
    const deleted = { count: 0 };
    const outcome = await deleteVerified(s3.client, BUCKET, s3.manifest(VERIFIED, 2), undefined, deleted, never);

    expect(outcome).toEqual({ finished: true });
    expect(s3.deletions()).toEqual([ids([a2, a1, bm, e1])]);
    expect(deleted).toEqual({ count: 4 });
    expect(s3.live()).toEqual([a3, aa1, c1Changed]);
  });

  it('reads each part of the manifest once, in order, in a pass that runs to the end', async () => {
    await deleteVerified(s3.client, BUCKET, s3.manifest(VERIFIED, 2), undefined, { count: 0 }, never);

    expect(s3.partsRead()).toEqual([part(1), part(2), part(3), part(4)]);
  });

  it('sends no DeleteObjects request when nothing the manifest names is still listed as verified', async () => {
    s3.reset([a3, aa1, c1Changed]);
    const deleted = { count: 0 };
    const outcome = await deleteVerified(s3.client, BUCKET, s3.manifest([a1, c1]), undefined, deleted, never);

    expect(outcome).toEqual({ finished: true });
    expect(s3.deletions()).toEqual([]);
    expect(deleted.count).toBe(0);
  });

  it('deletes in requests of at most 1,000 versions (the DeleteObjects limit)', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => version(`k${String(i).padStart(4, '0')}`, 'v1'));
    s3.reset(many);
    const deleted = { count: 0 };
    await deleteVerified(s3.client, BUCKET, s3.manifest(many), undefined, deleted, never);

    expect(s3.deletions().map((objects) => objects.length)).toEqual([1000, 1]);
    expect(deleted.count).toBe(1001);
    expect(s3.live()).toEqual([]);
  });

  it('makes progress in every invocation, stopping only at a key boundary with its deletions sent, and resumes there', async () => {
    // Parts of two entries: "b"'s versions straddle parts 1 and 2.
    const b2 = version('b', 'b2');
    const b1 = version('b', 'b1');
    const c = version('c', 'c1');
    const entries = [a1, b2, b1, c];
    s3.reset(entries);
    const ref = s3.manifest(entries, 2);
    const deleted = { count: 0 };
    const outcomes: PassOutcome[] = [];
    let from: EmptyingPosition | undefined;
    do {
      const outcome = await deleteVerified(s3.client, BUCKET, ref, from, deleted, always);
      outcomes.push(outcome);
      from = carried(outcome);
    } while (from && outcomes.length < 10);

    const part1 = digestOf([a1, b2]);
    const part2 = digestOf([b1, c]);
    expect(outcomes).toEqual([
      { finished: false, position: { lastKey: 'a', manifest: { part: 1, index: 1, before: EMPTY_SET_DIGEST, partDigest: part1 } } },
      { finished: false, position: { lastKey: 'b', manifest: { part: 2, index: 1, before: part1, partDigest: part2 } } },
      { finished: false, position: { lastKey: 'c', manifest: { part: 3, index: 0, before: digestOf(entries), partDigest: part2 } } },
      { finished: true },
    ]);
    // One request per key, each sent before its invocation returned; none for the invocation with nothing left.
    expect(s3.deletions()).toEqual([ids([a1]), ids([b2, b1]), ids([c])]);
    expect(deleted.count).toBe(4);
    // Each invocation lists the keys after the one the previous stopped at.
    expect(s3.listings().map((l) => l.KeyMarker)).toEqual([undefined, 'a', 'b', 'c']);
  });

  it('resumes a position that consumed a whole part at the next part', async () => {
    const b1 = version('b', 'b1');
    const c = version('c', 'c1');
    const d = version('d', 'd1');
    s3.reset([c, d]);
    const ref = s3.manifest([a1, b1, c, d], 2);
    const deleted = { count: 0 };
    const from: EmptyingPosition = { lastKey: 'b', manifest: { part: 1, index: 2, before: EMPTY_SET_DIGEST, partDigest: digestOf([a1, b1]) } };
    const outcome = await deleteVerified(s3.client, BUCKET, ref, from, deleted, never);

    expect(outcome).toEqual({ finished: true });
    expect(s3.deletions()).toEqual([ids([c, d])]);
  });
});

describe('the manifest is proven before it is trusted', () => {
  it('refuses a manifest whose parts no longer add up to its digest as soon as it is read to its end, before deleting any of it', async () => {
    s3.reset([a1, version('z', 'z1')]);
    // Written with two entries; the part holds one.
    const ref = { ...s3.manifest([a1]), listing: digestOf([a1, version('b', 'b1')]) };
    const run = deleteVerified(s3.client, BUCKET, ref, undefined, { count: 0 }, always);

    await expect(run).rejects.toThrow(
      new DocumentCorrupt(`The manifest of ${BUCKET} under s3://workflow/${PREFIX} does not add up to the digest it was written with`),
    );
    await expect(run).rejects.toBeInstanceOf(DocumentCorrupt);
    expect(s3.deletions()).toEqual([]);
  });

  it('refuses a manifest that names versions but has no parts', async () => {
    s3.reset([a1]);
    const ref = { ...s3.manifest([]), listing: digestOf([a1]) };
    const run = checkAgainstManifest(s3.client, BUCKET, ref, undefined, { count: 0, named: [] }, never);

    await expect(run).rejects.toBeInstanceOf(DocumentCorrupt);
  });

  it('refuses a manifest part that comes back without a body (it names nothing, so the manifest does not add up)', async () => {
    s3.reset([a1]);
    const ref = s3.manifest([a1]);
    s3.mock.on(GetObjectCommand).resolves({});
    const run = deleteVerified(s3.client, BUCKET, ref, undefined, { count: 0 }, never);

    await expect(run).rejects.toThrow(new DocumentCorrupt(`The manifest of ${BUCKET} under s3://workflow/${PREFIX} does not add up to the digest it was written with`));
    await expect(run).rejects.toBeInstanceOf(DocumentCorrupt);
    expect(s3.deletions()).toEqual([]);
  });

  it('refuses a manifest whose part is missing from the workflow bucket', async () => {
    const ref = s3.manifest(VERIFIED, 2);
    s3.stored.delete(part(2));
    const run = deleteVerified(s3.client, BUCKET, ref, undefined, { count: 0 }, never);

    await expect(run).rejects.toThrow(new DocumentCorrupt(`Manifest part s3://workflow/${part(2)} of ${BUCKET} is missing`));
    await expect(run).rejects.toBeInstanceOf(DocumentCorrupt);
    expect(s3.deletions()).toEqual([]);
  });

  it('passes on, unchanged, an error other than a missing part while reading the manifest', async () => {
    const ref = s3.manifest(VERIFIED);
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    s3.mock.on(GetObjectCommand).rejects(denied);
    const run = checkAgainstManifest(s3.client, BUCKET, ref, undefined, { count: 0, named: [] }, never);

    await expect(run).rejects.toMatchObject({ name: 'AccessDenied', message: 'Access Denied' });
  });

  it('refuses a manifest that is not in listing order, before deleting anything', async () => {
    s3.reset([a1, version('b', 'b1')]);
    const ref = s3.manifest([version('b', 'b1'), a1]);
    const run = deleteVerified(s3.client, BUCKET, ref, undefined, { count: 0 }, never);

    await expect(run).rejects.toThrow(new DocumentCorrupt(`The manifest of ${BUCKET} is not in listing order ("a" after "b")`));
    await expect(run).rejects.toBeInstanceOf(DocumentCorrupt);
    expect(s3.deletions()).toEqual([]);
  });

  it('refuses to resume in a manifest part that changed since the previous invocation read part of it', async () => {
    const b1 = version('b', 'b1');
    s3.reset([a1, b1]);
    const ref = s3.manifest([a1, b1]);
    const first = await deleteVerified(s3.client, BUCKET, ref, undefined, { count: 0 }, always);
    expect(first).toMatchObject({ finished: false, position: { lastKey: 'a', manifest: { part: 1, index: 1 } } });
    // Between the invocations, the part is rewritten: "b" now names another version.
    s3.stored.set(part(1), `${JSON.stringify(a1)}\n${JSON.stringify(version('b', 'b0'))}\n`);
    const run = deleteVerified(s3.client, BUCKET, ref, carried(first), { count: 0 }, never);

    await expect(run).rejects.toThrow(new DocumentCorrupt(`Manifest part s3://workflow/${part(1)} of ${BUCKET} changed between two invocations of the deletion`));
    await expect(run).rejects.toBeInstanceOf(DocumentCorrupt);
    expect(s3.deletions()).toEqual([ids([a1])]);
  });

  it('refuses a position that read more entries from a part than the part holds', async () => {
    const ref = s3.manifest([a1, bm], 2);
    const from: EmptyingPosition = { lastKey: 'b', manifest: { part: 1, index: 3, before: EMPTY_SET_DIGEST, partDigest: digestOf([a1, bm]) } };
    const run = deleteVerified(s3.client, BUCKET, ref, from, { count: 0 }, never);

    await expect(run).rejects.toThrow(new DocumentCorrupt(`Manifest part s3://workflow/${part(1)} of ${BUCKET} has fewer entries than were read from it`));
    await expect(run).rejects.toBeInstanceOf(DocumentCorrupt);
    expect(s3.deletions()).toEqual([]);
  });
});

describe('the live listing is trusted only in listing order', () => {
  it('refuses a listing that goes back to an earlier key, before deleting anything', async () => {
    s3.reset([version('b', 'b1'), a1]);
    s3.pageSize = 1;
    const run = deleteVerified(s3.client, BUCKET, s3.manifest([a1, version('b', 'b1')]), undefined, { count: 0 }, never);

    await expect(run).rejects.toThrow(new AwsRequestFailed(`ListObjectVersions of ${BUCKET} returned "a" after "b"`));
    await expect(run).rejects.toBeInstanceOf(AwsRequestFailed);
    expect(s3.deletions()).toEqual([]);
  });

  it('refuses, on resuming, a listing that returns keys before the one the previous invocation stopped at', async () => {
    // A listing that ignores KeyMarker and starts again from the first key.
    s3.reset([a1, version('m', 'm1'), version('z', 'z1')]);
    const ref = s3.manifest([version('z', 'z1')]);
    const from: EmptyingPosition = { lastKey: 'm', manifest: { part: 1, index: 0, before: EMPTY_SET_DIGEST, partDigest: digestOf([version('z', 'z1')]) } };
    s3.mock.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [{ Key: 'a', VersionId: 'a1', Size: 5, ETag: '"e-a-a1"' }] });
    const run = deleteVerified(s3.client, BUCKET, ref, from, { count: 0 }, never);

    await expect(run).rejects.toThrow(new AwsRequestFailed(`ListObjectVersions of ${BUCKET} returned "a" after "m"`));
    expect(s3.deletions()).toEqual([]);
  });
});

describe('checkAgainstManifest: the read-only pass that decides whether the original may be emptied', () => {
  it('counts and names what is listed but not verified (added, changed), not what is gone, and deletes nothing', async () => {
    const found: Unverified = { count: 0, named: [] };
    const outcome = await checkAgainstManifest(s3.client, BUCKET, s3.manifest(VERIFIED, 2), undefined, found, never);

    expect(outcome).toEqual({ finished: true });
    expect(found).toEqual({
      count: 3,
      named: ['added "a" (version a3, 5 bytes)', 'added "aa" (version aa1, 5 bytes)', 'changed "c" (version c1, 6 bytes)'],
    });
    expect(s3.deletions()).toEqual([]);
  });

  it('names at most ten unverified versions and counts them all', async () => {
    const added = Array.from({ length: 12 }, (_, i) => version(`new-${String(i).padStart(2, '0')}`, 'v1'));
    s3.reset(added);
    const found: Unverified = { count: 0, named: [] };
    await checkAgainstManifest(s3.client, BUCKET, s3.manifest([]), undefined, found, never);

    expect(found.count).toBe(12);
    expect(found.named).toEqual(added.slice(0, 10).map((e) => `added "${e.key}" (version v1, 5 bytes)`));
  });

  it('compares at least one key in every invocation, even when the time is already short', async () => {
    const found: Unverified = { count: 0, named: [] };
    const outcome = await checkAgainstManifest(s3.client, BUCKET, s3.manifest(VERIFIED), undefined, found, always);

    expect(outcome).toEqual({
      finished: false,
      position: { lastKey: 'a', manifest: { part: 1, index: 2, before: EMPTY_SET_DIGEST, partDigest: digestOf(VERIFIED) } },
    });
    expect(found).toEqual({ count: 1, named: ['added "a" (version a3, 5 bytes)'] });
  });
});

describe("deleteEverything: a copy's bucket, page by page", () => {
  const copy = [a2, a1, bm, c1, d1, e1, u1];

  it('deletes every version and delete marker from the first page to the last', async () => {
    s3.reset(copy);
    s3.pageSize = 3;
    const deleted = { count: 0 };
    const outcome = await deleteEverything(s3.client, BUCKET, undefined, deleted, never);

    expect(outcome).toEqual({ finished: true });
    expect(s3.live()).toEqual([]);
    expect(deleted.count).toBe(7);
    expect(s3.listings().map((l) => [l.KeyMarker, l.VersionIdMarker])).toEqual([
      [undefined, undefined],
      ['b', 'bm'],
      ['é', 'é1'],
    ]);
  });

  it('handles one page per invocation at least, returning where the next page starts, and resumes there', async () => {
    s3.reset(copy);
    s3.pageSize = 3;
    const deleted = { count: 0 };
    const outcomes: PassOutcome[] = [];
    let from: EmptyingPosition | undefined;
    do {
      const outcome = await deleteEverything(s3.client, BUCKET, from, deleted, always);
      outcomes.push(outcome);
      from = carried(outcome);
    } while (from && outcomes.length < 10);

    expect(outcomes).toEqual([
      { finished: false, position: { keyMarker: 'b', versionIdMarker: 'bm' } },
      { finished: false, position: { keyMarker: 'é', versionIdMarker: 'é1' } },
      { finished: true },
    ]);
    expect(s3.deletions()).toEqual([ids([a2, a1, bm]), ids([c1, d1, e1]), ids([u1])]);
    expect(s3.listings().map((l) => [l.KeyMarker, l.VersionIdMarker])).toEqual([
      [undefined, undefined],
      ['b', 'bm'],
      ['é', 'é1'],
    ]);
    expect(deleted.count).toBe(7);
  });
});

describe('DeleteObjects per-key failures', () => {
  const failing = (errors: { Key?: string; VersionId?: string; Code?: string; Message?: string }[]) => {
    s3.reset([a1]);
    s3.deleteAnswer = () => ({ Errors: errors });
    const deleted = { count: 0 };
    return { deleted, run: deleteEverything(s3.client, BUCKET, undefined, deleted, never) };
  };

  it('throws naming at most ten of the versions S3 did not delete, and counts none as deleted', async () => {
    const errors = Array.from({ length: 12 }, (_, i) => ({ Key: `k${i + 1}`, VersionId: `v${i + 1}`, Code: 'InternalError', Message: 'Please try again.' }));
    const { deleted, run } = failing(errors);
    const shown = errors
      .slice(0, 10)
      .map((e) => `${e.Key} (version ${e.VersionId}): InternalError Please try again.`)
      .join('; ');

    await expect(run).rejects.toMatchObject({ name: 'AwsUnavailable', message: `DeleteObjects left 12 object version(s) in ${BUCKET}: ${shown}` });
    expect(deleted.count).toBe(0);
  });

  it('shows a failure without version ID or message by its key and code alone', async () => {
    const { run } = failing([{ Key: 'k1', Code: 'NoSuchBucket' }]);

    await expect(run).rejects.toThrow(new AwsRequestFailed(`DeleteObjects left 1 object version(s) in ${BUCKET}: k1: NoSuchBucket`));
  });

  it.each([
    { codes: ['AccessDenied', 'SlowDown'], name: 'AwsAccessDenied' },
    { codes: ['SlowDown', 'InternalError'], name: 'AwsThrottled' },
    { codes: ['InternalError'], name: 'AwsUnavailable' },
    { codes: ['ServiceUnavailable'], name: 'AwsUnavailable' },
    { codes: ['InternalError', 'ServiceUnavailable'], name: 'AwsUnavailable' },
    { codes: ['InternalError', 'NoSuchVersion'], name: 'AwsRequestFailed' },
    { codes: ['NoSuchVersion'], name: 'AwsRequestFailed' },
  ])('names the failure $name when S3 answers $codes, so the state machine retries only what is transient', async ({ codes, name }) => {
    const { run } = failing(codes.map((Code, i) => ({ Key: `k${i}`, VersionId: 'v', Code, Message: 'm' })));

    await expect(run).rejects.toMatchObject({ name });
  });
});
