import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { CloseSwitchRecordEvent, CloseSwitchRecordResult, SwitchRecord } from '../shared/contracts';
import { putDocument, switchRecordKey, workflowBucket } from '../shared/documents';
import { ConfigurationMissing, RollbackRefused } from '../shared/errors';
import { RETIRE_SCHEDULE_GROUP_ENV } from '../steps';

export interface CloseSwitchRecordDeps {
  s3: S3Client;
  scheduler: SchedulerClient;
}

/**
 * Rollback, once the record points at the previous slot again and the new one is in standby: deletes
 * the switch's retire schedule (the slot it would retire is live again; a schedule already gone,
 * fired or deleted by a retry, is ResourceNotFoundException and counts as done), then marks the switch
 * record `rolledBack` (who, when, whether writes were discarded), so a second rollback refuses.
 * Returns what was done. Throws RollbackRefused when the record is no longer this switch's (`runId`),
 * ConfigurationMissing without RETIRE_SCHEDULE_GROUP; raw SDK errors otherwise.
 */
export async function closeSwitchRecord(deps: CloseSwitchRecordDeps, event: CloseSwitchRecordEvent, now: Date = new Date()): Promise<CloseSwitchRecordResult> {
  const group = process.env[RETIRE_SCHEDULE_GROUP_ENV];
  if (!group) throw new ConfigurationMissing(`${RETIRE_SCHEDULE_GROUP_ENV} is not set: the step cannot delete the retire schedule (deploy with the EnvironmentMigrator construct)`);
  const bucket = workflowBucket();
  const key = switchRecordKey(event.entryPoint);
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const record = JSON.parse(await out.Body!.transformToString('utf8')) as SwitchRecord;
  if (record.runId !== event.runId) throw new RollbackRefused(`The switch record of ${event.entryPoint.recordName} is now run ${record.runId}'s, not ${event.runId}'s: not closing another switch`);

  let scheduleDeleted = true;
  try {
    await deps.scheduler.send(new DeleteScheduleCommand({ Name: record.scheduleName, GroupName: group }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
    scheduleDeleted = false;
  }
  // A retry keeps the first marking: who rolled back, and when.
  const rolledBack = record.rolledBack ?? { at: now.toISOString(), executionArn: event.execution.id, discardedWrites: event.discardedWrites };
  await putDocument(deps.s3, bucket, key, JSON.stringify({ ...record, rolledBack } satisfies SwitchRecord));
  return { scheduleName: record.scheduleName, scheduleDeleted, rolledBack };
}
