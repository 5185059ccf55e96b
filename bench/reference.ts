/**
 * The reference migration of the benchmark: `orders-prod` (examples/environment.yaml) with one
 * database of 100 GB allocated storage (`databaseGb`), an Auto Scaling group of 6 and two buckets of 100,000
 * objects each whose sizes follow a user-content mix (most objects small, a long tail, a few over
 * 5 GB). Objects are modelled: their sizes and identities are recorded, no bytes are allocated.
 * The mix and its sources are in bench/README.md ("The reference environment").
 */
import { SAMPLE_STACK, SPECIAL_KEYS, seedSampleEnvironment } from '../local/sample-environment';
import type { SimAccount } from '../local/sim/account';
import { seededRandom } from '../local/sim/ids';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export interface ReferenceSize {
  /** Objects in each of the two buckets (the reports bucket's count includes the sample's special keys). */
  objectsPerBucket: number;
  /** Objects over 5 GiB, across both buckets (they need a multipart copy). */
  objectsOver5GiB: number;
  instances: number;
  /** Rows per table of the database (its allocated storage is `databaseGb` whatever the rows). */
  rows: number;
  /**
   * OrdersDb's AllocatedStorage in GB (the template's property; the examples' 100): snapshot, restore
   * and read-replica creation times scale with it (bench/timing.json rds-snapshot, rds-restore).
   */
  databaseGb: number;
}

export const REFERENCE_SIZE: ReferenceSize = { objectsPerBucket: 100_000, objectsOver5GiB: 5, instances: 6, rows: 2_000, databaseGb: 100 };
/** A few hundred objects: the benchmark machinery end to end in seconds (tests). */
export const TINY_SIZE: ReferenceSize = { objectsPerBucket: 300, objectsOver5GiB: 2, instances: 2, rows: 20, databaseGb: 100 };

/** Objects uploaded above this size are multipart uploads, as the AWS CLI and SDK transfer managers write them. */
export const MULTIPART_THRESHOLD = 8 * MiB;
const UPLOAD_PART_BYTES = 8 * MiB;

/** A size class: share of the objects, and the range its sizes are drawn from (log-uniform). */
interface SizeClass {
  share: number;
  min: number;
  max: number;
}

/** User uploads: 32 % under 128 KiB, most under 1 MiB, a tail of media files. */
const UPLOADS_MIX: SizeClass[] = [
  { share: 0.32, min: 1 * KiB, max: 128 * KiB },
  { share: 0.42, min: 128 * KiB, max: 1 * MiB },
  { share: 0.2, min: 1 * MiB, max: 8 * MiB },
  { share: 0.055, min: 8 * MiB, max: 64 * MiB },
  { share: 0.005, min: 64 * MiB, max: 1 * GiB },
];
/** Reports and invoices: small documents, some exports. */
const REPORTS_MIX: SizeClass[] = [
  { share: 0.6, min: 2 * KiB, max: 128 * KiB },
  { share: 0.35, min: 128 * KiB, max: 2 * MiB },
  { share: 0.05, min: 2 * MiB, max: 64 * MiB },
];
const OVER_5GIB = [6 * GiB + 12_345, 8 * GiB, 12 * GiB, 5.5 * GiB, 7 * GiB];


function drawSize(mix: SizeClass[], r: () => number): number {
  let pick = r();
  const cls = mix.find((c) => (pick -= c.share) < 0) ?? (mix[mix.length - 1] as SizeClass);
  return Math.round(Math.exp(Math.log(cls.min) + r() * (Math.log(cls.max) - Math.log(cls.min))));
}

export interface SeededObject {
  bucket: string;
  key: string;
  size: number;
  multipart: boolean;
}

export interface ReferenceEnvironment {
  stackName: string;
  buckets: { logicalId: string; bucketName: string; objects: number; bytes: number; multipart: number; over5GiB: number }[];
}

/**
 * Creates the reference environment in `account`: the sample stack with `size.instances` instances
 * and `size.rows` rows per table, and both buckets filled with the size mix.
 */
export function seedReferenceEnvironment(account: SimAccount, size: ReferenceSize): ReferenceEnvironment {
  seedSampleEnvironment(account, { objects: 0, rows: size.rows, largeObject: false, instances: size.instances, databaseGb: size.databaseGb });
  const resources = account.cloudformation.resourcesOf(SAMPLE_STACK);
  const physical = (logicalId: string): string => {
    const found = resources.find((r) => r.logicalId === logicalId);
    if (!found) throw new Error(`The reference environment has no ${logicalId}`);
    return found.physicalId;
  };
  const r = seededRandom(20261127);
  const large = OVER_5GIB.slice(0, size.objectsOver5GiB);
  const plans = [
    { logicalId: 'UploadsBucket', mix: UPLOADS_MIX, count: size.objectsPerBucket, large: large.filter((_, i) => i % 2 === 0), keyOf: uploadKey },
    // The sample environment already put its special keys (spaces, '+', '%', unicode) in this bucket.
    { logicalId: 'ReportsBucket', mix: REPORTS_MIX, count: size.objectsPerBucket - SPECIAL_KEYS.length, large: large.filter((_, i) => i % 2 === 1), keyOf: reportKey },
  ];
  const buckets: ReferenceEnvironment['buckets'] = [];
  for (const plan of plans) {
    const bucketName = physical(plan.logicalId);
    const summary = { logicalId: plan.logicalId, bucketName, objects: 0, bytes: 0, multipart: 0, over5GiB: 0 };
    const put = (key: string, bytes: number, i: number): void => {
      const multipart = bytes >= MULTIPART_THRESHOLD;
      account.s3.putObjectDirect(bucketName, key, {
        size: bytes,
        contentType: contentTypeOf(key),
        metadata: { origin: 'reference', index: String(i) },
        tags: i % 10 === 0 ? { retention: 'long', classification: 'internal' } : undefined,
        ...(multipart ? { multipartParts: Math.ceil(bytes / UPLOAD_PART_BYTES) } : {}),
      });
      summary.objects += 1;
      summary.bytes += bytes;
      if (multipart) summary.multipart += 1;
      if (bytes > 5 * GiB) summary.over5GiB += 1;
    };
    const regular = plan.count - plan.large.length;
    for (let i = 0; i < regular; i++) put(plan.keyOf(i, r), drawSize(plan.mix, r), i);
    plan.large.forEach((bytes, j) => put(`exports/archive-${j + 1}.tar`, bytes, regular + j));
    if (plan.logicalId === 'ReportsBucket') {
      summary.objects += SPECIAL_KEYS.length;
      summary.bytes += SPECIAL_KEYS.reduce((n, k) => n + `contents of ${k}`.length, 0);
    }
    buckets.push(summary);
  }
  return { stackName: SAMPLE_STACK, buckets };
}

function uploadKey(i: number, r: () => number): string {
  const kind = r();
  const user = String(Math.floor(r() * 5000)).padStart(4, '0');
  if (kind < 0.7) return `users/${user}/upload-${i}.${['jpg', 'png', 'pdf', 'mp4'][i % 4]}`;
  if (kind < 0.9) return `thumbnails/${user}/thumb-${i}.jpg`;
  return `exports/${user}/export-${i}.zip`;
}

function reportKey(i: number, r: () => number): string {
  const year = 2019 + Math.floor(r() * 8);
  return r() < 0.7 ? `reports/${year}/report-${i}.csv` : `invoices/${year}/invoice-${i}.pdf`;
}

function contentTypeOf(key: string): string {
  const ext = key.slice(key.lastIndexOf('.') + 1);
  return (
    { jpg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf', mp4: 'video/mp4', zip: 'application/zip', csv: 'text/csv', tar: 'application/x-tar' }[ext] ??
    'application/octet-stream'
  );
}
