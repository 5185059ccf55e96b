/**
 * `env-migrator rollback`, its decisions without the command line: which switch of the entry point
 * is undone (the switch record a blue/green migration wrote in the workflow bucket, found by the
 * record's name), the Rollback state machine's input, and the execution's name. The refusals that
 * need no execution are made here; everything else is the state machine's (statemachine/rollback.ts),
 * which checks again under its locks.
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { RollbackInputRaw, SwitchRecord } from '../lambdas/shared/contracts';
import { ENTRY_POINT_PREFIX } from '../lambdas/shared/documents';

export interface RollbackRequest {
  /** The entry point's record name, as the operator types it (any case, trailing dot or not). */
  recordName: string;
  /** Needed only when switch records of that name exist in more than one hosted zone. */
  hostedZoneId?: string;
  acceptDiscardingWrites: boolean;
}

export type RollbackPlan =
  | { outcome: 'READY'; input: RollbackInputRaw; record: SwitchRecord; recordKey: string }
  | { outcome: 'NO_SWITCH_RECORDED' | 'AMBIGUOUS_RECORD' | 'ALREADY_ROLLED_BACK'; cause: string; record?: SwitchRecord };

const bare = (zone: string) => zone.replace(/^\/hostedzone\//, '');

/**
 * Finds the switch record of `recordName` (`entry-points/<zone>/<name>/switch.json`, one listing of
 * the prefix) and builds the Rollback input from it: the entry point, the two slots (the switch's
 * previous and live stacks), acceptDiscardingWrites, and the migration's statistics and smoke test
 * settings when the record keeps them (`checks`). Refuses without an execution when no switch of
 * that name is recorded, when several hosted zones have one and none is named, or when the switch
 * was already rolled back. Throws what S3 throws.
 */
export async function planRollback(s3: S3Client, bucket: string, request: RollbackRequest): Promise<RollbackPlan> {
  const name = request.recordName.toLowerCase().replace(/\.$/, '');
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: `${ENTRY_POINT_PREFIX}/` })) {
    for (const o of page.Contents ?? []) {
      const parts = (o.Key ?? '').split('/');
      if (parts.length === 4 && parts[2] === name && parts[3] === 'switch.json' && (!request.hostedZoneId || parts[1] === bare(request.hostedZoneId))) keys.push(o.Key!);
    }
  }
  if (keys.length === 0) {
    return { outcome: 'NO_SWITCH_RECORDED', cause: `no blue/green switch of ${name}${request.hostedZoneId ? ` in hosted zone ${bare(request.hostedZoneId)}` : ''} is recorded in s3://${bucket}/${ENTRY_POINT_PREFIX}/: nothing to roll back` };
  }
  if (keys.length > 1) {
    const zones = keys.map((k) => k.split('/')[1]).join(', ');
    return { outcome: 'AMBIGUOUS_RECORD', cause: `switches of ${name} are recorded in several hosted zones (${zones}): name one with --hosted-zone-id` };
  }
  const recordKey = keys[0]!;
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: recordKey }));
  const record = JSON.parse(await out.Body!.transformToString('utf8')) as SwitchRecord;
  if (record.rolledBack) {
    return {
      outcome: 'ALREADY_ROLLED_BACK',
      cause: `the switch of ${name} to ${record.live.stackName} (run ${record.runId}) was already rolled back at ${record.rolledBack.at} by ${record.rolledBack.executionArn}: the record points at ${record.previous.stackName}`,
      record,
    };
  }
  return {
    outcome: 'READY',
    recordKey,
    record,
    input: {
      entryPoint: record.entryPoint,
      slots: [record.previous.stackName, record.live.stackName],
      acceptDiscardingWrites: request.acceptDiscardingWrites,
      // Read and probed as the migration did (a statistics header from its secret, its smoke test).
      ...(record.checks ? { statistics: record.checks.statistics, ...(record.checks.smokeTest ? { smokeTest: record.checks.smokeTest } : {}) } : {}),
    },
  };
}

/** The execution's name: the switch's run and the time (a refused rollback may be run again with --accept-discarding-writes). */
export function rollbackExecutionName(record: SwitchRecord, now: Date): string {
  return `rollback-${record.runId}-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}`.slice(0, 80);
}

/** Starts the Rollback state machine; returns the execution's ARN. */
export async function startRollback(sfn: SFNClient, stateMachineArn: string, name: string, input: RollbackInputRaw): Promise<string> {
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  if (!out.executionArn) throw new Error('StartExecution returned no executionArn');
  return out.executionArn;
}
