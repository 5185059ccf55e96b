/**
 * The blue/green checks of `env-migrator plan` (issue 11): what Migrate's blue/green path refuses at
 * once, before its discovery (statemachine/blue-green.ts blueGreenStart), so that a plan never says
 * READY where the run would end at its first states:
 *
 *   "Lock the entry point and both slots"  the three keys of its TransactWriteItems (lockKeysOf), each
 *                                          held unless absent, ours or expired (LOCK_TAKE_CONDITION)
 *                                          → MigrationInProgress
 *   "Read the entry point"                 the entry-point step's own core (ListResourceRecordSets,
 *                                          DescribeStacks: no write) → EntryPointInvalid
 *   "Is the stack the live slot?"          → NotTheLiveSlot (the data is in the slot the record points at)
 *   "Is the idle slot free?"               → IdleSlotOccupied
 *
 * plan-core.ts reads the locks (one GetItem per key, as for the double clone) and calls checkEntryPoint.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { entryPointTtlSeconds } from '../bench/metrics';
import { entryPoint } from '../lambdas/entry-point/core';
import type { BlueGreenRun, EntryPointResult, ExecutionRef, MigrationInput } from '../lambdas/shared/contracts';
import { EntryPointInvalid } from '../lambdas/shared/errors';
import type { LockItem } from './unlock-core';

/** One key Migrate locks, and what it stands for (the refusal names it). */
export interface LockKey {
  key: string;
  /** `stack` (the stack named by the input: the double clone's only key, blue/green's live slot), `idle slot`, `entry point`. */
  role: 'stack' | 'idle slot' | 'entry point';
}

/**
 * The lock items Migrate takes for `migration`, in its order: the stack's alone for the double clone
 * (statemachine/migrate.ts "Lock the environment"); for blue/green (`run` set, validate-input's
 * BlueGreenRun) stackName, the idle slot and the record's key (naming.ts entryPointLockKey), the three
 * puts of "Lock the entry point and both slots". Pure.
 */
export function lockKeysOf(migration: Pick<MigrationInput, 'stackName'>, run: Pick<BlueGreenRun, 'idleSlot' | 'recordLockKey'> | undefined): LockKey[] {
  const stack: LockKey = { key: migration.stackName, role: 'stack' };
  if (!run) return [stack];
  return [stack, { key: run.idleSlot, role: 'idle slot' }, { key: run.recordLockKey, role: 'entry point' }];
}

/** Why a held blue/green lock refuses, naming the key, its holder and what to do. Pure. */
export function lockRefusalOf(key: LockKey, lock: LockItem, migration: Pick<MigrationInput, 'stackName' | 'entryPoint'>): string {
  const who = lock.owner ? `execution ${lock.owner}` : 'a lock item that names no execution';
  const details = [
    lock.startedAt ? `started ${lock.startedAt}` : undefined,
    lock.targetVersion ? `to version ${lock.targetVersion}` : undefined,
    lock.expiresAt !== undefined ? `lock expires ${new Date(lock.expiresAt * 1000).toISOString()}` : 'the lock never expires',
  ]
    .filter(Boolean)
    .join(', ');
  const record = migration.entryPoint?.recordName ?? '?';
  const what =
    key.role === 'entry point'
      ? `the entry point ${record} (lock key ${key.key}: a blue/green migration, retire or rollback of the record)`
      : key.role === 'idle slot'
        ? `the idle slot ${key.key} (a double clone of that stack, or a retire of it)`
        : `the live slot ${key.key}`;
  return `${what} is locked by ${who} (${details}): Migrate locks the entry point and both slots in one transaction, so a migration started now would end at once with MigrationInProgress. Wait for that execution to end (env-migrator watch), or, if it ended without releasing the lock (stopped, timed out), release it with env-migrator unlock --stack ${key.key}`;
}

/** What "Read the entry point" and the two Choices after it end with, before anything is touched. */
export interface BlueGreenRefusal {
  errorName: 'NotTheLiveSlot' | 'IdleSlotOccupied' | 'EntryPointInvalid' | 'NoSuchHostedZone';
  refusals: string[];
  /** Where the data is when that is not stackName (NotTheLiveSlot: the slot the record points at). */
  survivor?: string;
}

/**
 * The decision of Migrate's "Is the stack the live slot?" and "Is the idle slot free?" on what the
 * entry-point step returned: undefined when the run would go on to its discovery, else the refusal,
 * naming the field (stackName, slots) and the slot. Pure.
 */
export function entryPointRefusal(entry: EntryPointResult, migration: Pick<MigrationInput, 'stackName' | 'entryPoint'>): BlueGreenRefusal | undefined {
  const record = migration.entryPoint?.recordName ?? '?';
  if (entry.liveSlot !== migration.stackName) {
    return {
      errorName: 'NotTheLiveSlot',
      survivor: entry.liveSlot,
      refusals: [
        `stackName: the entry point ${record} points at ${entry.liveSlot}, not at ${migration.stackName}: ${entry.liveSlot} is the live slot and holds the data, ${migration.stackName} is the idle one (a stale pipeline?). Migrate would end at once with NotTheLiveSlot, nothing touched: migrate ${entry.liveSlot} (stackName ${entry.liveSlot})`,
      ],
    };
  }
  if (entry.idleExists) {
    return {
      errorName: 'IdleSlotOccupied',
      refusals: [
        `slots: the idle slot ${entry.idleSlot} exists (${entry.idleStackStatus ?? 'status unknown'}): a previous slot not yet retired (wait for its retire run, due at the retireAt of the switch record of ${record}, or go back to it with env-migrator rollback --environment ${record}) or a stack of another origin. Migrate never writes over it and would end at once with IdleSlotOccupied: migrate once it is gone`,
      ],
    };
  }
  return undefined;
}

/**
 * Blue/green, after the locks: reads the entry point as Migrate's "Read the entry point" does, with
 * the step's own core (lambdas/entry-point/core.ts: ListResourceRecordSets, DescribeStacks of both
 * slots; it writes nothing), then decides as the Choices after it (entryPointRefusal). Returns the
 * step's result and the record's TTL (bench/metrics.ts entryPointTtlSeconds), or the refusal:
 * EntryPointInvalid with the step's problems (no simple record, pointing at no slot...), NoSuchHostedZone
 * naming entryPoint.hostedZoneId, NotTheLiveSlot, IdleSlotOccupied. Throws what the SDK throws for
 * any other failed call (credentials, permissions, throttling).
 */
export async function checkEntryPoint(
  clients: { route53: Route53Client; cfn: CloudFormationClient },
  migration: MigrationInput,
  execution: ExecutionRef,
): Promise<{ entry: EntryPointResult; ttlSeconds: number } | { refused: BlueGreenRefusal }> {
  const ref = migration.entryPoint!;
  let entry: EntryPointResult;
  try {
    entry = await entryPoint(clients, { entryPoint: ref, slots: migration.slots!, execution });
  } catch (err) {
    if (err instanceof EntryPointInvalid) return { refused: { errorName: 'EntryPointInvalid', refusals: err.problems.map((p) => `entryPoint: ${p}`) } };
    // Route 53's answer for a zone that does not exist (API reference, ListResourceRecordSets errors):
    // Migrate's "Read the entry point" would fail with it, before anything is touched.
    if (err instanceof Error && err.name === 'NoSuchHostedZone') {
      return { refused: { errorName: 'NoSuchHostedZone', refusals: [`entryPoint.hostedZoneId: there is no hosted zone ${ref.hostedZoneId} (${err.message}): the entry point ${ref.recordName} cannot be read`] } };
    }
    throw err;
  }
  const refused = entryPointRefusal(entry, migration);
  if (refused) return { refused };
  return { entry, ttlSeconds: entryPointTtlSeconds(entry.record) };
}
