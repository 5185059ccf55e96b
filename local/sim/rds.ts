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
  CreateDBInstanceReadReplicaCommandInput,
  CreateDBInstanceReadReplicaCommandOutput,
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
  PromoteReadReplicaCommandInput,
  PromoteReadReplicaCommandOutput,
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
// 'modifying': a read replica being promoted ("The DB instance is being modified", RDS user guide,
// "Viewing Amazon RDS DB instance status"); PromoteReadReplica reboots it before it is available.
export type DbInstanceStatus = 'creating' | 'available' | 'modifying' | 'deleting' | 'inaccessible-encryption-credentials';
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
  /** BackupRetentionPeriod in days; 0: automated backups disabled (no read replica can be made of it). */
  backupRetentionPeriod: number;
  /** Set while it is the source of read replicas (or was, for their metrics): its writes, as they happened. */
  feed?: SourceFeed;
  /** Set once it became a read replica; `endedAt` once the replication ended (promotion). */
  replication?: Replication;
  /** A promotion in progress: 'modifying' until then. */
  modifyingUntil?: number;
  /** Explicit write activity (setWriteActivity); undefined: derived from its stack's Auto Scaling groups. */
  writeActivity?: boolean;
}

/**
 * What a source's read replicas replay: its data versions and when it was written. Kept from its
 * first replica on (the versions older than every replica's applied point are pruned).
 */
interface SourceFeed {
  identifier: string;
  engine: string;
  /** RDS's own heartbeat writes are timed from here (PostgreSQL's idle lag, see replicaLagAt). */
  createdAt: number;
  /** setTables versions, oldest first; the first is the data when the first replica was requested. */
  versions: { at: number; tables: Tables }[];
  /** Write activity changes, oldest first (before the first: not written). */
  activity: { at: number; writing: boolean }[];
  /** When setTables wrote (never pruned: past ReplicaLag readings depend on them). */
  writes: number[];
}

interface Replication {
  feed: SourceFeed;
  /** When the source was snapshotted for it (its data starts there). */
  startedAt: number;
  /** When the replica became available and began applying. */
  applyingFrom: number;
  /** When the replication stopped (promotion started, or the source was deleted). */
  endedAt?: number;
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
  /** The source's identifier while this is a read replica (until its promotion completes). */
  replicaOf?: string;
  /** Identifiers of its read replicas (until their promotions complete). */
  replicas: string[];
  backupRetentionPeriod: number;
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
  /**
   * BackupRetentionPeriod in days (0 disables automated backups). Default 1: "Default: 1" (RDS API
   * reference, CreateDBInstance, BackupRetentionPeriod); CloudFormation passes the template's value.
   */
  backupRetentionPeriod?: number;
}

export interface CreateReadReplicaOptions {
  identifier: string;
  /** Identifier or ARN of the source DB instance, in the same Region. */
  sourceIdentifier: string;
  instanceClass?: string;
  allocatedStorage?: number;
  tags?: Tag[];
  stackName?: string;
  deletionProtection?: boolean;
  /** Default 0: "RDS creates read replicas with backups disabled" (API_CreateDBInstanceReadReplica). */
  backupRetentionPeriod?: number;
  /** When the replica becomes 'available' (default: now + a snapshot of the source + a restore). */
  readyAt?: number;
}

export interface RestoreOptions {
  identifier: string;
  /** BackupRetentionPeriod of the restored instance (default 1, as CreateDBInstance). */
  backupRetentionPeriod?: number;
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

/**
 * Read replicas per source DB instance, by engine: "Each DB instance can have up to 15 read replicas,
 * except for the following engines: Db2 - Can have up to three replicas. Oracle - Can have up to five
 * read replicas. SQL Server - Can have up to five read replicas" (RDS API reference,
 * CreateDBInstanceReadReplica, SourceDBInstanceIdentifier). Engines absent here have no instance read
 * replicas: Aurora ("Amazon Aurora doesn't support this operation", same page: its replicas are DB
 * cluster members), and the Standard Editions of Oracle and SQL Server (RDS user guide: Oracle replicas
 * need Enterprise Edition, "Read replica limitations with SQL Server": Enterprise Edition only).
 */
const MAX_REPLICAS: Record<string, number> = {
  mysql: 15,
  mariadb: 15,
  postgres: 15,
  'oracle-ee': 5,
  'oracle-ee-cdb': 5,
  'sqlserver-ee': 5,
  'db2-ae': 3,
  'db2-se': 3,
};

/**
 * RDS for PostgreSQL writes a heartbeat into its own admin database every 5 minutes, so a source with no
 * user writes still produces WAL that often ("In RDS, we write to a heartbeat table in our internal
 * 'rdsadmin' database every 5 minutes", AWS support quoted in singer-io/tap-postgres#58); its read
 * replicas' ReplicaLag therefore grows up to about five minutes between heartbeats when the source is
 * idle ("if no user transactions are running on the source DB instance, the associated PostgreSQL read
 * replica reports a replication lag of up to five minutes", RDS user guide, "Monitoring read
 * replication", quoted in qonto/database-monitoring-framework#7).
 */
export const POSTGRES_HEARTBEAT_MS = 300_000;
/**
 * The heartbeats' phase from the source's creation: AWS publishes none; an odd offset keeps the
 * simulator's round clocks (instances created on the minute, metrics sampled on the minute) from
 * sampling exactly on a heartbeat and reading a lag of 0 by accident.
 */
export const POSTGRES_HEARTBEAT_PHASE_MS = 37_000;

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

/** BackupRetentionPeriod: "Must be a value from 0 to 35" (RDS API reference, CreateDBInstance). */
function checkRetention(days: number): number {
  if (!Number.isInteger(days) || days < 0 || days > 35) {
    throw new SimServiceError('InvalidParameterValue', `Invalid backup retention period: ${days}. It must be a value from 0 to 35.`, 400);
  }
  return days;
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
      CreateDBInstanceReadReplica: (i) => this.createDbInstanceReadReplica(i),
      PromoteReadReplica: (i) => this.promoteReadReplicaOp(i),
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
    this.observeWrites();
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

  /** CreateDBInstanceReadReplica: the internal createReadReplica (same Region only). */
  private createDbInstanceReadReplica(raw: OpInput): Omit<CreateDBInstanceReadReplicaCommandOutput, '$metadata'> {
    const input = raw as unknown as CreateDBInstanceReadReplicaCommandInput;
    if (!input.SourceDBInstanceIdentifier) throw new SimServiceError('MissingParameter', 'The parameter SourceDBInstanceIdentifier must be provided.', 400);
    const view = this.createReadReplica({
      identifier: String(input.DBInstanceIdentifier ?? ''),
      sourceIdentifier: input.SourceDBInstanceIdentifier,
      ...(input.DBInstanceClass ? { instanceClass: input.DBInstanceClass } : {}),
      ...(input.AllocatedStorage !== undefined ? { allocatedStorage: input.AllocatedStorage } : {}),
      ...(input.Tags ? { tags: input.Tags } : {}),
      ...(input.DeletionProtection ? { deletionProtection: true } : {}),
    });
    return { DBInstance: this.toDbInstance(this.instances.get(view.identifier)!) };
  }

  /** PromoteReadReplica: the internal promoteReadReplica; answers the instance as it is when the promotion starts ('modifying'). */
  private promoteReadReplicaOp(raw: OpInput): Omit<PromoteReadReplicaCommandOutput, '$metadata'> {
    const input = raw as unknown as PromoteReadReplicaCommandInput;
    this.promoteReadReplica(String(input.DBInstanceIdentifier ?? ''), input.BackupRetentionPeriod !== undefined ? { backupRetentionPeriod: input.BackupRetentionPeriod } : {});
    return { DBInstance: this.toDbInstance(this.requireInstance(input.DBInstanceIdentifier)) };
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
      backupRetentionPeriod: checkRetention(options.backupRetentionPeriod ?? 1),
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
      ...(options.backupRetentionPeriod !== undefined ? { backupRetentionPeriod: options.backupRetentionPeriod } : {}),
    });
    const record = this.instances.get(view.identifier);
    if (record) record.restoredFrom = snapshot.identifier;
    return this.instance(view.identifier) ?? view;
  }


  // ---------------------------------------------------------------------------------------------
  // Read replicas
  // ---------------------------------------------------------------------------------------------

  /**
   * Creates a read replica of a DB instance in the same Region (CreateDBInstanceReadReplica, and
   * CloudFormation's AWS::RDS::DBInstance with SourceDBInstanceIdentifier). "When you create a read
   * replica, Amazon RDS takes a DB snapshot of your source DB instance and begins replication" (RDS
   * user guide, "Creating a read replica"): it is 'creating' for a snapshot of the source plus a
   * restore of its storage, holds the source's data as of the request, then applies what the source
   * wrote since (see appliedPoint). Engine, version, master user, DB name and encryption are the
   * source's ("All other attributes ... are inherited from the source DB instance", API reference;
   * a same-Region replica of an encrypted source is encrypted with the source's key).
   * Throws DBInstanceNotFoundFault (no source), InvalidDBInstanceStateFault (source not available, or
   * without automated backups), InvalidParameterCombination (an engine without instance read
   * replicas, or the source already has its maximum: see assertCanReplicate), DBInstanceAlreadyExistsFault.
   */
  createReadReplica(options: CreateReadReplicaOptions): DbInstanceView {
    const source = this.sourceRecord(options.sourceIdentifier);
    this.assertCanReplicate(source);
    const now = this.account.now();
    const t = this.account.timing;
    const allocatedStorage = Math.max(options.allocatedStorage ?? source.allocatedStorage, source.allocatedStorage);
    const snapshotSeconds = t.snapshotFixedSeconds + t.snapshotSecondsPerGb * source.allocatedStorage;
    const view = this.createInstance({
      identifier: options.identifier,
      allocatedStorage,
      engine: source.engine,
      engineVersion: source.engineVersion,
      masterUsername: source.masterUsername,
      ...(source.dbName ? { dbName: source.dbName } : {}),
      instanceClass: options.instanceClass ?? source.instanceClass,
      ...(options.tags ? { tags: options.tags } : {}),
      readyAt: options.readyAt ?? now + (snapshotSeconds + this.restoreSeconds(allocatedStorage)) * 1000,
      ...(options.stackName ? { stackName: options.stackName } : {}),
      ...(source.kmsKeyId ? { kmsKeyId: source.kmsKeyId } : {}),
      ...(options.deletionProtection ? { deletionProtection: true } : {}),
      backupRetentionPeriod: options.backupRetentionPeriod ?? 0,
    });
    const record = this.instances.get(view.identifier)!;
    const feed = this.feedOf(source);
    record.replication = { feed, startedAt: now, applyingFrom: record.readyAt };
    record.tables = this.versionAt(feed, now);
    return this.view(record);
  }

  /**
   * Starts promoting a read replica to a standalone instance (PromoteReadReplica, or CloudFormation
   * removing SourceDBInstanceIdentifier): replication stops at once, so the promoted instance keeps what
   * it had APPLIED then (writes to the source it had not applied yet are not in it); it is 'modifying'
   * for timing.promoteSeconds (AWS: "The promotion process can take several minutes or longer to
   * complete, depending on the size of the read replica"; it is rebooted before it becomes available),
   * then 'available' with BackupRetentionPeriod `backupRetentionPeriod` ("Default: 1", API reference,
   * PromoteReadReplica). Throws DBInstanceNotFoundFault, InvalidDBInstanceStateFault (not a read
   * replica, or not 'available'). Returns when the promotion completes.
   */
  promoteReadReplica(identifier: string, options: { backupRetentionPeriod?: number } = {}): { readyAt: number } {
    const record = this.requireInstance(identifier);
    this.observeWrites();
    if (!record.replication || record.replication.endedAt !== undefined) {
      throw new SimServiceError('InvalidDBInstanceStateFault', `DB Instance ${record.identifier} is not a read replica.`, 400);
    }
    const status = this.instanceStatus(record);
    if (status !== 'available') {
      throw new SimServiceError('InvalidDBInstanceStateFault', `Instance ${record.identifier} is not in available state. Current state is ${status}.`, 400);
    }
    return this.startPromotion(record, this.account.now(), checkRetention(options.backupRetentionPeriod ?? 1));
  }

  /**
   * Declares whether a source DB instance is being written from now on (`undefined`: derived again from
   * its stack, see writingNow). Scenarios and the benchmark use it for a source with no stack, or to
   * make writes stop or resume at a given moment.
   */
  setWriteActivity(identifier: string, writing: boolean | undefined): void {
    const record = this.requireInstance(identifier);
    if (writing === undefined) delete record.writeActivity;
    else record.writeActivity = writing;
    this.observeWrites();
  }

  /**
   * ReplicaLag of a read replica at `at` (default now), in seconds, as RDS measures it; undefined when
   * it is not replicating then (not a replica, still being created, promoted). See replicaLagAt.
   */
  replicaLag(identifier: string, at?: number): number | undefined {
    const record = this.instances.get(identifier.toLowerCase());
    if (!record) return undefined;
    this.observeWrites();
    return this.replicaLagAt(record, at ?? this.account.now());
  }

  /**
   * The read replicas that ever replicated (for CloudWatch's ReplicaLag): identifier → the span during
   * which it replicated (from available to the end of the replication, or now).
   */
  replicationSpans(): { identifier: string; from: number; to?: number }[] {
    this.purgeDeleted();
    return [...this.instances.values()].flatMap((r) =>
      r.replication ? [{ identifier: r.identifier, from: r.replication.applyingFrom, ...(r.replication.endedAt !== undefined ? { to: r.replication.endedAt } : {}) }] : [],
    );
  }

  /**
   * Records a change of every source's write activity (called before every SDK call, and before the
   * replicas are read): a source derived from its stack stops being written when no instance of the
   * stack's Auto Scaling groups serves any more, which is seen at the first call after it happened
   * (never earlier than AWS: writes are taken to go on until then).
   */
  observeWrites(): void {
    const now = this.account.now();
    for (const record of this.instances.values()) {
      const feed = record.feed;
      if (!feed || record.deletedAt !== undefined) continue;
      const writing = record.deleteStartedAt === undefined && this.writingNow(record);
      const last = feed.activity.at(-1);
      if ((last?.writing ?? false) !== writing) feed.activity.push({ at: now, writing });
    }
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
    this.observeWrites();
    // "If you delete a source DB instance without deleting its read replicas in the same AWS Region,
    // each read replica is promoted to a standalone DB instance" (RDS user guide, "Working with DB
    // instance read replicas", Considerations when deleting replicas). Each keeps what it had applied.
    for (const replica of this.activeReplicasOf(record)) {
      if (this.instanceStatus(replica) === 'creating') {
        // Not modelled by AWS's documentation: a replica still being created cannot become a usable copy; it stays what it was restored from.
        replica.replication!.endedAt = now;
        replica.modifyingUntil = Math.max(replica.readyAt, now) + this.account.timing.promoteSeconds * 1000;
      } else {
        this.startPromotion(replica, now, 1);
      }
    }
    // A replica being deleted stops replicating.
    if (record.replication && record.replication.endedAt === undefined) record.replication.endedAt = now;
    record.deleteStartedAt = now;
    record.deletedAt = now + (options.deleteSeconds ?? this.account.timing.dbDeleteSeconds) * 1000;
  }

  /** Turns DeletionProtection on or off, as ModifyDBInstance does (seeding scenarios). */
  setDeletionProtection(identifier: string, enabled: boolean): void {
    this.requireInstance(identifier).deletionProtection = enabled;
  }

  /**
   * Sets BackupRetentionPeriod, as ModifyDBInstance does (seeding scenarios): 0 turns automated backups
   * off, and an instance without them cannot be the source of a read replica (createReadReplica).
   */
  setBackupRetention(identifier: string, days: number): void {
    this.requireInstance(identifier).backupRetentionPeriod = days;
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

  /**
   * Replaces an instance's data (seeding, or the application writing). A source's read replicas see
   * the new data once they have applied it (appliedPoint). A read replica takes no writes (PostgreSQL:
   * "read replicas are read-only", RDS user guide): throws.
   */
  setTables(identifier: string, tables: Tables): void {
    const record = this.requireInstance(identifier);
    if (record.replication && record.replication.endedAt === undefined) {
      throw new Error(`${record.identifier} is a read replica of ${record.replication.feed.identifier}: it takes no writes`);
    }
    record.tables = copyTables(tables);
    if (record.feed) {
      this.observeWrites();
      const now = this.account.now();
      record.feed.writes.push(now);
      record.feed.versions.push({ at: now, tables: record.tables });
      this.pruneFeed(record);
    }
  }


  // ---------------------------------------------------------------------------------------------
  // Read replicas: internals
  // ---------------------------------------------------------------------------------------------

  /** The source of a replica to be, by identifier or ARN (same Region only). */
  private sourceRecord(identifierOrArn: string): InstanceRecord {
    const match = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):db:(.+)$/.exec(identifierOrArn);
    if (match) {
      const [, region, accountId, id] = match as unknown as [string, string, string, string];
      if (region !== this.account.region || accountId !== this.account.accountId) {
        // Cross-Region (or cross-account) replicas are not modelled: refused rather than made kinder.
        throw new SimServiceError('InvalidParameterValue', `The simulated account does not model cross-Region read replicas: ${identifierOrArn}`, 400);
      }
      return this.requireInstance(id);
    }
    return this.requireInstance(identifierOrArn);
  }

  private assertCanReplicate(source: InstanceRecord): void {
    const max = MAX_REPLICAS[source.engine];
    if (max === undefined) {
      throw new SimServiceError('InvalidParameterCombination', `Read replicas are not supported for the ${source.engine} engine of DB instance ${source.identifier}.`, 400);
    }
    const status = this.instanceStatus(source);
    if (status !== 'available') {
      throw new SimServiceError('InvalidDBInstanceStateFault', `Instance ${source.identifier} is not in available state. Current state is ${status}.`, 400);
    }
    if (source.replication && source.replication.endedAt === undefined) {
      // Cascading replicas (a replica of a replica) are not modelled; a replica has no backups by default anyway.
      throw new SimServiceError('InvalidDBInstanceStateFault', `The simulated account does not model cascading read replicas: ${source.identifier} is a read replica.`, 400);
    }
    // "Your source DB instance ... must have backup retention enabled" (API_CreateDBInstanceReadReplica);
    // the message as RDS answers it, quoted in users' Terraform error output ("InvalidDBInstanceState:
    // Automated backups are not enabled for this database instance. To enable ...").
    if (source.backupRetentionPeriod === 0) {
      throw new SimServiceError(
        'InvalidDBInstanceStateFault',
        'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.',
        400,
      );
    }
    // The error RDS answers beyond the maximum is not documented: modelled as InvalidParameterCombination.
    if (this.activeReplicasOf(source).length >= max) {
      throw new SimServiceError('InvalidParameterCombination', `DB instance ${source.identifier} already has the maximum number of read replicas (${max}).`, 400);
    }
  }

  private activeReplicasOf(source: InstanceRecord): InstanceRecord[] {
    const feed = source.feed;
    if (!feed) return [];
    return [...this.instances.values()].filter((r) => r.replication?.feed === feed && r.replication.endedAt === undefined && r.deleteStartedAt === undefined);
  }

  private feedOf(source: InstanceRecord): SourceFeed {
    if (!source.feed) {
      source.feed = { identifier: source.identifier, engine: source.engine, createdAt: source.createdAt, versions: [{ at: this.account.now(), tables: source.tables }], activity: [], writes: [] };
    }
    this.observeWrites();
    return source.feed;
  }

  /** Whether a source is being written now: its explicit activity, or any instance of its stack's Auto Scaling groups serving. */
  private writingNow(record: InstanceRecord): boolean {
    if (record.writeActivity !== undefined) return record.writeActivity;
    if (!record.stackName) return false;
    // An instance entering standby (or terminating) still drains its connections (the target group's
    // deregistration delay): its requests may still write until it is out.
    const serving = new Set(['InService', 'EnteringStandby', 'Terminating']);
    return this.account.cloudformation
      .resourcesOf(record.stackName)
      .filter((r) => r.type === 'AWS::AutoScaling::AutoScalingGroup')
      .some((r) => (this.account.autoscaling.group(r.physicalId)?.instances ?? []).some((i) => serving.has(i.state)));
  }

  private writingAt(feed: SourceFeed, at: number): boolean {
    let writing = false;
    for (const change of feed.activity) {
      if (change.at > at) break;
      writing = change.writing;
    }
    return writing;
  }

  /** The time of the source's last write at or before `at` (`at` itself while it is being written); -Infinity: none. */
  private lastWriteAt(feed: SourceFeed, at: number): number {
    if (this.writingAt(feed, at)) return at;
    let last = Number.NEGATIVE_INFINITY;
    for (const change of feed.activity) if (change.at <= at && !change.writing) last = Math.max(last, change.at);
    for (const w of feed.writes) if (w <= at) last = Math.max(last, w);
    return last;
  }

  /**
   * The source time up to which a replica has applied the source's writes at `at` (its data is the
   * source's as of then). The model (never kinder than AWS; bench/README.md "Timing model"):
   * - It holds the snapshot taken when it was requested, and applies nothing until it is available.
   * - A write reaches it replicaLagSeconds (L) after it was made: while the source is written it stays
   *   L behind; once writes stop at s, it has everything at s + L (the drain takes the lag).
   * - Behind by more than that (its backlog after creation), it applies replicaCatchUpRate source
   *   seconds per second until it is back to L.
   * - Under the replicaStalls fault it applies nothing while the source is not written.
   */
  private appliedPoint(record: InstanceRecord, at: number): number {
    const replication = record.replication!;
    const feed = replication.feed;
    if (at < replication.applyingFrom) return replication.startedAt;
    const end = Math.min(at, replication.endedAt ?? Number.POSITIVE_INFINITY);
    const lag = this.account.timing.replicaLagSeconds * 1000;
    const rate = Math.max(1, this.account.timing.replicaCatchUpRate);
    const stall = this.account.faults.silent.replicaStalls;
    const stalled = !!stall && (stall.onlyInstancesOfStack === undefined || stall.onlyInstancesOfStack === record.stackName);
    const breaks = [...feed.activity.map((c) => c.at), ...feed.writes].filter((b) => b > replication.applyingFrom && b < end);
    const points = [replication.applyingFrom, ...[...new Set(breaks)].sort((x, y) => x - y), end];
    let applied = replication.startedAt;
    for (let n = 0; n + 1 < points.length; n++) {
      const t0 = points[n]!;
      const t1 = points[n + 1]!;
      if (t1 <= t0) continue;
      const writing = this.writingAt(feed, t0);
      if (!writing && stalled) continue;
      const last = writing ? Number.POSITIVE_INFINITY : this.lastWriteAt(feed, t0);
      const target = (t: number): number => Math.min(last, t - lag);
      if (applied >= target(t0)) applied = Math.max(applied, target(t1));
      else applied = rate === Number.POSITIVE_INFINITY ? target(t1) : Math.min(applied + rate * (t1 - t0), target(t1));
    }
    return applied;
  }

  /**
   * ReplicaLag (seconds) of a replica at `at`, undefined when it is not replicating then. Behind its
   * source's last write: the age of what it applied last ("how far a read replica has fallen behind
   * its source DB instance", AWS knowledge center, "Why do I have replication lags ... RDS for
   * PostgreSQL"), rounded up (never 0 while something is missing). Caught up: 0, except PostgreSQL,
   * which reports the age of the last transaction replayed, RDS's 5-minute heartbeat or the last
   * write, so up to five minutes on an idle source (POSTGRES_HEARTBEAT_MS).
   */
  private replicaLagAt(record: InstanceRecord, at: number): number | undefined {
    const replication = record.replication;
    if (!replication || at < replication.applyingFrom || (replication.endedAt !== undefined && at >= replication.endedAt)) return undefined;
    const feed = replication.feed;
    const applied = this.appliedPoint(record, at);
    const last = this.lastWriteAt(feed, at);
    if (applied < last) return Math.ceil((at - applied) / 1000);
    if (feed.engine !== 'postgres') return 0;
    const phase = feed.createdAt + POSTGRES_HEARTBEAT_PHASE_MS;
    const heartbeat = at >= phase ? phase + Math.floor((at - phase) / POSTGRES_HEARTBEAT_MS) * POSTGRES_HEARTBEAT_MS : Number.NEGATIVE_INFINITY;
    return Math.floor((at - Math.max(last, heartbeat, replication.startedAt)) / 1000);
  }

  private versionAt(feed: SourceFeed, at: number): Tables {
    let tables = feed.versions[0]!.tables;
    for (const v of feed.versions) {
      if (v.at > at) break;
      tables = v.tables;
    }
    return tables;
  }

  /** A replica's data now: the source's version at its applied point (or its own once promoted). */
  private replicaTables(record: InstanceRecord): Tables {
    const replication = record.replication;
    if (!replication || replication.endedAt !== undefined) return record.tables;
    return this.versionAt(replication.feed, this.appliedPoint(record, this.account.now()));
  }

  /** Stops a replica's replication at `at`, keeping what it had applied, and starts its promotion. */
  private startPromotion(record: InstanceRecord, at: number, backupRetentionPeriod: number): { readyAt: number } {
    const replication = record.replication!;
    record.tables = this.versionAt(replication.feed, this.appliedPoint(record, at));
    replication.endedAt = at;
    record.modifyingUntil = at + this.account.timing.promoteSeconds * 1000;
    record.backupRetentionPeriod = backupRetentionPeriod;
    const source = this.instances.get(replication.feed.identifier);
    if (source?.feed === replication.feed) this.pruneFeed(source);
    return { readyAt: record.modifyingUntil };
  }

  /** Drops the versions no replica of the source can show any more. */
  private pruneFeed(source: InstanceRecord): void {
    const feed = source.feed!;
    const now = this.account.now();
    const replicas = this.activeReplicasOf(source);
    const oldest = replicas.length ? Math.min(...replicas.map((r) => this.appliedPoint(r, now))) : now;
    let keep = 0;
    for (let n = 0; n < feed.versions.length; n++) if (feed.versions[n]!.at <= oldest) keep = n;
    if (keep > 0) feed.versions.splice(0, keep);
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
    if (record.modifyingUntil !== undefined && this.account.now() < record.modifyingUntil) return 'modifying';
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
      tables: this.instanceStatus(record) === 'inaccessible-encryption-credentials' ? {} : this.replicaTables(record),
      tags: record.tags.map((t) => ({ ...t })),
      readyAt: record.readyAt,
      ...(record.stackName ? { stackName: record.stackName } : {}),
      ...(record.restoredFrom ? { restoredFrom: record.restoredFrom } : {}),
      ...(record.kmsKeyId ? { kmsKeyId: record.kmsKeyId } : {}),
      ...(this.sourceShown(record) ? { replicaOf: this.sourceShown(record) } : {}),
      replicas: this.replicasShown(record),
      backupRetentionPeriod: record.backupRetentionPeriod,
    };
  }

  /**
   * The source a replica is shown with: while it replicates, and while its promotion is in progress
   * (the promotion completes with the reboot; its data stopped at the promotion's start).
   */
  private sourceShown(record: InstanceRecord): string | undefined {
    const replication = record.replication;
    if (!replication || record.deleteStartedAt !== undefined) return undefined;
    if (replication.endedAt === undefined) return replication.feed.identifier;
    return record.modifyingUntil !== undefined && this.account.now() < record.modifyingUntil ? replication.feed.identifier : undefined;
  }

  private replicasShown(source: InstanceRecord): string[] {
    const feed = source.feed;
    if (!feed) return [];
    return [...this.instances.values()].filter((r) => r.replication?.feed === feed && this.sourceShown(r) === source.identifier).map((r) => r.identifier);
  }

  private toDbInstance(record: InstanceRecord): DBInstance {
    const status = this.instanceStatus(record);
    const replicaOf = this.sourceShown(record);
    // "read replication" status (RDS API reference, DBInstanceStatusInfo: replicating, error, stopped...):
    // shown while it replicates once available; a promotion in progress no longer replicates.
    const replicating = record.replication !== undefined && record.replication.endedAt === undefined && status === 'available';
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
      BackupRetentionPeriod: record.backupRetentionPeriod,
      ...(replicaOf ? { ReadReplicaSourceDBInstanceIdentifier: replicaOf } : {}),
      ReadReplicaDBInstanceIdentifiers: this.replicasShown(record),
      ...(replicating ? { StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }] } : {}),
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
