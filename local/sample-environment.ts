/**
 * The sample environment a rehearsal migrates: `orders-prod` at version 1.3.0, created in the
 * simulated account from examples/environment.yaml, with a database of three tables and two buckets
 * of objects whose keys exercise URL encoding (spaces, '+', '%', unicode), plus one object over 5 GB
 * (modelled: its size is recorded, not allocated). Like a real account's buckets: a third of the
 * objects were uploaded before default checksums and have none, one was uploaded in parts with a
 * COMPOSITE SHA-256, and the versioned UploadsBucket holds noncurrent versions and a delete marker.
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

/** Bucket and database logical IDs a larger environment adds (SampleSize.extraBuckets / extraDatabases). */
export function extraBucketIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `DataBucket${String(i + 1).padStart(2, '0')}`);
}
export function extraDatabaseIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `ArchiveDb${i + 1}`);
}

/**
 * The template with more buckets and databases, each database following the template contract
 * (restored from parameter `<LogicalId>SnapshotIdentifier` when it is set, a read replica of
 * `<LogicalId>SourceDBInstanceIdentifier`, `<LogicalId>PromotedFrom` once promoted). Applied to both versions,
 * so the new template pairs every resource of the current one.
 */
export function withExtraResources(template: string, buckets: number, databases: number): string {
  if (buckets === 0 && databases === 0) return template;
  const dbs = extraDatabaseIds(databases);
  const parameters = dbs
    .map((id) => ['SnapshotIdentifier', 'SourceDBInstanceIdentifier', 'PromotedFrom'].map((suffix) => `  ${id}${suffix}:\n    Type: String\n    Default: ''\n`).join(''))
    .join('');
  const conditions = dbs
    .map(
      (id) =>
        `  Has${id}Snapshot: !Not [!Equals [!Ref ${id}SnapshotIdentifier, '']]\n  Is${id}Replica: !Not [!Equals [!Ref ${id}SourceDBInstanceIdentifier, '']]\n` +
        `  ${id}Inherits: !Or [!Condition Has${id}Snapshot, !Condition Is${id}Replica, !Not [!Equals [!Ref ${id}PromotedFrom, '']]]\n`,
    )
    .join('');
  const bucketResources = extraBucketIds(buckets)
    .map(
      (id) =>
        `  ${id}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault:\n              SSEAlgorithm: AES256\n\n`,
    )
    .join('');
  const dbResources = dbs
    .map(
      (id) =>
        `  ${id}:\n    Type: AWS::RDS::DBInstance\n    DeletionPolicy: Delete\n    UpdateReplacePolicy: Delete\n    Properties:\n      Engine: postgres\n      DBInstanceClass: db.t4g.micro\n      AllocatedStorage: '20'\n      DBSnapshotIdentifier: !If [Has${id}Snapshot, !Ref ${id}SnapshotIdentifier, !Ref AWS::NoValue]\n      SourceDBInstanceIdentifier: !If [Is${id}Replica, !Ref ${id}SourceDBInstanceIdentifier, !Ref AWS::NoValue]\n      MasterUsername: !If [${id}Inherits, !Ref AWS::NoValue, archive_admin]\n      MasterUserPassword: !If [Is${id}Replica, !Ref AWS::NoValue, !Sub '{{resolve:secretsmanager:\${DbSecret}:SecretString:password}}']\n      DBSubnetGroupName: !Ref DbSubnetGroup\n      VPCSecurityGroups: [!GetAtt DatabaseSecurityGroup.GroupId]\n\n`,
    )
    .join('');
  const insertBefore = (text: string, marker: string, addition: string) => {
    const at = text.indexOf(marker);
    if (at < 0) throw new Error(`The sample template has no "${marker.trim()}"`);
    return text.slice(0, at) + addition + text.slice(at);
  };
  let out = insertBefore(template, '  DbDriverLayerArn:\n', parameters);
  out = insertBefore(out, '  HasDbDriverLayer:', conditions);
  out = insertBefore(out, '\nOutputs:\n', `\n${bucketResources}${dbResources}`.replace(/\n\n$/, '\n'));
  return out;
}

export interface SampleSize {
  /** Objects across the two buckets (60 % uploads, 40 % reports), besides the special keys. */
  objects: number;
  /** Rows per table. */
  rows: number;
  /** Include one modelled object over 5 GB. */
  largeObject: boolean;
  /**
   * That object was uploaded in parts before S3 gave new objects a checksum: no checksum, a multipart
   * ETag, over the size the verification reads itself (VERIFY_HASH_MAX_BYTES): only S3 Batch
   * Operations Compute checksum can prove its copy.
   */
  largeObjectWithoutChecksum?: boolean;
  /** Instances in the Auto Scaling group. */
  instances: number;
  /** How many of SPECIAL_KEYS to add (all when absent). */
  specialKeys?: number;
  /**
   * Keys of the versioned UploadsBucket given a history (default: one in ten of its objects, at
   * least two): overwritten (a noncurrent version), soft-deleted (a delete marker over a version),
   * or deleted and written again (version, marker, version). 0: every key has one version.
   */
  historyKeys?: number;
  /**
   * A larger environment (both templates grow alike): this many more buckets (`DataBucket01`...),
   * each with `objectsPerExtraBucket` objects, and this many more databases (`ArchiveDb1`...), each
   * with two small tables. Absent: the two buckets and one database of the sample.
   */
  extraBuckets?: number;
  objectsPerExtraBucket?: number;
  extraDatabases?: number;
  /**
   * More tables in OrdersDb (`audit_partition_<n>`, one row each): the statistics document reports
   * each one, so this many make it about 36 bytes × n long (28,000 ≈ 1 MB).
   */
  extraTables?: number;
  /**
   * OrdersDb's AllocatedStorage in GB, in both templates (default the examples' 100): the benchmark's
   * `--db-gb`. Snapshot, restore and read-replica creation times scale with it (bench/timing.json).
   */
  databaseGb?: number;
}

export const REHEARSAL_SIZE: SampleSize = { objects: 10_000, rows: 500, largeObject: true, instances: 3 };
export const TEST_SIZE: SampleSize = { objects: 60, rows: 20, largeObject: true, instances: 3 };

/**
 * Variants of the sample's current template, for the scenarios that need one: its database encrypted
 * with a KMS key of its own stack (`AWS::KMS::Key` without a DeletionPolicy, so deleting the stack
 * schedules the key's deletion), or the same key kept by `DeletionPolicy: Retain`.
 */
export type SampleVariant = 'standard' | 'stack-owned-kms-key' | 'retained-kms-key' | 'noecho-parameter' | 'large-template' | 'dynamodb-table';

/**
 * Variant `noecho-parameter` (issue 10 item 4): both templates declare `ApiToken`, NoEcho and without
 * a default, which the statistics function receives. CloudFormation never shows its value again
 * (DescribeStacks masks it), so a clone can only get it from the Secrets Manager secret named here.
 */
export const NOECHO_PARAMETER = 'ApiToken';
export const NOECHO_VALUE = 'tok-3f9a1c77e2b4-orders';
export const NOECHO_SECRET_NAME = 'orders-prod/api-token';
/** The secret's partial ARN (without the random suffix), as an operator may write it in `secretParameters`. */
export const NOECHO_SECRET_ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${NOECHO_SECRET_NAME}`;

/** The sample template with the NoEcho parameter ApiToken (variant `noecho-parameter`). */
export function withNoEchoParameter(template: string): string {
  const parameters = 'Parameters:\n';
  const variable = '          DB_NAME: orders\n';
  if (!template.includes(parameters) || !template.includes(variable)) throw new Error('the sample template no longer has what the noecho variant edits');
  return template
    .replace(parameters, `${parameters}  ${NOECHO_PARAMETER}:\n    Type: String\n    NoEcho: true\n    Description: Token the statistics function presents to the reporting API (never shown again)\n`)
    .replace(variable, `${variable}          API_TOKEN: !Ref ${NOECHO_PARAMETER}\n`);
}

/** Bytes the `large-template` variant's templates exceed CreateStack's 51,200-byte TemplateBody by, at least. */
export const LARGE_TEMPLATE_BYTES = 64_000;

/**
 * The sample template grown past the 51,200 bytes CreateStack accepts as TemplateBody (variant
 * `large-template`), as real templates grow: a long Metadata section (here a runbook of 700 steps).
 */
export function withLargeMetadata(template: string, atLeast = LARGE_TEMPLATE_BYTES): string {
  const resources = '\nResources:\n';
  if (!template.includes(resources)) throw new Error('the sample template has no Resources section');
  const lines = ['', 'Metadata:', '  Runbook:', '    Steps:'];
  let body = template;
  for (let i = 1; Buffer.byteLength(body, 'utf8') + lines.join('\n').length < atLeast; i++) {
    lines.push(`      - "Step ${String(i).padStart(3, '0')}: check the orders service dashboard, the load balancer's 5xx rate and the database's free storage before going on"`);
  }
  body = template.replace(resources, `${lines.join('\n')}\n${resources}`);
  return body;
}

/** The sample template with a DynamoDB table of sessions: stateful, and not copied by the workflow. */
export function withDynamoDbTable(template: string): string {
  const table = [
    '  # Sessions of the application: data the workflow does not copy.',
    '  SessionsTable:',
    '    Type: AWS::DynamoDB::Table',
    '    Properties:',
    '      BillingMode: PAY_PER_REQUEST',
    '      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]',
    '      KeySchema: [{ AttributeName: id, KeyType: HASH }]',
    '',
    '',
  ].join('\n');
  const db = '  OrdersDb:\n    Type: AWS::RDS::DBInstance\n';
  if (!template.includes(db)) throw new Error('the sample template no longer has the OrdersDb this variant inserts before');
  return template.replace(db, `${table}${db}`);
}

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
  const encrypted = '      StorageEncrypted: !If [OrdersDbInherits, !Ref AWS::NoValue, true]\n';
  if (!template.includes(db) || !template.includes(encrypted)) throw new Error('the sample template no longer has the OrdersDb this variant edits');
  return template
    .replace(db, `${key}${db}`)
    .replace(encrypted, `${encrypted}      KmsKeyId: !If [OrdersDbInherits, !Ref AWS::NoValue, !GetAtt DataKey.Arn]\n`);
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
/** Uploaded in parts by a client that asked for SHA-256: its checksum is COMPOSITE, not of the whole object. */
export const MULTIPART_COMPOSITE_KEY = 'exports/2024 archive.tar';
/** Keys of UploadsBucket with history: rewritten (noncurrent versions) and deleted (a delete marker on top). */
export const REWRITTEN_KEY = 'uploads/profile/avatar.png';
export const DELETED_KEY = 'uploads/profile/old-avatar.png';
export const LARGE_OBJECT_SIZE = 6 * 1024 ** 3 + 12345;

function rowsOf(table: string, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `${table}-${i + 1}`, updatedAt: '2026-11-01T00:00:00Z' }));
}

let archive: { pristine: Buffer; shared: Buffer } | undefined;
/**
 * The multipart archive's 11 MiB, allocated once per process: allocating and filling them afresh
 * for every fault run was some 40 % of the seeding's CPU. The simulated S3 never writes into a
 * stored body, but should anything ever do so, the next seeding finds out (a byte-for-byte
 * comparison, far cheaper than the allocation) and hands out fresh bytes: every run starts from
 * the same content.
 */
function archiveBytes(): Buffer {
  if (!archive) {
    const pristine = Buffer.alloc(11 * 1024 * 1024, 'archive ');
    archive = { pristine, shared: Buffer.from(pristine) };
  }
  if (!archive.shared.equals(archive.pristine)) archive.shared = Buffer.from(archive.pristine);
  return archive.shared;
}

/** OrdersDb's `AllocatedStorage: '100'` (the examples' only one) set to `gb`; throws when the template has no such line. */
export function withDatabaseStorage(template: string, gb: number): string {
  if (!Number.isInteger(gb) || gb < 20) throw new Error(`databaseGb must be a whole number of GB, at least 20 (gp3's minimum): ${gb}`);
  const line = /^(\s+AllocatedStorage: )'100'$/m;
  if (!line.test(template)) throw new Error("the template has no AllocatedStorage: '100' to resize");
  return template.replace(line, `$1'${gb}'`);
}

/** Creates the sample environment and its artifacts (templates) in the account. */
export function seedSampleEnvironment(account: SimAccount, size: SampleSize, variant: SampleVariant = 'standard'): void {
  account.s3.createBucket(ARTIFACTS_BUCKET);
  const storage = (template: string) => (size.databaseGb === undefined ? template : withDatabaseStorage(template, size.databaseGb));
  const grow = (template: string) => storage(withExtraResources(template, size.extraBuckets ?? 0, size.extraDatabases ?? 0));
  const standard = example('environment.yaml');
  const kmsVariant = variant === 'stack-owned-kms-key' || variant === 'retained-kms-key';
  // The noecho and large variants change both versions alike (an environment keeps its parameters and size).
  const both = (t: string) => (variant === 'noecho-parameter' ? withNoEchoParameter(t) : variant === 'large-template' ? withLargeMetadata(t) : t);
  const current = both(grow(variant === 'dynamodb-table' ? withDynamoDbTable(standard) : kmsVariant ? withStackKmsKey(standard, variant === 'retained-kms-key') : standard));
  const target = both(grow(example('environment-v1.4.0.yaml')));
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
      ...(variant === 'noecho-parameter' ? { [NOECHO_PARAMETER]: NOECHO_VALUE } : {}),
    },
    { team: 'orders', 'cost-center': 'cc-4711' },
  );
  if (variant === 'noecho-parameter') account.secrets.createSecret(NOECHO_SECRET_NAME, NOECHO_VALUE);
  const resources = account.cloudformation.resourcesOf(SAMPLE_STACK);
  const physical = (logicalId: string) => {
    const r = resources.find((x) => x.logicalId === logicalId);
    if (!r) throw new Error(`The sample environment has no ${logicalId}`);
    return r.physicalId;
  };
  const audit = Array.from({ length: size.extraTables ?? 0 }, (_, i) => [`audit_partition_${String(i + 1).padStart(5, '0')}`, rowsOf('audit', 1)] as const);
  account.rds.setTables(physical('OrdersDb'), {
    customers: rowsOf('customer', size.rows),
    orders: rowsOf('order', size.rows * 3),
    products: rowsOf('product', Math.max(1, Math.floor(size.rows / 2))),
    ...Object.fromEntries(audit),
  });
  for (const id of extraDatabaseIds(size.extraDatabases ?? 0)) {
    account.rds.setTables(physical(id), { entries: rowsOf(`${id}-entry`, 3), events: rowsOf(`${id}-event`, 2) });
  }
  for (const id of extraBucketIds(size.extraBuckets ?? 0)) {
    for (let i = 0; i < (size.objectsPerExtraBucket ?? 3); i += 1) {
      account.s3.putObjectDirect(physical(id), `data/${id.toLowerCase()}/part-${i}.json`, { body: `{"bucket":"${id}","part":${i}}\n`, contentType: 'application/json' });
    }
  }

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
      // Every third object was uploaded before S3 gave new objects a checksum (December 2024): it has none.
      checksumAlgorithm: i % 3 === 0 ? null : undefined,
    });
  }
  // What a real account's buckets hold besides fresh single-part uploads: a multipart upload whose
  // checksum covers its parts only, and a versioned bucket's history (noncurrent versions, a delete marker).
  account.s3.putObjectDirect(uploads, MULTIPART_COMPOSITE_KEY, {
    body: archiveBytes(),
    contentType: 'application/x-tar',
    multipartParts: 2,
    checksumAlgorithm: 'SHA256',
    checksumType: 'COMPOSITE',
  });
  for (const n of [1, 2, 3]) account.s3.putObjectDirect(uploads, REWRITTEN_KEY, { body: `avatar, take ${n}`, contentType: 'image/png', checksumAlgorithm: n === 1 ? null : undefined });
  account.s3.putObjectDirect(uploads, DELETED_KEY, { body: 'the old avatar', contentType: 'image/png', checksumAlgorithm: null });
  account.s3.deleteObjectDirect(uploads, DELETED_KEY);
  for (const key of SPECIAL_KEYS.slice(0, size.specialKeys ?? SPECIAL_KEYS.length)) {
    account.s3.putObjectDirect(reports, key, { body: `contents of ${key}`, contentType: 'text/plain', metadata: { 'original-name': encodeURIComponent(key) }, tags: { special: 'yes' } });
  }
  seedHistory(account, uploads, uploadCount, size.historyKeys);
  if (size.largeObject) {
    account.s3.putObjectDirect(uploads, LARGE_OBJECT_KEY, {
      size: LARGE_OBJECT_SIZE,
      contentType: 'video/mp4',
      metadata: { duration: '3600' },
      multipartParts: 13,
      ...(size.largeObjectWithoutChecksum ? { checksumAlgorithm: null } : {}),
    });
  }
}

/** The sample's entry point for blue/green (issue 11): a private zone and the record clients use. */
export const SAMPLE_HOSTED_ZONE = 'example.internal';
export const SAMPLE_RECORD_NAME = 'orders.example.internal';

export interface EntryPointOptions {
  /** The stack the record points at (default the sample stack). */
  stackName?: string;
  /** `alias` (default): an A alias to the load balancer, as Route 53 consoles make them; `cname`: a CNAME to its DNS name. */
  recordType?: 'alias' | 'cname';
  /** TTL of a CNAME record, seconds (default 60; an alias takes the load balancer's 60 s). */
  ttl?: number;
}

/**
 * Seeds the hosted zone `example.internal.` (private) with the record `orders.example.internal`
 * pointing at a stack's endpoint (the host of its ServiceUrl output; for an alias, in the zone of
 * its ServiceHostedZoneId output, with the `dualstack.` prefix Route 53 consoles add), as if in force
 * and cached everywhere for long. Call after the stack exists (seedSampleEnvironment).
 * Returns what a blue/green input's `entryPoint` names.
 */
export function seedEntryPoint(account: SimAccount, options: EntryPointOptions = {}): { hostedZoneId: string; recordName: string } {
  const stackName = options.stackName ?? SAMPLE_STACK;
  const outputs = account.cloudformation.stackByName(stackName)?.outputs ?? {};
  const serviceUrl = outputs.ServiceUrl;
  if (!serviceUrl) throw new Error(`${stackName} has no ServiceUrl output to point the entry point at`);
  const endpoint = new URL(serviceUrl).hostname;
  const hostedZoneId = account.route53.createHostedZone(SAMPLE_HOSTED_ZONE, { privateZone: true, comment: 'entry point of the orders service' });
  if ((options.recordType ?? 'alias') === 'cname') {
    account.route53.seedRecord(hostedZoneId, { Name: SAMPLE_RECORD_NAME, Type: 'CNAME', TTL: options.ttl ?? 60, ResourceRecords: [{ Value: endpoint }] });
  } else {
    const zone = outputs.ServiceHostedZoneId;
    if (!zone) throw new Error(`${stackName} has no ServiceHostedZoneId output, which an alias record to it needs`);
    account.route53.seedRecord(hostedZoneId, { Name: SAMPLE_RECORD_NAME, Type: 'A', AliasTarget: { HostedZoneId: zone, DNSName: `dualstack.${endpoint}`, EvaluateTargetHealth: true } });
  }
  return { hostedZoneId, recordName: SAMPLE_RECORD_NAME };
}

/**
 * What a versioned bucket holds after a while in service: noncurrent versions and delete markers,
 * with their own metadata and tags. The object keys are the seeded ones, so the keys' histories
 * spread over the listing like real ones.
 */
function seedHistory(account: SimAccount, bucket: string, uploadCount: number, wanted: number | undefined): void {
  const count = Math.min(uploadCount, wanted ?? Math.max(2, Math.round(uploadCount / 10)));
  for (let j = 0; j < count; j++) {
    const i = Math.floor((j * uploadCount) / count);
    const key = `uploads/${String(i % 97).padStart(2, '0')}/file-${i}.bin`;
    const kind = j % 3;
    // The seeded object is version 1; a delete marker goes through the API handler (no direct seeding call for one).
    if (kind === 0) {
      account.s3.putObjectDirect(bucket, key, { body: `object ${i}, revised\n`, contentType: 'application/octet-stream', metadata: { origin: 'sample', index: String(i), revision: '2' }, tags: { revised: 'yes' } });
    } else {
      void account.s3.operations.DeleteObject!({ Bucket: bucket, Key: key });
      if (kind === 2) account.s3.putObjectDirect(bucket, key, { body: `object ${i}, restored\n`, contentType: 'application/octet-stream', metadata: { origin: 'sample', index: String(i), restored: 'true' } });
    }
  }
}
