import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../lambdas/shared/contracts';
import { getDocument, putDocument } from '../../lambdas/shared/documents';
import { DocumentCorrupt } from '../../lambdas/shared/errors';
import { listingLine, ManifestWriter, readManifest, SetDigester, sameSetDigest } from '../../lambdas/shared/manifest';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });
const stored = new Map<string, Buffer>();

beforeEach(() => {
  s3Mock.reset();
  stored.clear();
  s3Mock.on(PutObjectCommand).callsFake((i: { Key: string; Body: Buffer }) => {
    stored.set(i.Key, Buffer.from(i.Body));
    return {};
  });
  s3Mock.on(GetObjectCommand).callsFake((i: { Key: string }) => {
    const b = stored.get(i.Key);
    if (!b) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    // The part of the SDK's stream mixin the readers use.
    return { Body: { transformToString: async () => b.toString('utf8'), transformToByteArray: async () => new Uint8Array(b) } };
  });
});
afterAll(() => s3Mock.restore());

const entries: ManifestEntry[] = [
  { key: 'a b', versionId: 'v2', size: 3, etag: 'e2' },
  { key: 'a b', versionId: 'v1', size: 3, etag: 'e1' },
  { key: 'tab\there', versionId: 'm1', deleteMarker: true },
];

describe('set digest', () => {
  it('is the same whatever the order or the split of the lines', () => {
    const whole = new SetDigester();
    for (const e of entries) whole.add(listingLine(e));
    const a = new SetDigester();
    a.add(listingLine(entries[2]!));
    const b = new SetDigester();
    b.add(listingLine(entries[1]!));
    b.add(listingLine(entries[0]!));
    a.merge(b.value());
    expect(sameSetDigest(a.value(), whole.value())).toBe(true);
  });

  it('changes when one version differs only in its ETag, or one more version is listed', () => {
    const base = new SetDigester();
    for (const e of entries) base.add(listingLine(e));
    const changed = new SetDigester();
    for (const e of entries) changed.add(listingLine(e.versionId === 'v1' ? { ...e, etag: 'other' } : e));
    const more = new SetDigester(base.value());
    more.add(listingLine({ key: 'late', versionId: 'v9', size: 1, etag: 'x' }));
    expect(sameSetDigest(changed.value(), base.value())).toBe(false);
    expect(sameSetDigest(more.value(), base.value())).toBe(false);
  });
});

describe('manifest parts', () => {
  it('reads back every entry written across flushes and resumed writers, in order', async () => {
    const ref = { listedBucket: 'src', bucket: 'wf', prefix: 'runs/r/m' };
    const first = new ManifestWriter(s3, ref);
    first.add(entries[0]!);
    first.add(entries[1]!);
    await first.flush();
    const resumed = new ManifestWriter(s3, ref, first.state());
    resumed.add(entries[2]!);
    await resumed.flush();
    const read: ManifestEntry[] = [];
    for await (const e of readManifest(s3, resumed.state())) read.push(e);
    expect(read).toEqual(entries);
    expect(resumed.state().parts).toBe(2);
  });

  it('refuses a manifest whose part was changed after it was written', async () => {
    const w = new ManifestWriter(s3, { listedBucket: 'src', bucket: 'wf', prefix: 'runs/r/m' });
    for (const e of entries) w.add(e);
    await w.flush();
    const key = [...stored.keys()][0]!;
    stored.set(key, Buffer.from(`${JSON.stringify(entries[0])}\n`));
    const read = async () => {
      for await (const _ of readManifest(s3, w.state())) void _;
    };
    await expect(read()).rejects.toBeInstanceOf(DocumentCorrupt);
  });
});

describe('documents', () => {
  it('refuses a document whose bytes are not the ones referenced', async () => {
    const ref = await putDocument(s3, 'wf', 'runs/r/doc.json', '{"a":1}');
    expect(JSON.parse((await getDocument(s3, ref)).toString())).toEqual({ a: 1 });
    stored.set('runs/r/doc.json', Buffer.from('{"a":2}'));
    await expect(getDocument(s3, ref)).rejects.toBeInstanceOf(DocumentCorrupt);
  });
});
