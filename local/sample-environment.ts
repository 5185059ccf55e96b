/**
 * The sample environment a rehearsal migrates: `orders-prod` at version 1.3.0, created in the
 * simulated account from examples/environment.yaml, with a database of three tables and two buckets
 * of objects whose keys exercise URL encoding (spaces, '+', '%', unicode), plus one object over 5 GB
 * (modelled: its size is recorded, not allocated).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SimAccount } from './sim/account';

export const SAMPLE_STACK = 'orders-prod';
export const SAMPLE_VERSION = '1.3.0';
export const TARGET_VERSION = '1.4.0';
export const ARTIFACTS_BUCKET = 'env-migrator-artifacts-123456789012';

const example = (name: string) => readFileSync(fileURLToPath(new URL(`../examples/${name}`, import.meta.url)), 'utf8');

export function templateUrl(key: string): string {
  return `https://${ARTIFACTS_BUCKET}.s3.amazonaws.com/${key}`;
}

export const TEMPLATE_KEYS = {
  current: 'templates/environment-1.3.0.yaml',
  target: 'templates/environment-1.4.0.yaml',
  /** 1.4.0 with a database that restores from a snapshot that does not exist: its creation fails. */
  broken: 'templates/environment-1.4.0-broken.yaml',
} as const;

export interface SampleSize {
  /** Objects across the two buckets (60 % uploads, 40 % reports), besides the special keys. */
  objects: number;
  /** Rows per table. */
  rows: number;
  /** Include one modelled object over 5 GB. */
  largeObject: boolean;
  /** Instances in the Auto Scaling group. */
  instances: number;
  /** How many of SPECIAL_KEYS to add (all when absent). */
  specialKeys?: number;
}

export const REHEARSAL_SIZE: SampleSize = { objects: 10_000, rows: 500, largeObject: true, instances: 3 };
export const TEST_SIZE: SampleSize = { objects: 60, rows: 20, largeObject: true, instances: 3 };

/**
 * Variants of the sample's current template, for the scenarios that need one: its database encrypted
 * with a KMS key of its own stack (`AWS::KMS::Key` without a DeletionPolicy, so deleting the stack
 * schedules the key's deletion), or the same key kept by `DeletionPolicy: Retain`.
 */
export type SampleVariant = 'standard' | 'stack-owned-kms-key' | 'retained-kms-key';

/** The sample template with OrdersDb encrypted by a key of the stack (kept on deletion when `retain`). */
export function withStackKmsKey(template: string, retain: boolean): string {
  const key = [
    '  # Encrypts OrdersDb. A database restored from a snapshot keeps the snapshot\'s key (KmsKeyId is',
    '  # inherited): clones of this environment depend on this key.',
    '  DataKey:',
    '    Type: AWS::KMS::Key',
    ...(retain ? ['    DeletionPolicy: Retain', '    UpdateReplacePolicy: Retain'] : []),
    '    Properties:',
    '      Description: Encrypts the data of OrdersDb',
    '      EnableKeyRotation: true',
    '      KeyPolicy:',
    "        Version: '2012-10-17'",
    '        Statement:',
    '          - Sid: Enable IAM policies',
    '            Effect: Allow',
    "            Principal: { AWS: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' }",
    '            Action: kms:*',
    "            Resource: '*'",
    '',
    '',
  ].join('\n');
  const db = '  OrdersDb:\n    Type: AWS::RDS::DBInstance\n';
  const encrypted = '      StorageEncrypted: !If [HasOrdersDbSnapshot, !Ref AWS::NoValue, true]\n';
  if (!template.includes(db) || !template.includes(encrypted)) throw new Error('the sample template no longer has the OrdersDb this variant edits');
  return template
    .replace(db, `${key}${db}`)
    .replace(encrypted, `${encrypted}      KmsKeyId: !If [HasOrdersDbSnapshot, !Ref AWS::NoValue, !GetAtt DataKey.Arn]\n`);
}

/** Keys that break a copy that does not URL-encode CopySource, or that decodes '+' as a space. */
export const SPECIAL_KEYS = [
  'invoices/2026/march report.pdf',
  'invoices/2026/q1+q2 totals.csv',
  'invoices/2026/100% paid.txt',
  'invoices/2026/ünïcödé-日本語-файл.txt',
  'invoices/2026/a%2Fb literally.txt',
  'invoices/2026/plus+and space+.json',
];

export const LARGE_OBJECT_KEY = 'videos/all-hands 2026.mp4';
export const LARGE_OBJECT_SIZE = 6 * 1024 ** 3 + 12345;

function rowsOf(table: string, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `${table}-${i + 1}`, updatedAt: '2026-11-01T00:00:00Z' }));
}

/** Creates the sample environment and its artifacts (templates) in the account. */
export function seedSampleEnvironment(account: SimAccount, size: SampleSize, variant: SampleVariant = 'standard'): void {
  account.s3.createBucket(ARTIFACTS_BUCKET);
  const standard = example('environment.yaml');
  const current = variant === 'standard' ? standard : withStackKmsKey(standard, variant === 'retained-kms-key');
  const target = example('environment-v1.4.0.yaml');
  account.s3.putObjectDirect(ARTIFACTS_BUCKET, TEMPLATE_KEYS.current, { body: current, contentType: 'application/x-yaml' });
  account.s3.putObjectDirect(ARTIFACTS_BUCKET, TEMPLATE_KEYS.target, { body: target, contentType: 'application/x-yaml' });
  account.s3.putObjectDirect(ARTIFACTS_BUCKET, TEMPLATE_KEYS.broken, {
    body: target.replace(/DBSnapshotIdentifier:.*\n/, "DBSnapshotIdentifier: 'orders-prod-final-snapshot-that-was-never-taken'\n"),
    contentType: 'application/x-yaml',
  });

  account.cloudformation.createStackNow(
    SAMPLE_STACK,
    current,
    {
      VpcId: 'vpc-0a1b2c3d4e5f60718',
      SubnetIds: 'subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a69788',
      EnvironmentVersion: SAMPLE_VERSION,
      DesiredCapacity: String(size.instances),
      OrdersDbSnapshotIdentifier: '',
    },
    { team: 'orders', 'cost-center': 'cc-4711' },
  );
  const resources = account.cloudformation.resourcesOf(SAMPLE_STACK);
  const physical = (logicalId: string) => {
    const r = resources.find((x) => x.logicalId === logicalId);
    if (!r) throw new Error(`The sample environment has no ${logicalId}`);
    return r.physicalId;
  };
  account.rds.setTables(physical('OrdersDb'), {
    customers: rowsOf('customer', size.rows),
    orders: rowsOf('order', size.rows * 3),
    products: rowsOf('product', Math.max(1, Math.floor(size.rows / 2))),
  });

  const uploads = physical('UploadsBucket');
  const reports = physical('ReportsBucket');
  const uploadCount = Math.round(size.objects * 0.6);
  for (let i = 0; i < size.objects; i += 1) {
    const inUploads = i < uploadCount;
    const key = inUploads ? `uploads/${String(i % 97).padStart(2, '0')}/file-${i}.bin` : `reports/${2020 + (i % 7)}/report-${i}.csv`;
    account.s3.putObjectDirect(inUploads ? uploads : reports, key, {
      body: `object ${i} of the sample environment\n`.repeat(1 + (i % 5)),
      contentType: inUploads ? 'application/octet-stream' : 'text/csv',
      metadata: { origin: 'sample', index: String(i) },
      tags: i % 10 === 0 ? { retention: 'long', classification: 'internal' } : undefined,
    });
  }
  for (const key of SPECIAL_KEYS.slice(0, size.specialKeys ?? SPECIAL_KEYS.length)) {
    account.s3.putObjectDirect(reports, key, { body: `contents of ${key}`, contentType: 'text/plain', metadata: { 'original-name': encodeURIComponent(key) }, tags: { special: 'yes' } });
  }
  if (size.largeObject) {
    account.s3.putObjectDirect(uploads, LARGE_OBJECT_KEY, { size: LARGE_OBJECT_SIZE, contentType: 'video/mp4', metadata: { duration: '3600' }, multipartParts: 13 });
  }
}
