/**
 * The blue/green invariants (docs/design.md "Safety invariants", issue 11), checked on the simulated
 * account after a run, read from the account itself (the record as Route 53 holds it, the stacks as
 * CloudFormation does, the Clone executions as Step Functions ran them, the switch record as the
 * workflow bucket holds it), never from what the workflow reports:
 * - Migrate (checkMigrateBlueGreen): the record points only at a verified slot, that slot exists,
 *   Migrate never deletes the previous slot, and a switch it undid is not left claiming a live switch;
 * - Retire (checkRetireInvariants): the slot the record points at is never deleted; the previous slot
 *   is deleted only after its retention, while the record points elsewhere;
 * - Rollback (checkRollbackInvariants): it never silently discards writes: it switches back only when
 *   the live slot's statistics equal those at the switch, or the input accepted discarding them and
 *   the notification names them;
 * - every Retire and Rollback run ends with exactly one notification and leaves no lock of its own.
 */
import type { EntryPointRef, SwitchRecord } from '../lambdas/shared/contracts';
import { runIdOf } from '../lambdas/shared/naming';
import { switchRecordKey } from '../lambdas/shared/documents';
import { statisticsDigest } from '../lambdas/shared/canonical-json';
import type { SimAccount } from './sim/account';
import { normaliseName } from './sim/route53';
import type { SimExecution } from './sim/sfn';
import type { RecordedMessage } from './sim/sns';

/** The slot (stack name) the entry point's record points at now, as Route 53 holds it; null when none. */
export function recordPointsAt(account: SimAccount, entryPoint: EntryPointRef, slots: readonly string[]): string | null {
  return recordTarget(account, { entryPoint, slots }).slot?.stackName ?? null;
}

/** The switch record as the workflow bucket holds it now. */
export function switchRecordOf(account: SimAccount, bucket: string, entryPoint: EntryPointRef): SwitchRecord | undefined {
  const body = account.s3.getObjectRecord(bucket, switchRecordKey(entryPoint))?.body;
  return body ? (JSON.parse(body.toString('utf8')) as SwitchRecord) : undefined;
}

/** How many of a stack's instances are in each lifecycle state. */
export function instanceStates(account: SimAccount, stackName: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of account.cloudformation.resourcesOf(stackName).filter((x) => x.type === 'AWS::AutoScaling::AutoScalingGroup')) {
    for (const i of account.autoscaling.group(r.physicalId)?.instances ?? []) counts[i.state] = (counts[i.state] ?? 0) + 1;
  }
  return counts;
}

export interface SlotRunFacts {
  execution: SimExecution;
  /** The switch this run acts on, as the migration recorded it (before the run). */
  switchRecord: SwitchRecord;
  slots: readonly string[];
  lockTable: string;
  topicArn: string;
  /** Notifications published before the run (they are not its own). */
  notificationsBefore: number;
  /** SNS itself was made to refuse the publish (past the retries): none may arrive. */
  publishMayFail?: boolean;
  /** A publish whose answer was lost was retried: identical copies of the one notification may arrive (SNS delivers at least once). */
  notificationsMayRepeat?: boolean;
}

/** What every slot operation must leave: one notification of its own, no lock of its own, the record's slot standing. */
function common(account: SimAccount, f: SlotRunFacts): { violations: string[]; notifications: RecordedMessage[]; pointsAt: string | null } {
  const violations: string[] = [];
  const notifications = account.sns.messages(f.topicArn).slice(f.notificationsBefore);
  const distinct = new Set(notifications.map((n) => `${n.subject ?? ''}\n${n.message}`)).size;
  const sent = f.notificationsMayRepeat ? distinct : notifications.length;
  if (sent !== 1 && !(sent === 0 && f.publishMayFail)) violations.push(`${notifications.length} notifications were sent, not exactly one`);
  const locks = account.dynamodb.items(f.lockTable).filter((item) => item.owner?.S === f.execution.executionArn);
  // Unless the release itself failed past its retries and the notification says what to release by hand.
  const told = notifications.some((n) => n.message.includes("releasing this run's locks failed") && locks.every((l) => n.message.includes(l.stackName?.S ?? '?')));
  if (locks.length && !told) violations.push(`the run left ${locks.length} lock(s) of its own: ${locks.map((l) => l.stackName?.S).join(', ')}`);
  const pointsAt = recordPointsAt(account, f.switchRecord.entryPoint, f.slots);
  if (!pointsAt) violations.push('the record points at no slot');
  else if (!account.cloudformation.stackByName(pointsAt)) violations.push(`the record points at ${pointsAt}, which was deleted`);
  return { violations, notifications, pointsAt };
}

/**
 * After a Retire run: the common checks, and the previous slot deleted only if the run started no
 * earlier than the switch's retireAt and the record points at the live slot; the live slot untouched.
 */
export function checkRetireInvariants(account: SimAccount, f: SlotRunFacts): { violations: string[]; notifications: RecordedMessage[]; previousDeleted: boolean } {
  const { violations, notifications, pointsAt } = common(account, f);
  const { previous, live } = f.switchRecord;
  const stack = account.cloudformation.stackById(previous.stackId);
  const previousDeleted = !stack || stack.status.startsWith('DELETE');
  if (previousDeleted) {
    if (f.execution.startDate < Date.parse(f.switchRecord.retireAt)) violations.push(`${previous.stackName} was deleted by a run started at ${new Date(f.execution.startDate).toISOString()}, before its retention ended (${f.switchRecord.retireAt})`);
    if (pointsAt !== live.stackName) violations.push(`${previous.stackName} was deleted while the record pointed at ${pointsAt ?? 'no slot'}, not at ${live.stackName}`);
  }
  const liveNow = account.cloudformation.stackById(live.stackId);
  if (!liveNow || liveNow.status.startsWith('DELETE')) violations.push(`the live slot ${live.stackName} was deleted`);
  return { violations, notifications, previousDeleted };
}

/**
 * After a Rollback run (with the input it was given): the common checks; when it switched back, it
 * either proved no write since the switch (the live slot's statistics now equal those at the switch)
 * or was told to discard them and said so in its notification; a refusal changed nothing (the record
 * still at the live slot, the previous slot still in standby, the switch record still open).
 */
export async function checkRollbackInvariants(
  account: SimAccount,
  f: SlotRunFacts & { bucket: string; acceptDiscardingWrites: boolean },
): Promise<{ violations: string[]; notifications: RecordedMessage[]; rolledBack: boolean }> {
  const { violations, notifications, pointsAt } = common(account, f);
  const { previous, live } = f.switchRecord;
  const rolledBack = pointsAt === previous.stackName;
  const record = switchRecordOf(account, f.bucket, f.switchRecord.entryPoint);
  if (rolledBack) {
    const now = await statisticsData(account, live.stackName);
    const unchanged = now !== undefined && statisticsDigest(now) === live.statistics.dataSha256;
    if (!unchanged) {
      if (!f.acceptDiscardingWrites) violations.push(`the record was switched back to ${previous.stackName} although ${live.stackName} changed since the switch and discarding was not accepted`);
      else if (!notifications.some((n) => /changed since the switch|cannot be ruled out/.test(n.message))) violations.push('writes since the switch were discarded without the notification naming them');
      if (!record?.rolledBack?.discardedWrites) violations.push('the switch record does not say writes were discarded');
    }
    if (f.execution.status === 'SUCCEEDED') {
      if (!record?.rolledBack) violations.push('the switch record is not marked rolled back');
      if ((instanceStates(account, previous.stackName).InService ?? 0) === 0) violations.push(`${previous.stackName} serves the record but has no instance InService`);
      if (instanceStates(account, live.stackName).InService) violations.push(`${live.stackName} is not in standby after the rollback`);
    }
  } else if (f.execution.status !== 'SUCCEEDED') {
    if (record?.rolledBack) violations.push('a rollback that did not switch back marked the switch record rolled back');
  } else {
    violations.push(`the rollback succeeded but the record points at ${pointsAt ?? 'no slot'}`);
  }
  return { violations, notifications, rolledBack };
}

async function statisticsData(account: SimAccount, stackName: string): Promise<unknown> {
  const url = account.cloudformation.stackByName(stackName)?.outputs.StatisticsUrl;
  if (!url) return undefined;
  const response = await account.fetch(new Request(url)).catch(() => undefined);
  if (!response?.ok) return undefined;
  return ((await response.json()) as { data?: unknown }).data;
}

/** The entry point and slots of a blue/green run (its input's). */
export interface BlueGreenRunFacts {
  entryPoint: { hostedZoneId: string; recordName: string };
  slots: readonly string[];
  /** The workflow bucket (where the switch record is): given, Migrate's switch record is checked too. */
  workflowBucket?: string;
}

/** Where the record points now: the slot whose ServiceUrl host is its value, by name and stack id. */
export interface RecordTarget {
  /** The record's value (alias target or CNAME), normalised; undefined when there is no such record. */
  value?: string;
  slot?: { stackName: string; stackId: string };
}

/** The entry point's record as Route 53 holds it now (the latest version), and the slot it points at. */
export function recordTarget(account: SimAccount, facts: BlueGreenRunFacts): RecordTarget {
  const name = normaliseName(facts.entryPoint.recordName);
  const record = account.route53
    .recordSets(facts.entryPoint.hostedZoneId.replace(/^\/hostedzone\//, ''))
    .find((r) => r.Name === name && (r.Type === 'A' || r.Type === 'CNAME'));
  if (!record) return {};
  const raw = record.AliasTarget?.DNSName ?? record.ResourceRecords?.[0]?.Value ?? '';
  const value = normaliseName(raw).replace(/^dualstack\./, '').replace(/\.$/, '');
  for (const stackName of facts.slots) {
    const stack = account.cloudformation.stackByName(stackName);
    const url = stack?.outputs.ServiceUrl;
    if (!stack || !url) continue;
    if (new URL(url).hostname.toLowerCase() === value) return { value, slot: { stackName, stackId: stack.stackId } };
  }
  return { value };
}

/** The outputs of the Clone executions `execution` started (Migrate names them `<runId>-c1`, `<runId>-c2`). */
function clonesOf(account: SimAccount, execution: SimExecution): { outcome?: string; destinationStackId?: string }[] {
  const runId = runIdOf(execution.executionArn);
  return [...account.sfn.executions.values()]
    .filter((x) => /:stateMachine:Clone/.test(x.stateMachineArn) && new RegExp(`:${runId}-c[12]$`).test(x.executionArn))
    .map((x) => (x.status === 'SUCCEEDED' && x.output ? (JSON.parse(x.output) as { outcome?: string; destinationStackId?: string }) : {}));
}

/**
 * Migrate's blue/green invariants after one run whose live slot was `baseline` (the stack the record
 * pointed at when it started):
 * - the record points at a slot, and only at a verified one: the baseline slot (it was live), or a
 *   slot this run's Clone created and found EQUAL (that very stack id);
 * - the slot the record points at exists and is not being deleted;
 * - the previous slot (the baseline) is not deleted by Migrate: it is the rollback point, which only
 *   the retire run deletes.
 * Returns one sentence per broken invariant.
 */
export function checkMigrateBlueGreen(
  account: SimAccount,
  baseline: { stackName: string; stackId: string },
  execution: SimExecution,
  facts: BlueGreenRunFacts,
  leftToDo: readonly string[] = [],
): string[] {
  const violations: string[] = [];
  const target = recordTarget(account, facts);
  if (!target.slot) {
    violations.push(`the entry point ${facts.entryPoint.recordName} points at ${target.value ?? 'nothing (no record)'}, which is no slot's endpoint`);
  } else {
    const stack = account.cloudformation.stackById(target.slot.stackId);
    if (!stack || stack.status.startsWith('DELETE_')) violations.push(`the slot the entry point points at, ${target.slot.stackName}, is ${stack?.status ?? 'gone'}`);
    const verified =
      target.slot.stackId === baseline.stackId ||
      clonesOf(account, execution).some((c) => c.outcome === 'EQUAL' && c.destinationStackId === target.slot!.stackId);
    if (!verified) violations.push(`the entry point points at ${target.slot.stackName} (${target.slot.stackId}), which no clone of this run verified`);
    // Something serves what the record points at: a slot in standby behind the record is an outage,
    // unless putting it back in service failed and the notification says to do it by hand.
    const serving = instanceStates(account, target.slot.stackName).InService ?? 0;
    const toldToServe = leftToDo.some((line) => line.includes(`instances of ${target.slot!.stackName}`) && line.includes('in service'));
    if (serving === 0 && !toldToServe) violations.push(`the entry point points at ${target.slot.stackName}, which has no instance InService: nothing serves the record`);
  }
  const previous = account.cloudformation.stackById(baseline.stackId);
  if (!previous || previous.status.startsWith('DELETE_')) {
    violations.push(`the previous slot ${baseline.stackName} is ${previous?.status ?? 'gone'}: Migrate never deletes it (only the retire run does, after its retention)`);
  }
  // A switch record of this run that is not rolled back claims the record points at its live slot:
  // `env-migrator rollback` would act on it. After a switch back Migrate must have marked it, or,
  // when marking it (or confirming the switch back) failed, say so in what is left to do by hand.
  // A claim on a slot that no longer exists misleads nobody: Rollback refuses it (the record does not
  // point there, and the slot is gone).
  const record = facts.workflowBucket ? switchRecordOf(account, facts.workflowBucket, facts.entryPoint) : undefined;
  const claimed = record ? account.cloudformation.stackById(record.live.stackId) : undefined;
  const claimedGone = !!record && (!claimed || claimed.status.startsWith('DELETE_'));
  const told = leftToDo.some((line) => line.includes('switch record') || line.includes('entry point record'));
  if (record && record.runId === runIdOf(execution.executionArn) && !record.rolledBack && target.slot?.stackId !== record.live.stackId && !told && !claimedGone) {
    violations.push(`the switch record of this run claims a live switch to ${record.live.stackName}, but the record points at ${target.slot?.stackName ?? 'no slot'} and it is not marked rolled back`);
  }
  return violations;
}
