/**
 * The two content-proof engines side by side (lambdas/shared/content-proof.ts): reading and hashing in
 * the verify step, or an S3 Batch Operations Compute checksum job, for the reference buckets and for
 * a bucket of 1,000,000 objects of the UploadsBucket mix. Part of `npm run bench`'s report; alone:
 * `npx tsx bench/content-proof.ts` (seeds the reference buckets, runs nothing else).
 */
import { pathToFileURL } from 'node:url';
import { chooseContentProof, estimateContentProof } from '../lambdas/shared/content-proof';
import { SimAccount } from '../local/sim/account';
import { REFERENCE_SIZE, type ReferenceEnvironment, seedReferenceEnvironment } from './reference';

const GiB = 1024 ** 3;

function hms(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export interface ContentProofRow {
  name: string;
  objects: number;
  bytes: number;
  hash: { seconds: number; dollars: number };
  batch: { seconds: number; dollars: number };
  chosen: 'hash' | 'batch';
}

/** One row per reference bucket, plus 1M objects at the first bucket's average size; one side of a pair (a verification proves both). */
export function contentProofRows(buckets: ReferenceEnvironment['buckets']): ContentProofRow[] {
  const cases = buckets.map((b) => ({ name: b.logicalId, objects: b.objects, bytes: b.bytes }));
  const first = buckets[0];
  if (first && first.objects > 0) cases.push({ name: `1M objects (${first.logicalId} mix)`, objects: 1_000_000, bytes: (first.bytes / first.objects) * 1_000_000 });
  cases.push({ name: '1M objects of 64 KiB', objects: 1_000_000, bytes: 1_000_000 * 64 * 1024 });
  return cases.map((c) => {
    const e = estimateContentProof(c);
    return { ...c, hash: e.hash, batch: e.batch, chosen: chooseContentProof(c) };
  });
}

export function contentProofLines(rows: ContentProofRow[]): string[] {
  const pad = (s: string, n: number) => s.padEnd(n);
  const lpad = (s: string, n: number) => s.padStart(n);
  const lines = ['content proof of one bucket side (lambdas/shared/content-proof.ts; ESTIMATE-marked figures there)'];
  lines.push(`${pad('', 34)}${lpad('objects', 11)}${lpad('GiB', 9)}${lpad('hash time', 12)}${lpad('hash $', 9)}${lpad('batch time', 12)}${lpad('batch $', 9)}  chosen`);
  for (const r of rows) {
    lines.push(
      `${pad(r.name, 34)}${lpad(r.objects.toLocaleString('en-US'), 11)}${lpad((r.bytes / GiB).toFixed(1), 9)}${lpad(hms(r.hash.seconds), 12)}${lpad(r.hash.dollars.toFixed(2), 9)}${lpad(hms(r.batch.seconds), 12)}${lpad(r.batch.dollars.toFixed(2), 9)}  ${r.chosen}`,
    );
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = seedReferenceEnvironment(new SimAccount(), REFERENCE_SIZE);
  const rows = contentProofRows(env.buckets);
  console.log(contentProofLines(rows).join('\n'));
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
}
