/**
 * Late writes to the original environment (issue 9, item 2): what background jobs, presigned
 * uploads, S3-triggered functions and log delivery keep doing while the instances are in standby.
 * A write lands in the original after clone 1's verification and before its deletion; the
 * workflow must then keep the original (it holds data no copy has). Shared by the rehearsal
 * scenarios and the fault runner. Each write also amends the baseline the invariants are checked
 * against, so "the survivor holds all the data" includes the late write.
 */
import type { Baseline } from './invariants';
import { recordKey } from './sim/environment-data';
import type { SimAccount } from './sim/account';
import { type RunningState, taskHooks } from './faults/state-context';
import type { Row } from './sim/rds';

/** Migrate's states between clone 1's verification and the first deletion of anything of the original (the first one reached). */
const AFTER_VERIFICATION = new Set(['Prove the original unchanged', 'Delete the current environment']);

export interface LateWrite {
  /** Writes into the original and records the write in the baseline. */
  apply(account: SimAccount, baseline: Baseline | undefined): void;
}

function physicalId(account: SimAccount, stackName: string, logicalId: string): string {
  const r = account.cloudformation.resourcesOf(stackName).find((x) => x.logicalId === logicalId);
  if (!r) throw new Error(`${stackName} has no ${logicalId}`);
  return r.physicalId;
}

/** An object PUT into one of the original's buckets (a background job's output). */
export function lateObject(stackName: string, bucketLogicalId: string, key: string, body: string): LateWrite {
  return {
    apply(account, baseline) {
      const bucket = physicalId(account, stackName, bucketLogicalId);
      account.s3.putObjectDirect(bucket, key, { body, contentType: 'application/json' });
      if (baseline) recordKey(account, baseline.data, bucketLogicalId, bucket, key);
    },
  };
}

/** A row written into one of the original's databases (its statistics move, its buckets do not). */
export function lateRow(stackName: string, dbLogicalId: string, table: string, row: Row): LateWrite {
  return {
    apply(account, baseline) {
      const id = physicalId(account, stackName, dbLogicalId);
      const tables = account.rds.instance(id)?.tables ?? {};
      account.rds.setTables(id, { ...tables, [table]: [...(tables[table] ?? []), row] });
      const db = baseline?.data.databases[dbLogicalId];
      if (db) baseline!.data.databases[dbLogicalId] = { ...db, [table]: [...(db[table] ?? []), row] };
    },
  };
}

/**
 * Arms `writes` to happen once, just before the first of Migrate's states after clone 1's
 * verification and before the original's deletion runs (whichever exists: the recheck, or the
 * deletion itself in a workflow without it). `onWrite` is told when they happened.
 */
export function armLateWrites(
  account: SimAccount,
  baseline: Baseline | undefined,
  writes: LateWrite[],
  onWrite?: () => void,
  /** Migrate's states the writes land just before (the first one reached); default: after clone 1's verification. */
  before: ReadonlySet<string> = AFTER_VERIFICATION,
): void {
  let done = false;
  const previous = taskHooks.beforeTask;
  taskHooks.beforeTask = async (s: RunningState) => {
    await previous?.(s);
    if (done || !s.machine.startsWith('Migrate') || !before.has(s.state)) return;
    done = true;
    for (const w of writes) w.apply(account, baseline);
    onWrite?.();
  };
}
