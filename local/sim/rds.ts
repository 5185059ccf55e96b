/**
 * Simulated Amazon RDS: DB instances that hold a dataset, and manual snapshots that capture it.
 *
 * A dataset is `tables: { tableName: rows[] }`, treated as immutable (replaced, never mutated), so a
 * snapshot can share rows with its instance safely. Long operations take simulated time: a record
 * keeps `readyAt` (or `deletedAt`) and its status is derived from `account.now()` whenever it is
 * read (no timers). The CloudFormation simulator creates, restores and deletes instances through the
 * internal API at the bottom of the class; the workflow's steps use the SDK operations.
 */
import type {
  AddTagsToResourceCommandInput,
  CreateDBSnapshotCommandInput,
  CreateDBSnapshotCommandOutput,
  DBInstance,
  DBSnapshot,
  DeleteDBSnapshotCommandInput,
  DeleteDBSnapshotCommandOutput,
  DescribeDBInstancesCommandInput,
  DescribeDBInstancesCommandOutput,
  DescribeDBSnapshotsCommandInput,
  DescribeDBSnapshotsCommandOutput,
  ListTagsForResourceCommandInput,
  ListTagsForResourceCommandOutput,
  RemoveTagsFromResourceCommandInput,
  Tag,
} from '@aws-sdk/client-rds';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';
import { IdSource } from './ids';

export type Row = Record<string, unknown>;
/** A database's content: table name → rows. Never mutated in place: replace it with setTables. */
export type Tables = Record<string, ReadonlyArray<Row>>;

// 'inaccessible-encryption-credentials': the instance's KMS key is gone; "If the AWS KMS key is deleted
// or lost, then the data is unrecoverable" (AWS re:Post knowledge center, "How do I resolve an Amazon
// RDS instance or Amazon Aurora cluster that's in an inaccessible encryption state?").
export type DbInstanceStatus = 'creating' | 'available' | 'deleting' | 'inaccessible-encryption-credentials';
export type DbSnapshotStatus = 'creating' | 'available';

interface InstanceRecord {
  identifier: string;
  arn: string;
  resourceId: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  allocatedStorage: number;
  masterUsername: string;
  dbName?: string;
  port: number;
  address: string;
  createdAt: number;
  readyAt: number;
  deleteStartedAt?: number;
  deletedAt?: number;
  tables: Tables;
  tags: Tag[];
  /** ARN of the KMS key encrypting its storage; undefined: not encrypted. */
  kmsKeyId?: string;
  /** The stack whose template created it (for the restoreDropsRows fault's filter). */
  stackName?: string;
  restoredFrom?: string;
  /** DeletionProtection: DeleteDBInstance refuses the instance while it is on. */
  deletionProtection?: boolean;
}

interface SnapshotRecord {
  identifier: string;
  arn: string;
  instanceIdentifier: string;
  instanceResourceId: string;
  instanceCreatedAt: number;
  engine: string;
  engineVersion: string;
  allocatedStorage: number;
  masterUsername: string;
  port: number;
  type: 'manual' | 'automated';
  createdAt: number;
  readyAt: number;
  /** Captured when the snapshot was requested: later writes to the instance are not in it. */
  tables: Tables;
  tags: Tag[];
  /** The instance's key: a snapshot is encrypted with the key of its instance. */
  kmsKeyId?: string;
}

/** An instance as seen now (status derived from the clock). */
export interface DbInstanceView {
  identifier: string;
  arn: string;
  status: DbInstanceStatus;
  engine: string;
  allocatedStorage: number;
  endpoint: { address: string; port: number };
  tables: Tables;
  tags: Tag[];
  stackName?: string;
  restoredFrom?: string;
  readyAt: number;
  kmsKeyId?: string;
}

/** A snapshot as seen now. */
export interface DbSnapshotView {
  identifier: string;
  arn: string;
  status: DbSnapshotStatus;
  instanceIdentifier: string;
  allocatedStorage: number;
  tables: Tables;
  tags: Tag[];
  readyAt: number;
  type: 'manual' | 'automated';
  kmsKeyId?: string;
}

export interface CreateInstanceOptions {
  identifier: string;
  allocatedStorage: number;
  engine?: string;
  engineVersion?: string;
  instanceClass?: string;
  masterUsername?: string;
  dbName?: string;
  tables?: Tables;
  tags?: Tag[];
  /** When the instance becomes 'available' (default: now + the fixed restore time, a fresh DB's create time). */
  readyAt?: number;
  stackName?: string;
  /** Storage encrypted with this KMS key (key ID, key ARN, alias name or alias ARN); undefined: not encrypted. */
  kmsKeyId?: string;
  /** DeletionProtection (AWS::RDS::DBInstance property of that name). */
  deletionProtection?: boolean;
}

export interface RestoreOptions {
  identifier: string;
  /** DeletionProtection of the restored instance (not inherited from the snapshot). */
  deletionProtection?: boolean;
  snapshotIdentifier: string;
  /** Restored instances get at least the snapshot's storage (RDS cannot restore onto less). */
  allocatedStorage?: number;
  instanceClass?: string;
  tags?: Tag[];
  /** When the restore completes (default: now + restore time for the allocated storage). */
  readyAt?: number;
  /** When the restore starts, which is when the snapshot must be available (default now). */
  at?: number;
  stackName?: string;
}

// Identifier rules from the CreateDBSnapshot / CreateDBInstance API references: 1–255 (instances 1–63)
// letters, digits or hyphens; first a letter; no trailing hyphen, no two consecutive hyphens.
const IDENTIFIER = /^[A-Za-z](?:-?[A-Za-z0-9])*$/;
const MAX_SNAPSHOT_ID = 255;
const MAX_INSTANCE_ID = 63;

const ENGINE_PORTS: Record<string, number> = { postgres: 5432, mysql: 3306, mariadb: 3306, 'sqlserver-se': 1433, 'oracle-se2': 1521 };

function invalidIdentifier(parameter: string): SimServiceError {
  return new SimServiceError(
    'InvalidParameterValue',
    `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    400,
  );
}

function checkIdentifier(parameter: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !IDENTIFIER.test(value)) throw invalidIdentifier(parameter);
  // RDS stores identifiers in lowercase ("This parameter is stored as a lowercase string", API_CreateDBInstance).
  return value.toLowerCase();
}

function copyTables(tables: Tables): Tables {
  return Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, rows.slice()]));
}

function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const map = new Map(existing.map((t) => [t.Key, t]));
  for (const t of added) map.set(t.Key, { Key: t.Key, Value: t.Value ?? '' });
  return [...map.values()];
}

/** MaxRecords/Marker paging shared by the Describe operations (MaxRecords 20–100, default 100). */
function page<T>(items: T[], maxRecords: unknown, marker: unknown): { items: T[]; marker?: string } {
  const max = maxRecords === undefined ? 100 : Number(maxRecords);
  if (!Number.isInteger(max) || max < 20 || max > 100) {
    throw new SimServiceError('InvalidParameterValue', 'Invalid value for MaxRecords: must be between 20 and 100.', 400);
  }
  const start = marker === undefined ? 0 : Number(Buffer.from(String(marker), 'base64').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw new SimServiceError('InvalidParameterValue', 'Invalid marker.', 400);
  const slice = items.slice(start, start + max);
  return start + max < items.length ? { items: slice, marker: Buffer.from(String(start + max)).toString('base64') } : { items: slice };
}

export class RdsSim implements SimService {
  readonly serviceName = 'RDS';
  readonly operations: Record<string, OpHandler>;
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly snapshots = new Map<string, SnapshotRecord>();
  /**
   * The account's "Manual DB instance snapshots" quota: 100 by default (RDS user guide, "Quotas in
   * Amazon RDS"), raised on request. DescribeAccountAttributes reports it as ManualSnapshots.
   */
  manualSnapshotQuota = 100;
  private readonly ids = new IdSource('rds');
  /** RDS endpoints look like `<id>.<12 chars fixed per account and region>.<region>.rds.amazonaws.com`. */
  private readonly endpointInfix: string;

  constructor(private readonly account: SimAccount) {
    this.endpointInfix = this.ids.next(12);
    this.operations = {
      CreateDBSnapshot: (i) => this.createDbSnapshot(i),
      DescribeDBSnapshots: (i) => this.describeDbSnapshots(i),
      DeleteDBSnapshot: (i) => this.deleteDbSnapshot(i),
      DescribeDBInstances: (i) => this.describeDbInstances(i),
      AddTagsToResource: (i) => this.addTagsToResource(i),
      RemoveTagsFromResource: (i) => this.removeTagsFromResource(i),
      ListTagsForResource: (i) => this.listTagsForResource(i),
      DescribeAccountAttributes: () => this.describeAccountAttributes(),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // SDK operations
  // ---------------------------------------------------------------------------------------------

  private createDbSnapshot(raw: OpInput): Omit<CreateDBSnapshotCommandOutput, '$metadata'> {
    const input = raw as unknown as CreateDBSnapshotCommandInput;
    const snapshotId = checkIdentifier('DBSnapshotIdentifier', input.DBSnapshotIdentifier, MAX_SNAPSHOT_ID);
    const instance = this.requireInstance(input.DBInstanceIdentifier);
    if (this.snapshotRecord(snapshotId)) {
      throw new SimServiceError(
        'DBSnapshotAlreadyExistsFault',
        `Cannot create the snapshot because a snapshot with the identifier ${snapshotId} already exists.`,
        400,
      );
    }
    if (this.instanceStatus(instance) !== 'available') {
      throw new SimServiceError(
        'InvalidDBInstanceStateFault',
        `Cannot create a snapshot because the database instance ${instance.identifier} is not currently in the available state.`,
        400,
      );
    }
    const snapshot = this.takeSnapshot(instance, snapshotId, input.Tags ?? []);
    return { DBSnapshot: this.toDbSnapshot(snapshot) };
  }

  /**
   * DescribeAccountAttributes: "Amazon RDS quotas for the account ... the quota name, current usage
   * toward that quota, and the quota's maximum value" (RDS API reference, DescribeAccountAttributes);
   * ManualSnapshots counts the manual DB instance snapshots.
   */
  private describeAccountAttributes(): { AccountQuotas: { AccountQuotaName: string; Used: number; Max: number }[] } {
    this.purgeDeleted();
    return {
      AccountQuotas: [
        { AccountQuotaName: 'DBInstances', Used: this.instances.size, Max: 40 },
        { AccountQuotaName: 'ManualSnapshots', Used: [...this.snapshots.values()].filter((x) => x.type === 'manual').length, Max: this.manualSnapshotQuota },
      ],
    };
  }

  private describeDbSnapshots(raw: OpInput): Omit<DescribeDBSnapshotsCommandOutput, '$metadata'> {
    const input = raw as unknown as DescribeDBSnapshotsCommandInput;
    let list = [...this.snapshots.values()];
    if (input.DBSnapshotIdentifier !== undefined) {
      const one = this.snapshotRecord(String(input.DBSnapshotIdentifier).toLowerCase());
      // By identifier, a missing snapshot is an error, not an empty list (API_DescribeDBSnapshots, Errors).
      if (!one) throw new SimServiceError('DBSnapshotNotFoundFault', `DBSnapshot not found: ${input.DBSnapshotIdentifier}`, 404);
      list = [one];
    }
    if (input.DBInstanceIdentifier !== undefined) {
      const id = String(input.DBInstanceIdentifier).toLowerCase();
      list = list.filter((s) => s.instanceIdentifier === id);
    }
    // Without SnapshotType, manual and automated snapshots are both returned.
    if (input.SnapshotType) list = list.filter((s) => s.type === input.SnapshotType);
    for (const filter of input.Filters ?? []) {
      const values = new Set((filter.Values ?? []).map((v) => v.toLowerCase()));
      const field: Record<string, (s: SnapshotRecord) => string> = {
        'db-snapshot-id': (s) => s.identifier,
        'db-instance-id': (s) => s.instanceIdentifier,
        'snapshot-type': (s) => s.type,
        engine: (s) => s.engine,
      };
      const get = field[filter.Name ?? ''];
      if (!get) throw new SimServiceError('InvalidParameterValue', `Unrecognized filter name: ${filter.Name}`, 400);
      list = list.filter((s) => values.has(get(s)));
    }
    list.sort((a, b) => a.createdAt - b.createdAt);
    const { items, marker } = page(list, input.MaxRecords, input.Marker);
    return { DBSnapshots: items.map((s) => this.toDbSnapshot(s)), ...(marker ? { Marker: marker } : {}) };
  }

  private deleteDbSnapshot(raw: OpInput): Omit<DeleteDBSnapshotCommandOutput, '$metadata'> {
    const input = raw as unknown as DeleteDBSnapshotCommandInput;
    const id = String(input.DBSnapshotIdentifier ?? '').toLowerCase();
    const snapshot = this.snapshotRecord(id);
    if (!snapshot) throw new SimServiceError('DBSnapshotNotFoundFault', `DBSnapshot not found: ${input.DBSnapshotIdentifier}`, 404);
    // "The DB snapshot must be in the available state to be deleted" (API_DeleteDBSnapshot); automated
    // snapshots are removed with their instance's retention, never by this call.
    if (snapshot.type !== 'manual' || this.snapshotStatus(snapshot) !== 'available') {
      throw new SimServiceError('InvalidDBSnapshotStateFault', `Cannot delete the snapshot ${id} because it is not in the available state.`, 400);
    }
    this.snapshots.delete(id);
    return { DBSnapshot: { ...this.toDbSnapshot(snapshot), Status: 'deleted' } };
  }

  private describeDbInstances(raw: OpInput): Omit<DescribeDBInstancesCommandOutput, '$metadata'> {
    const input = raw as unknown as DescribeDBInstancesCommandInput;
    this.purgeDeleted();
    let list = [...this.instances.values()];
    if (input.DBInstanceIdentifier !== undefined) {
      const one = this.instances.get(String(input.DBInstanceIdentifier).toLowerCase());
      if (!one) throw new SimServiceError('DBInstanceNotFoundFault', `DBInstance ${input.DBInstanceIdentifier} not found.`, 404);
      list = [one];
    }
    for (const filter of input.Filters ?? []) {
      const values = new Set((filter.Values ?? []).map((v) => v.toLowerCase()));
      if (filter.Name === 'db-instance-id') list = list.filter((i) => values.has(i.identifier) || values.has(i.arn.toLowerCase()));
      else if (filter.Name === 'engine') list = list.filter((i) => values.has(i.engine));
      else throw new SimServiceError('InvalidParameterValue', `Unrecognized filter name: ${filter.Name}`, 400);
    }
    list.sort((a, b) => a.createdAt - b.createdAt);
    const { items, marker } = page(list, input.MaxRecords, input.Marker);
    return { DBInstances: items.map((i) => this.toDbInstance(i)), ...(marker ? { Marker: marker } : {}) };
  }

  private addTagsToResource(raw: OpInput): Record<string, never> {
    const input = raw as unknown as AddTagsToResourceCommandInput;
    const target = this.resourceByArn(input.ResourceName);
    target.tags = mergeTags(target.tags, input.Tags ?? []);
    return {};
  }

  private removeTagsFromResource(raw: OpInput): Record<string, never> {
    const input = raw as unknown as RemoveTagsFromResourceCommandInput;
    const target = this.resourceByArn(input.ResourceName);
    const remove = new Set(input.TagKeys ?? []);
    target.tags = target.tags.filter((t) => !remove.has(t.Key ?? ''));
    return {};
  }

  private listTagsForResource(raw: OpInput): Omit<ListTagsForResourceCommandOutput, '$metadata'> {
    const input = raw as unknown as ListTagsForResourceCommandInput;
    return { TagList: this.resourceByArn(input.ResourceName).tags.map((t) => ({ ...t })) };
  }

  // ---------------------------------------------------------------------------------------------
  // Internal API (CloudFormation, seeding, assertions)
  // ---------------------------------------------------------------------------------------------

  /** Seconds a restore of `allocatedGb` takes (fixed part + per allocated GB, as RDS restores scale with storage). */
  restoreSeconds(allocatedGb: number): number {
    return this.account.timing.restoreFixedSeconds + this.account.timing.restoreSecondsPerGb * allocatedGb;
  }

  /** Seconds a fresh (empty) instance takes to create: the fixed part of a restore. */
  createSeconds(): number {
    return this.account.timing.restoreFixedSeconds;
  }

  /** Creates an empty (or seeded) instance. Throws DBInstanceAlreadyExistsFault or InvalidParameterValue. */
  createInstance(options: CreateInstanceOptions): DbInstanceView {
    const identifier = checkIdentifier('DBInstanceIdentifier', options.identifier, MAX_INSTANCE_ID);
    this.assertFreeIdentifier(identifier);
    const engine = options.engine ?? 'postgres';
    const now = this.account.now();
    let kmsKeyArn: string | undefined;
    if (options.kmsKeyId !== undefined) {
      // CreateDBInstance / RestoreDBInstanceFromDBSnapshot need the key usable (RDS creates a grant on
      // it); a key pending deletion "can't be used in any cryptographic operations" (KMS API reference,
      // ScheduleKeyDeletion), so the call fails with KMSKeyNotAccessibleFault.
      const key = this.account.kms.key(options.kmsKeyId);
      if (!key || key.state !== 'Enabled') {
        throw new SimServiceError('KMSKeyNotAccessibleFault', `The specified KMS key [${options.kmsKeyId}] does not exist, is not enabled or you do not have permissions to access it.`, 400);
      }
      kmsKeyArn = key.arn;
    }
    const record: InstanceRecord = {
      identifier,
      arn: this.account.arn('rds', `db:${identifier}`),
      resourceId: `db-${this.ids.next(26, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`,
      engine,
      engineVersion: options.engineVersion ?? (engine === 'postgres' ? '16.4' : '8.0.39'),
      instanceClass: options.instanceClass ?? 'db.t4g.micro',
      allocatedStorage: options.allocatedStorage,
      masterUsername: options.masterUsername ?? 'postgres',
      ...(options.dbName ? { dbName: options.dbName } : {}),
      port: ENGINE_PORTS[engine] ?? 5432,
      address: `${identifier}.${this.endpointInfix}.${this.account.region}.rds.amazonaws.com`,
      createdAt: now,
      readyAt: options.readyAt ?? now + this.createSeconds() * 1000,
      tables: copyTables(options.tables ?? {}),
      tags: (options.tags ?? []).map((t) => ({ ...t })),
      ...(options.stackName ? { stackName: options.stackName } : {}),
      ...(kmsKeyArn ? { kmsKeyId: kmsKeyArn } : {}),
      ...(options.deletionProtection ? { deletionProtection: true } : {}),
    };
    this.instances.set(identifier, record);
    return this.view(record);
  }

  /**
   * Restores a new instance from a snapshot (RestoreDBInstanceFromDBSnapshot, as CloudFormation does for
   * DBSnapshotIdentifier). The data is the snapshot's, captured when the snapshot was taken, and so is
   * its encryption: "If you specify the DBSnapshotIdentifier property ... the StorageEncrypted property
   * value is inherited from the snapshot. If the DB instance is encrypted, the specified KmsKeyId
   * property is also inherited from the snapshot" (AWS::RDS::DBInstance reference, KmsKeyId); a
   * snapshot whose key is not usable cannot be restored (KMSKeyNotAccessibleFault). Throws
   * DBSnapshotNotFoundFault when it does not exist, InvalidDBSnapshotStateFault when it is not yet available.
   */
  restoreFromSnapshot(options: RestoreOptions): DbInstanceView {
    const snapshot = this.snapshotRecord(options.snapshotIdentifier.toLowerCase());
    if (!snapshot) throw new SimServiceError('DBSnapshotNotFoundFault', `DBSnapshot not found: ${options.snapshotIdentifier}`, 404);
    if ((options.at ?? this.account.now()) < snapshot.readyAt) {
      throw new SimServiceError('InvalidDBSnapshotStateFault', `DBSnapshot ${snapshot.identifier} is not in the available state.`, 400);
    }
    const allocatedStorage = Math.max(options.allocatedStorage ?? snapshot.allocatedStorage, snapshot.allocatedStorage);
    const view = this.createInstance({
      identifier: options.identifier,
      allocatedStorage,
      engine: snapshot.engine,
      engineVersion: snapshot.engineVersion,
      masterUsername: snapshot.masterUsername,
      ...(options.instanceClass ? { instanceClass: options.instanceClass } : {}),
      tables: this.restoredTables(snapshot.tables, options.stackName),
      ...(options.tags ? { tags: options.tags } : {}),
      readyAt: options.readyAt ?? this.account.now() + this.restoreSeconds(allocatedStorage) * 1000,
      ...(options.stackName ? { stackName: options.stackName } : {}),
      ...(snapshot.kmsKeyId ? { kmsKeyId: snapshot.kmsKeyId } : {}),
      ...(options.deletionProtection ? { deletionProtection: true } : {}),
    });
    const record = this.instances.get(view.identifier);
    if (record) record.restoredFrom = snapshot.identifier;
    return this.instance(view.identifier) ?? view;
  }

  /**
   * Starts deleting an instance (DeleteDBInstance): 'deleting' for `deleteSeconds` (default
   * timing.dbDeleteSeconds), then gone. With `finalSnapshotIdentifier`, a manual snapshot of its data
   * is taken first (SkipFinalSnapshot false). Deleting an instance already being deleted is a no-op.
   */
  deleteInstance(identifier: string, options: { finalSnapshotIdentifier?: string; deleteSeconds?: number } = {}): void {
    const record = this.requireInstance(identifier);
    if (record.deleteStartedAt !== undefined) return;
    // "The database can't be deleted when deletion protection is enabled" (ModifyDBInstance,
    // DeletionProtection); DeleteDBInstance answers InvalidParameterCombination "Cannot delete protected
    // DB Instance, please disable deletion protection and try again." (quoted in
    // hashicorp/terraform-provider-aws#26233), and a stack deleting it ends DELETE_FAILED.
    if (record.deletionProtection) {
      throw new SimServiceError('InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.', 400);
    }
    if (options.finalSnapshotIdentifier) {
      const snapshotId = checkIdentifier('FinalDBSnapshotIdentifier', options.finalSnapshotIdentifier, MAX_SNAPSHOT_ID);
      if (!this.snapshotRecord(snapshotId)) this.takeSnapshot(record, snapshotId, []);
    }
    const now = this.account.now();
    record.deleteStartedAt = now;
    record.deletedAt = now + (options.deleteSeconds ?? this.account.timing.dbDeleteSeconds) * 1000;
  }

  /** Turns DeletionProtection on or off, as ModifyDBInstance does (seeding scenarios). */
  setDeletionProtection(identifier: string, enabled: boolean): void {
    this.requireInstance(identifier).deletionProtection = enabled;
  }

  /** Removes an instance at once, as if it never existed (a rolled-back create that never finished). */
  purgeInstance(identifier: string): void {
    this.instances.delete(identifier.toLowerCase());
  }

  instance(identifier: string): DbInstanceView | undefined {
    this.purgeDeleted();
    const record = this.instances.get(identifier.toLowerCase());
    return record ? this.view(record) : undefined;
  }

  snapshot(identifier: string): DbSnapshotView | undefined {
    const record = this.snapshotRecord(identifier.toLowerCase());
    return record
      ? {
          identifier: record.identifier,
          arn: record.arn,
          status: this.snapshotStatus(record),
          instanceIdentifier: record.instanceIdentifier,
          allocatedStorage: record.allocatedStorage,
          tables: record.tables,
          tags: record.tags.map((t) => ({ ...t })),
          readyAt: record.readyAt,
          type: record.type,
          ...(record.kmsKeyId ? { kmsKeyId: record.kmsKeyId } : {}),
        }
      : undefined;
  }

  /** Every instance that exists now (including those being deleted). */
  listInstances(): DbInstanceView[] {
    this.purgeDeleted();
    return [...this.instances.values()].map((r) => this.view(r));
  }

  /** Every snapshot that exists now. */
  listSnapshots(): DbSnapshotView[] {
    return [...this.snapshots.keys()].flatMap((id) => this.snapshot(id) ?? []);
  }

  /** Replaces an instance's data (seeding, or the application writing). */
  setTables(identifier: string, tables: Tables): void {
    this.requireInstance(identifier).tables = copyTables(tables);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------------------

  private takeSnapshot(instance: InstanceRecord, snapshotId: string, tags: Tag[]): SnapshotRecord {
    // A manual snapshot beyond the account's quota is refused: CreateDBSnapshot (and a final snapshot
    // of DeleteDBInstance) fail with SnapshotQuotaExceeded, "The request would result in the user
    // exceeding the allowed number of DB snapshots" (RDS API reference, CreateDBSnapshot, Errors).
    const used = [...this.snapshots.values()].filter((x) => x.type === 'manual').length;
    if (used >= this.manualSnapshotQuota) {
      throw new SimServiceError('SnapshotQuotaExceededFault', 'The request would result in the user exceeding the allowed number of DB snapshots.', 400);
    }
    const now = this.account.now();
    const t = this.account.timing;
    const record: SnapshotRecord = {
      identifier: snapshotId,
      arn: this.account.arn('rds', `snapshot:${snapshotId}`),
      instanceIdentifier: instance.identifier,
      instanceResourceId: instance.resourceId,
      instanceCreatedAt: instance.createdAt,
      engine: instance.engine,
      engineVersion: instance.engineVersion,
      allocatedStorage: instance.allocatedStorage,
      masterUsername: instance.masterUsername,
      port: instance.port,
      type: 'manual',
      createdAt: now,
      // Snapshot time grows with the instance's storage: a fixed part plus seconds per allocated GB.
      readyAt: now + (t.snapshotFixedSeconds + t.snapshotSecondsPerGb * instance.allocatedStorage) * 1000,
      tables: copyTables(instance.tables),
      tags: tags.map((tag) => ({ Key: tag.Key, Value: tag.Value ?? '' })),
      ...(instance.kmsKeyId ? { kmsKeyId: instance.kmsKeyId } : {}),
    };
    this.snapshots.set(snapshotId, record);
    return record;
  }

  /** The silent fault restoreDropsRows: an incomplete restore that loses the last rows of every table. */
  private restoredTables(tables: Tables, stackName: string | undefined): Tables {
    const fault = this.account.faults.silent.restoreDropsRows;
    if (!fault || (fault.onlyInstancesOfStack !== undefined && fault.onlyInstancesOfStack !== stackName)) return copyTables(tables);
    return Object.fromEntries(Object.entries(tables).map(([name, rows]) => [name, rows.slice(0, Math.max(0, rows.length - fault.rows))]));
  }

  private assertFreeIdentifier(identifier: string): void {
    this.purgeDeleted();
    // An instance being deleted still holds its identifier until it is gone.
    if (this.instances.has(identifier)) {
      throw new SimServiceError('DBInstanceAlreadyExistsFault', 'DB instance already exists', 400);
    }
  }

  private requireInstance(identifier: unknown): InstanceRecord {
    this.purgeDeleted();
    const record = this.instances.get(String(identifier ?? '').toLowerCase());
    if (!record) throw new SimServiceError('DBInstanceNotFoundFault', `DBInstance ${String(identifier)} not found.`, 404);
    return record;
  }

  private snapshotRecord(identifier: string): SnapshotRecord | undefined {
    return this.snapshots.get(identifier);
  }

  private resourceByArn(arn: unknown): { tags: Tag[] } {
    const match = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:(db|snapshot):(.+)$/.exec(String(arn ?? ''));
    if (!match) throw new SimServiceError('InvalidParameterValue', `Invalid resource name: ${String(arn)}`, 400);
    const [, kind, id] = match as unknown as [string, string, string];
    if (kind === 'db') return this.requireInstance(id);
    const snapshot = this.snapshotRecord(id.toLowerCase());
    if (!snapshot) throw new SimServiceError('DBSnapshotNotFoundFault', `DBSnapshot not found: ${id}`, 404);
    return snapshot;
  }

  private purgeDeleted(): void {
    const now = this.account.now();
    for (const [id, record] of this.instances) if (record.deletedAt !== undefined && now >= record.deletedAt) this.instances.delete(id);
  }

  private instanceStatus(record: InstanceRecord): DbInstanceStatus {
    if (record.deleteStartedAt !== undefined) return 'deleting';
    if (this.account.now() < record.readyAt) return 'creating';
    // A running instance keeps its data key in memory: "resources encrypted with data keys protected by
    // the KMS key are not affected until the KMS key is used again" (KMS developer guide, "Enable and
    // disable keys"), so it stays available while its key is pending deletion. Once the key is deleted
    // its data can never be decrypted again.
    if (record.kmsKeyId !== undefined && !this.account.kms.key(record.kmsKeyId)) return 'inaccessible-encryption-credentials';
    return 'available';
  }

  private snapshotStatus(record: SnapshotRecord): DbSnapshotStatus {
    return this.account.now() < record.readyAt ? 'creating' : 'available';
  }

  private view(record: InstanceRecord): DbInstanceView {
    return {
      identifier: record.identifier,
      arn: record.arn,
      status: this.instanceStatus(record),
      engine: record.engine,
      allocatedStorage: record.allocatedStorage,
      endpoint: { address: record.address, port: record.port },
      // An instance whose key is gone has no readable data.
      tables: this.instanceStatus(record) === 'inaccessible-encryption-credentials' ? {} : record.tables,
      tags: record.tags.map((t) => ({ ...t })),
      readyAt: record.readyAt,
      ...(record.stackName ? { stackName: record.stackName } : {}),
      ...(record.restoredFrom ? { restoredFrom: record.restoredFrom } : {}),
      ...(record.kmsKeyId ? { kmsKeyId: record.kmsKeyId } : {}),
    };
  }

  private toDbInstance(record: InstanceRecord): DBInstance {
    const status = this.instanceStatus(record);
    return {
      DBInstanceIdentifier: record.identifier,
      DBInstanceArn: record.arn,
      DbiResourceId: record.resourceId,
      DBInstanceClass: record.instanceClass,
      Engine: record.engine,
      EngineVersion: record.engineVersion,
      DBInstanceStatus: status,
      MasterUsername: record.masterUsername,
      ...(record.dbName ? { DBName: record.dbName } : {}),
      // RDS has no endpoint to show while the instance is still being created.
      ...(status === 'creating' ? {} : { Endpoint: { Address: record.address, Port: record.port, HostedZoneId: 'Z2R2ITUGPM61AM' } }),
      AllocatedStorage: record.allocatedStorage,
      StorageType: 'gp3',
      StorageEncrypted: record.kmsKeyId !== undefined,
      DeletionProtection: record.deletionProtection === true,
      ...(record.kmsKeyId ? { KmsKeyId: record.kmsKeyId } : {}),
      MultiAZ: false,
      AvailabilityZone: `${this.account.region}a`,
      InstanceCreateTime: new Date(record.createdAt),
      TagList: record.tags.map((t) => ({ ...t })),
    };
  }

  private toDbSnapshot(record: SnapshotRecord): DBSnapshot {
    const status = this.snapshotStatus(record);
    // PercentProgress: "the percentage of the estimated data that has been transferred" (RDS API
    // reference, DBSnapshot), a whole number; modelled as the transfer's share of the snapshot's time,
    // rounded down, 100 once available.
    const total = record.readyAt - record.createdAt;
    const progress = status === 'available' || total <= 0 ? 100 : Math.floor(((this.account.now() - record.createdAt) / total) * 100);
    return {
      DBSnapshotIdentifier: record.identifier,
      DBSnapshotArn: record.arn,
      DBInstanceIdentifier: record.instanceIdentifier,
      DbiResourceId: record.instanceResourceId,
      SnapshotCreateTime: new Date(record.createdAt),
      InstanceCreateTime: new Date(record.instanceCreatedAt),
      Engine: record.engine,
      EngineVersion: record.engineVersion,
      AllocatedStorage: record.allocatedStorage,
      Status: status,
      Port: record.port,
      AvailabilityZone: `${this.account.region}a`,
      MasterUsername: record.masterUsername,
      SnapshotType: record.type,
      PercentProgress: progress,
      StorageType: 'gp3',
      Encrypted: record.kmsKeyId !== undefined,
      ...(record.kmsKeyId ? { KmsKeyId: record.kmsKeyId } : {}),
      TagList: record.tags.map((t) => ({ ...t })),
    };
  }
}
