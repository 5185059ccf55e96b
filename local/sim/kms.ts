/**
 * Simulated AWS KMS, as far as the environments' data depends on it: customer managed keys created by
 * CloudFormation (AWS::KMS::Key, AWS::KMS::Alias), the AWS managed keys `aws/rds` and `aws/s3`, key
 * deletion with its waiting period, and DescribeKey. RDS asks whether a key is usable before a restore
 * and whether it still exists when an encrypted instance is read.
 *
 * Key states follow the KMS developer guide ("Key states of AWS KMS keys"): `Enabled`, then
 * `PendingDeletion` from ScheduleKeyDeletion until its DeletionDate, then gone. A key pending deletion
 * "can't be used in any cryptographic operations" (API_ScheduleKeyDeletion); once deleted, "all data
 * that was encrypted under the KMS key is unrecoverable" (same page). State is derived from the clock
 * whenever it is read (no timers).
 */
import type {
  CancelKeyDeletionCommandInput,
  CancelKeyDeletionCommandOutput,
  DescribeKeyCommandInput,
  DescribeKeyCommandOutput,
  KeyMetadata,
  ScheduleKeyDeletionCommandInput,
  ScheduleKeyDeletionCommandOutput,
} from '@aws-sdk/client-kms';
import type { SimAccount } from './account';
import { HEX, IdSource } from './ids';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';

type Out<T> = Omit<T, '$metadata'>;

export type KeyState = 'Enabled' | 'PendingDeletion';

interface KeyRecord {
  keyId: string;
  arn: string;
  description: string;
  manager: 'CUSTOMER' | 'AWS';
  createdAt: number;
  /** Set by ScheduleKeyDeletion: when the key (and every alias of it) is deleted. */
  deletionAt?: number;
  pendingWindowInDays?: number;
}

/** A key as seeding code, RDS and assertions read it now. */
export interface KmsKeyView {
  keyId: string;
  arn: string;
  /** undefined once the key is deleted. */
  state: KeyState | undefined;
  deletionAt?: number;
}

const DAY_MS = 24 * 3600 * 1000;
/** ScheduleKeyDeletion's PendingWindowInDays: "between 7 and 30, inclusive ... defaults to 30" (API reference). */
export const DEFAULT_PENDING_WINDOW_DAYS = 30;
const MIN_PENDING_WINDOW_DAYS = 7;
const MAX_PENDING_WINDOW_DAYS = 30;

const notFound = (id: string) => new SimServiceError('NotFoundException', `Key '${id}' does not exist`, 400);

export class KmsSim implements SimService {
  readonly serviceName = 'KMS';
  readonly operations: Record<string, OpHandler>;
  private readonly keys = new Map<string, KeyRecord>();
  /** alias name (`alias/...`) → key id */
  private readonly aliases = new Map<string, string>();
  private readonly ids = new IdSource('kms');

  constructor(private readonly account: SimAccount) {
    this.operations = {
      DescribeKey: (i) => this.opDescribeKey(i),
      ScheduleKeyDeletion: (i) => this.opScheduleKeyDeletion(i),
      CancelKeyDeletion: (i) => this.opCancelKeyDeletion(i),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // SDK operations
  // ---------------------------------------------------------------------------------------------

  private opDescribeKey(raw: OpInput): Out<DescribeKeyCommandOutput> {
    const input = raw as unknown as DescribeKeyCommandInput;
    const record = this.find(String(input.KeyId ?? ''));
    if (!record) throw notFound(String(input.KeyId ?? ''));
    return { KeyMetadata: this.metadata(record) };
  }

  private opScheduleKeyDeletion(raw: OpInput): Out<ScheduleKeyDeletionCommandOutput> {
    const input = raw as unknown as ScheduleKeyDeletionCommandInput;
    const record = this.scheduleDeletion(String(input.KeyId ?? ''), input.PendingWindowInDays);
    return {
      KeyId: record.arn,
      DeletionDate: new Date(record.deletionAt ?? 0),
      KeyState: 'PendingDeletion',
      PendingWindowInDays: record.pendingWindowInDays,
    };
  }

  private opCancelKeyDeletion(raw: OpInput): Out<CancelKeyDeletionCommandOutput> {
    const input = raw as unknown as CancelKeyDeletionCommandInput;
    const record = this.find(String(input.KeyId ?? ''));
    if (!record) throw notFound(String(input.KeyId ?? ''));
    if (this.stateOf(record) !== 'PendingDeletion') throw new SimServiceError('KMSInvalidStateException', `${record.arn} is not pending deletion.`, 400);
    // A cancelled deletion leaves the key Disabled in AWS; this model has no Disabled state, so it is
    // Enabled again (the operator's next step, EnableKey, is assumed).
    delete record.deletionAt;
    delete record.pendingWindowInDays;
    return { KeyId: record.arn };
  }

  // ---------------------------------------------------------------------------------------------
  // Internal API (CloudFormation, RDS, S3, assertions)
  // ---------------------------------------------------------------------------------------------

  /** A customer managed key (AWS::KMS::Key): key ID and ARN. */
  createKey(description = ''): KmsKeyView {
    const h = this.ids.next(32, HEX);
    const keyId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    const record: KeyRecord = { keyId, arn: this.account.arn('kms', `key/${keyId}`), description, manager: 'CUSTOMER', createdAt: this.account.now() };
    this.keys.set(keyId, record);
    return this.view(record);
  }

  /** An alias (AWS::KMS::Alias): names must start with `alias/` and not with `alias/aws/` (reserved for AWS managed keys). */
  createAlias(aliasName: string, targetKeyId: string): void {
    if (!aliasName.startsWith('alias/') || aliasName.startsWith('alias/aws/')) {
      throw new SimServiceError('ValidationException', `Alias must start with the prefix "alias/" and may not begin with "alias/aws/": ${aliasName}`, 400);
    }
    if (this.aliases.has(aliasName)) throw new SimServiceError('AlreadyExistsException', `An alias with the name ${this.account.arn('kms', aliasName)} already exists`, 400);
    const target = this.find(targetKeyId);
    if (!target) throw notFound(targetKeyId);
    this.aliases.set(aliasName, target.keyId);
  }

  deleteAlias(aliasName: string): void {
    this.aliases.delete(aliasName);
  }

  /**
   * ScheduleKeyDeletion: PendingDeletion for the window (7–30 days, default 30), then deleted with its
   * aliases. AWS managed keys cannot be deleted. Scheduling a key already pending deletion fails, as
   * KMS refuses operations on a key in that state (KMSInvalidStateException).
   */
  scheduleDeletion(keyRef: string, pendingWindowInDays?: number): KeyRecord {
    const record = this.find(keyRef);
    if (!record) throw notFound(keyRef);
    if (record.manager === 'AWS') throw new SimServiceError('AccessDeniedException', `You cannot schedule deletion of an AWS managed key: ${record.arn}`, 400);
    if (this.stateOf(record) !== 'Enabled') throw new SimServiceError('KMSInvalidStateException', `${record.arn} is pending deletion.`, 400);
    const days = pendingWindowInDays ?? DEFAULT_PENDING_WINDOW_DAYS;
    if (!Number.isInteger(days) || days < MIN_PENDING_WINDOW_DAYS || days > MAX_PENDING_WINDOW_DAYS) {
      throw new SimServiceError('ValidationException', `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`, 400);
    }
    record.pendingWindowInDays = days;
    record.deletionAt = this.account.now() + days * DAY_MS;
    return record;
  }

  /** The AWS managed key behind `alias/aws/<service>`, created on first use as AWS does. */
  awsManagedKey(service: 'rds' | 's3'): KmsKeyView {
    const alias = `alias/aws/${service}`;
    const existing = this.aliases.get(alias);
    const known = existing ? this.keys.get(existing) : undefined;
    if (known) return this.view(known);
    const created = this.createKey(`Default key that protects my ${service.toUpperCase()} data when no other key is defined`);
    const record = this.keys.get(created.keyId) as KeyRecord;
    record.manager = 'AWS';
    this.aliases.set(alias, record.keyId);
    return this.view(record);
  }

  /** A key by key ID, key ARN, alias name or alias ARN (DescribeKey's KeyId); undefined when it does not exist (or no longer). */
  key(keyRef: string): KmsKeyView | undefined {
    const record = this.find(keyRef);
    return record ? this.view(record) : undefined;
  }

  /** Usable for cryptographic operations (a restore, a new object): exists and is Enabled. */
  usable(keyRef: string): boolean {
    return this.key(keyRef)?.state === 'Enabled';
  }

  // ---------------------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------------------

  private find(keyRef: string): KeyRecord | undefined {
    let id = keyRef;
    const arn = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/.+|alias\/.+)$/.exec(keyRef);
    if (arn) id = (arn[1] as string).startsWith('key/') ? (arn[1] as string).slice(4) : (arn[1] as string);
    if (id.startsWith('alias/')) {
      if (id.startsWith('alias/aws/') && !this.aliases.has(id) && (id === 'alias/aws/rds' || id === 'alias/aws/s3')) {
        return this.keys.get(this.awsManagedKey(id.slice('alias/aws/'.length) as 'rds' | 's3').keyId);
      }
      const target = this.aliases.get(id);
      id = target ?? '';
    }
    const record = this.keys.get(id);
    if (!record) return undefined;
    if (record.deletionAt !== undefined && this.account.now() >= record.deletionAt) {
      // The waiting period is over: the key and every alias that refers to it are gone.
      this.keys.delete(record.keyId);
      for (const [alias, target] of this.aliases) if (target === record.keyId) this.aliases.delete(alias);
      return undefined;
    }
    return record;
  }

  private stateOf(record: KeyRecord): KeyState {
    return record.deletionAt !== undefined ? 'PendingDeletion' : 'Enabled';
  }

  private view(record: KeyRecord): KmsKeyView {
    return { keyId: record.keyId, arn: record.arn, state: this.stateOf(record), ...(record.deletionAt !== undefined ? { deletionAt: record.deletionAt } : {}) };
  }

  private metadata(record: KeyRecord): KeyMetadata {
    const state = this.stateOf(record);
    return {
      AWSAccountId: this.account.accountId,
      KeyId: record.keyId,
      Arn: record.arn,
      CreationDate: new Date(record.createdAt),
      Enabled: state === 'Enabled',
      Description: record.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: state,
      ...(record.deletionAt !== undefined ? { DeletionDate: new Date(record.deletionAt), PendingDeletionWindowInDays: record.pendingWindowInDays } : {}),
      Origin: 'AWS_KMS',
      KeyManager: record.manager,
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    };
  }
}
