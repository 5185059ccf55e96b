import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RecordSwitchEvent, RecordSwitchResult, SwitchRecord } from '../shared/contracts';
import { putDocument, putJsonDocument, switchRecordKey, workflowBucket } from '../shared/documents';
import { retargeted, slotEndpoint } from '../shared/entry-point';
import { EntryPointInvalid } from '../shared/errors';
import { describeStack } from '../shared/stacks';
import { retireScheduleName } from '../shared/naming';

export interface RecordSwitchClients {
  cfn: CloudFormationClient;
  /** The workflow bucket's client. */
  s3: S3Client;
}

/**
 * Migrate's blue/green path, the last step before the switch, once the copy in the idle slot is
 * verified: reads where the new slot answers (DescribeStacks: its ServiceUrl host and
 * ServiceHostedZoneId, and that it is still the stack the clone created), computes the record the
 * switch will write and when the retire run starts (now + keepPreviousHours, seconds precision), and
 * writes what rollback and retire read later, before anything points at the new slot:
 * - the clone's output, whole (its verification with a manifest per bucket: retire's proof, read by
 *   read-verified-copy) under the run's documents, at runs/<execution>/blue-green/clone-output.json;
 * - the SwitchRecord at switchRecordKey(entryPoint), outside `runs/`, replacing the previous switch's:
 *   `executionArn` this execution's (its standby holds the previous slot: rollback's standby-exit acts
 *   as it), the statistics read at the switch with their documents, `checks` the migration's settings.
 * Writing both first means a run that dies after the switch still leaves rollback what it needs;
 * rollback checks the record points at `live` before it acts, so a record written for a switch that
 * never happened misleads nobody. Returns the target, the record to write, the times and both
 * documents. Throws EntryPointInvalid when the new slot is gone, is another stack than the clone's, or
 * lacks the outputs the switch needs; raw SDK errors (DescribeStacks, PutObject) otherwise.
 */
export async function recordSwitch(clients: RecordSwitchClients, event: RecordSwitchEvent, now: Date = new Date()): Promise<RecordSwitchResult> {
  const stack = await describeStack(clients.cfn, event.next.stackName);
  if (!stack) throw new EntryPointInvalid([`the new slot ${event.next.stackName} no longer exists: nothing to switch to`]);
  if (stack.StackId !== event.next.stackId) {
    throw new EntryPointInvalid([`the new slot ${event.next.stackName} is now stack ${stack.StackId ?? '?'}, not ${event.next.stackId} that the clone created and verified`]);
  }
  const target = slotEndpoint(stack);
  if (typeof target === 'string') throw new EntryPointInvalid([target]);
  const record = retargeted(event.record, target);
  if (typeof record === 'string') throw new EntryPointInvalid([record]);

  const switchedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const retireAt = new Date(switchedAt.getTime() + event.keepPreviousHours * 3600 * 1000);
  const iso = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
  const scheduleName = retireScheduleName(event.runId);
  const { statistics } = event.cloneOutput;

  const cloneOutput = await putJsonDocument(clients.s3, event.execution, ['blue-green', 'clone-output.json'], event.cloneOutput);
  const document: SwitchRecord = {
    runId: event.runId,
    executionArn: event.execution.id,
    entryPoint: event.entryPoint,
    switchedAt: iso(switchedAt),
    retireAt: iso(retireAt),
    scheduleName,
    record,
    live: { stackName: event.next.stackName, stackId: event.next.stackId, endpoint: target, version: event.next.version, statistics: statistics.destination },
    previous: {
      stackName: event.previous.stackName,
      stackId: event.previous.stackId,
      endpoint: event.previous.endpoint,
      version: event.previous.version,
      statistics: statistics.source,
      standby: event.previous.standby,
    },
    checks: event.checks,
  };
  const switchRecord = await putDocument(clients.s3, workflowBucket(), switchRecordKey(event.entryPoint), JSON.stringify(document));
  return { target, record, switchedAt: iso(switchedAt), retireAt: iso(retireAt), scheduleName, switchRecord, cloneOutput };
}
