import { paginateListStackResources, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { statisticsDigest } from '../shared/canonical-json';
import type { AsgRef, ReadSwitchRecordEvent, ReadSwitchRecordResult, SwitchRecord, WritesSinceSwitch } from '../shared/contracts';
import { getJsonDocument, switchRecordKey, workflowBucket } from '../shared/documents';
import { RollbackRefused } from '../shared/errors';
import type { FetchLike } from '../shared/http';
import { describeStack } from '../shared/stacks';
import { leafDifferences, readStatistics, recordHost, statisticsHeaders } from '../shared/statistics-reading';

export interface ReadSwitchRecordDeps {
  s3: S3Client;
  cfn: CloudFormationClient;
  secrets: SecretsManagerClient;
  fetch: FetchLike;
}

/** Differences named in the result (and so in the notification); the summary says how many in all. */
export const MAX_NAMED_DIFFERENCES = 20;

/**
 * Rollback, under its locks, before anything changes: reads the entry point's switch record
 * (switchRecordKey in the workflow bucket, written by the migration's switch) and checks that it can
 * be undone: it exists, is not already rolled back, names the input's two slots, and both slots are
 * still the very stacks the switch left (stack ids). Then reads the live slot's statistics now and
 * compares their digest with the one recorded at the switch (invariant: a rollback never silently
 * discards writes): UNCHANGED only when read now and equal; CHANGED when they differ (the differing
 * paths named, from the document kept at the switch when still readable) or when they cannot be read
 * or compared (a write can then not be ruled out). Returns the record, the execution whose standby
 * the previous slot is in, the live slot's Auto Scaling groups and that verdict.
 * Throws RollbackRefused naming every reason it cannot run; raw SDK errors otherwise.
 */
export async function readSwitchRecord(deps: ReadSwitchRecordDeps, event: ReadSwitchRecordEvent): Promise<ReadSwitchRecordResult> {
  const recordKey = switchRecordKey(event.entryPoint);
  const bucket = workflowBucket();
  const name = recordHost(event.entryPoint.recordName);
  let record: SwitchRecord;
  try {
    const out = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: recordKey }));
    record = JSON.parse(await out.Body!.transformToString('utf8')) as SwitchRecord;
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') throw new RollbackRefused(`Nothing to roll back: no blue/green switch of ${name} is recorded (s3://${bucket}/${recordKey})`);
    throw err;
  }
  if (record.rolledBack) {
    throw new RollbackRefused(
      `The switch of ${name} to ${record.live.stackName} (run ${record.runId}) was already rolled back at ${record.rolledBack.at} by ${record.rolledBack.executionArn}: the record points at ${record.previous.stackName}`,
    );
  }
  const problems: string[] = [];
  const wanted = new Set(event.slots.map((s) => s.toLowerCase()));
  if (!wanted.has(record.live.stackName.toLowerCase()) || !wanted.has(record.previous.stackName.toLowerCase())) {
    problems.push(`the recorded switch is between ${record.previous.stackName} and ${record.live.stackName}, not the slots given (${event.slots.join(', ')})`);
  }
  for (const [role, slot] of [['live', record.live], ['previous', record.previous]] as const) {
    const stack = await describeStack(deps.cfn, slot.stackName);
    if (!stack?.StackId || stack.StackStatus?.startsWith('DELETE')) problems.push(`the ${role} slot ${slot.stackName} no longer exists${stack?.StackStatus ? ` (${stack.StackStatus})` : ''}`);
    else if (stack.StackId !== slot.stackId) problems.push(`the ${role} slot ${slot.stackName} is now stack ${stack.StackId}, not ${slot.stackId} which the switch left`);
  }
  if (problems.length) throw new RollbackRefused(`Refusing to roll back the switch of ${name} (run ${record.runId}): ${problems.join('; ')}`);

  const writes = await writesSinceSwitch(deps, event, record);
  return {
    switchRecord: record,
    recordKey,
    standbyOwner: { id: record.executionArn, name: record.executionArn.split(':').pop() ?? record.executionArn },
    liveGroups: await autoScalingGroups(deps.cfn, record.live.stackId),
    writes,
  };
}

/** The live slot's statistics now against those recorded at the switch. */
async function writesSinceSwitch(deps: ReadSwitchRecordDeps, event: ReadSwitchRecordEvent, record: SwitchRecord): Promise<WritesSinceSwitch> {
  const at = record.live.statistics;
  const stack = await describeStack(deps.cfn, record.live.stackName);
  const url = stack?.Outputs?.find((o) => o.OutputKey === event.statistics.outputKey)?.OutputValue;
  const cannot = (reason: string, now: WritesSinceSwitch['now']): WritesSinceSwitch => ({
    status: 'CHANGED',
    summary: `writes since the switch cannot be ruled out: ${reason}`,
    differences: [],
    now,
  });
  if (!url) return cannot(`${record.live.stackName} has no output ${event.statistics.outputKey}`, { url: '', ok: false, reason: 'no statistics URL' });
  const headers = await statisticsHeaders(deps.secrets, event.statistics);
  if ('reason' in headers) return cannot(String(headers.reason), { url, ok: false, reason: String(headers.reason) });
  const reading = await readStatistics(deps.fetch, url, headers as Record<string, string>, event.statistics.timeoutSeconds * 1000);
  if (!reading.ok || !reading.data) return cannot(`the statistics of ${record.live.stackName} could not be read now (${reading.reason})`, { url, ok: false, reason: reading.reason });
  const now = { url, ok: true, dataSha256: statisticsDigest(reading.data) };
  if (!at.ok || !at.dataSha256) return cannot(`no statistics of ${record.live.stackName} were read at the switch (${at.reason ?? 'no digest'})`, now);
  if (now.dataSha256 === at.dataSha256) return { status: 'UNCHANGED', summary: `no write since the switch: the statistics of ${record.live.stackName} equal those at ${record.switchedAt}`, differences: [], now };

  let differences: string[] = [];
  if (at.document) {
    try {
      const before = await getJsonDocument<{ data?: unknown }>(deps.s3, at.document);
      differences = leafDifferences(before.data, reading.data);
    } catch {
      // The document expired with the bucket's retention: the digests still tell that something changed.
    }
  }
  const named = differences.slice(0, MAX_NAMED_DIFFERENCES);
  const summary = differences.length
    ? `${differences.length} statistic${differences.length === 1 ? '' : 's'} of ${record.live.stackName} changed since the switch at ${record.switchedAt}: ${named.slice(0, 5).join('; ')}${differences.length > 5 ? `; and ${differences.length - 5} more` : ''}`
    : `the statistics of ${record.live.stackName} changed since the switch at ${record.switchedAt} (SHA-256 ${at.dataSha256.slice(0, 12)}… then, ${now.dataSha256.slice(0, 12)}… now; the document read at the switch is no longer readable)`;
  return { status: 'CHANGED', summary, differences: named, now };
}

/** The stack's Auto Scaling groups (what standby-enter takes). */
async function autoScalingGroups(cfn: CloudFormationClient, stackId: string): Promise<AsgRef[]> {
  const groups: AsgRef[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackId })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType === 'AWS::AutoScaling::AutoScalingGroup' && r.PhysicalResourceId && r.LogicalResourceId && r.ResourceStatus !== 'DELETE_COMPLETE') {
        groups.push({ logicalId: r.LogicalResourceId, autoScalingGroupName: r.PhysicalResourceId });
      }
    }
  }
  return groups;
}
