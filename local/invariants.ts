/**
 * The safety invariants of docs/design.md, checked on the simulated account's final state after an
 * execution. Read straight from the account (not from what the workflow reports), so a step that
 * lies about its work cannot make a check pass. Used by the workflow tests, the rehearsal summary
 * and the fault matrix.
 */
import { TAGS } from '../lambdas/steps';
import { type BlueGreenRunFacts, checkMigrateBlueGreen } from './invariants-blue-green';
import type { SimAccount } from './sim/account';
import { type EnvironmentData, environmentData, sameData } from './sim/environment-data';
import type { SimExecution } from './sim/sfn';
import type { RecordedMessage } from './sim/sns';

interface GroupBaseline {
  logicalId: string;
  name: string;
  minSize: number;
  desiredCapacity: number;
  inService: number;
  suspendedProcesses: string[];
}

/** The original environment as it was before the execution. */
export interface Baseline {
  stackName: string;
  stackId: string;
  version: string | undefined;
  data: EnvironmentData;
  statistics: unknown;
  groups: GroupBaseline[];
  /** Stacks already deleted (or being deleted) before the run, by ID: not the run's doing. */
  deletedBefore?: string[];
}

export interface InvariantReport {
  /** The stack the workflow says holds the data (execution output, or the notification). */
  survivor: string | null;
  survivorVersion: string | null;
  survivorStatistics: unknown;
  dataIntact: boolean;
  notifications: RecordedMessage[];
  /** One sentence per broken invariant; empty when every invariant held. */
  violations: string[];
}

async function statisticsOf(account: SimAccount, stackName: string): Promise<unknown> {
  const url = account.cloudformation.stackByName(stackName)?.outputs.StatisticsUrl;
  if (!url) return null;
  // A load balancer deleted with its stack no longer resolves: fetch rejects.
  const response = await account.fetch(new Request(url)).catch(() => undefined);
  if (!response?.ok) return { unavailable: response?.status ?? 'no such host' };
  return ((await response.json()) as { data?: unknown }).data ?? null;
}

function groupsOf(account: SimAccount, stackName: string): GroupBaseline[] {
  return account.cloudformation
    .resourcesOf(stackName)
    .filter((r) => r.type === 'AWS::AutoScaling::AutoScalingGroup')
    .map((r) => {
      const g = account.autoscaling.group(r.physicalId);
      if (!g) throw new Error(`Auto Scaling group ${r.physicalId} of ${stackName} does not exist`);
      return {
        logicalId: r.logicalId,
        name: g.name,
        minSize: g.minSize,
        desiredCapacity: g.desiredCapacity,
        inService: g.instances.filter((i) => i.state === 'InService').length,
        suspendedProcesses: [...g.suspendedProcesses].sort(),
      };
    });
}

/** Records the original environment before a run. */
export async function captureBaseline(account: SimAccount, stackName: string): Promise<Baseline> {
  const stack = account.cloudformation.stackByName(stackName);
  if (!stack) throw new Error(`No stack ${stackName} to take a baseline of`);
  return {
    stackName,
    stackId: stack.stackId,
    version: stack.parameters.EnvironmentVersion,
    data: environmentData(account, stackName),
    statistics: await statisticsOf(account, stackName),
    groups: groupsOf(account, stackName),
    deletedBefore: account.cloudformation.allStacks().filter((s) => s.status.startsWith('DELETE_')).map((s) => s.stackId),
  };
}

/** The JSON facts of a notification (its `details` attribute). */
interface NotificationDetails {
  outcome?: string;
  survivor?: string | null;
  leftToDo?: string[];
}

/** Outcomes of an execution that touched no environment: the original holds the data, as before. */
const UNTOUCHED = new Set(['REJECTED_INPUT', 'MIGRATION_IN_PROGRESS']);

function detailsOf(message: RecordedMessage | undefined): NotificationDetails | undefined {
  const text = message?.attributes.details?.StringValue;
  return text ? (JSON.parse(text) as NotificationDetails) : undefined;
}

/**
 * The notification the workflow composed, read from the execution history when none was published
 * (the publish itself failed): the history keeps each state's output, as GetExecutionHistory does.
 */
function composedInHistory(execution: SimExecution): NotificationDetails | undefined {
  const composers = new Set(['Compose the notification', 'Compose a plain notification']);
  const exited = execution.history.filter((h) => h.type === 'StateExited' && composers.has(h.stateName ?? '') && h.outputJson);
  const output = exited.at(-1)?.outputJson;
  if (!output) return undefined;
  const details = (JSON.parse(output) as { notification?: { details?: string } }).notification?.details;
  return details ? (JSON.parse(details) as NotificationDetails) : undefined;
}

function survivorNamed(execution: SimExecution, details: NotificationDetails | undefined): string | null {
  if (execution.status === 'SUCCEEDED' && execution.output) {
    return (JSON.parse(execution.output) as { stackName?: string }).stackName ?? null;
  }
  return details?.survivor ?? null;
}

export interface RunFacts {
  execution: SimExecution;
  tempStackName: string;
  lockTable: string;
  topicArn: string;
  /** Snapshots the input asked to keep (retainOriginalSnapshots). */
  snapshotsMayRemain?: boolean;
  /**
   * The publish of the notification was itself made to fail (SNS refusing or throttling past the
   * retries): no notification can arrive, and the facts are read from the notification the workflow
   * composed, in the execution history.
   */
  publishMayFail?: boolean;
  /**
   * A publish whose response was lost was retried: SNS topics deliver at least once, so identical
   * copies of the one notification are expected (never a second, different one).
   */
  notificationsMayRepeat?: boolean;
  /**
   * The return of the instances to service was itself made to fail (the Auto Scaling API refusing
   * past every retry, its wait running out): the original may then stay out of service, provided
   * the notification says so and what to do by hand.
   */
  standbyExitMayFail?: boolean;
  /** Notifications already on the topic before this execution (an earlier migration's): not this one's. */
  notificationsBefore?: number;
  /**
   * Strategy blue-green: the entry point and slots. A run that switched keeps the previous slot (the
   * baseline) whole and in standby as the rollback point; the blue/green invariants are checked too.
   */
  blueGreen?: BlueGreenRunFacts;
}

/** Checks every invariant of docs/design.md on the account's final state. */
export async function checkInvariants(account: SimAccount, baseline: Baseline, facts: RunFacts): Promise<InvariantReport> {
  const violations: string[] = [];
  const { execution } = facts;
  const notifications = account.sns.messages(facts.topicArn).slice(facts.notificationsBefore ?? 0);

  // 4. Every outcome sends exactly one notification (success included: the team hears either way).
  const distinct = new Set(notifications.map((n) => `${n.subject ?? ''}\n${n.message}\n${n.attributes.details?.StringValue ?? ''}`));
  const published = facts.notificationsMayRepeat ? distinct.size : notifications.length;
  let details = detailsOf(notifications.at(-1));
  if (published === 0 && facts.publishMayFail) {
    details = composedInHistory(execution);
    if (!details) violations.push('no notification was published, and none was composed either');
  } else if (published !== 1) {
    violations.push(`expected exactly one notification, got ${notifications.length}${distinct.size < notifications.length ? ` (${distinct.size} distinct)` : ''}`);
  }
  // What the notification says is left to do by hand: anything of this execution left behind must be named there.
  const leftToDo = details?.leftToDo ?? [];
  // The recover command's line names the stacks it would recreate from, not leftovers: it excuses nothing.
  const leftovers = leftToDo.filter((line) => !line.includes('env-migrator recover '));
  // By name, or by a name pattern the line gives (`em-1a2b3c4d-*`).
  const patterns = leftovers.flatMap((line) => [...line.matchAll(/([A-Za-z0-9][A-Za-z0-9-]*)\*/g)].map((m) => m[1]!));
  const listedAsLeft = (name: string) => leftovers.some((line) => line.includes(name)) || patterns.some((p) => name.startsWith(p));

  // 2. The survivor is named, exists, and holds all of the data.
  const untouched = UNTOUCHED.has(details?.outcome ?? '');
  const survivor = survivorNamed(execution, details) ?? (untouched ? baseline.stackName : null);
  let dataIntact = false;
  let survivorVersion: string | null = null;
  let survivorStatistics: unknown = null;
  const survivorStack = survivor ? account.cloudformation.stackByName(survivor) : undefined;
  if (!survivor) {
    violations.push('no stack is named as holding the data');
  } else if (!survivorStack) {
    violations.push(`the stack named as holding the data, ${survivor}, does not exist`);
  } else {
    const comparison = sameData(baseline.data, environmentData(account, survivor));
    dataIntact = comparison.equal;
    if (!dataIntact) violations.push(`${survivor} does not hold all the data: ${comparison.differences.slice(0, 3).join('; ')}`);
    violations.push(...unreadableLater(account, survivor));
    survivorVersion = survivorStack.parameters.EnvironmentVersion ?? null;
    survivorStatistics = await statisticsOf(account, survivor);
  }
  if (notifications.length >= 1 && survivor && !untouched && !notifications[0]!.message.includes(survivor)) {
    violations.push(`the notification does not name ${survivor} in its message`);
  }

  // 3. If the original environment still exists and is named as holding the data, it is available
  // again. Once its deletion may have started, the temporary copy is named instead and the original,
  // possibly emptied, is left out of service (the notification says so). But an original that still
  // holds every row and object it had (nothing of it was deleted) must be back in service whoever is
  // named: a refusal before any deletion returns it to service (invariant 9), never leaves it in standby.
  const original = account.cloudformation.stackById(baseline.stackId);
  const originalLive = !!original && !original.status.startsWith('DELETE_');
  // Unless the workflow said it could not tell: delete-stack could not prove nothing was deleted (its
  // proof unreadable: throttled, denied) and says the deletion "may have started"; keeping the copy
  // is then the safe choice, and the error says why.
  const undetermined = /deletion (of \S+ )?may have started/.test(`${execution.cause ?? ''}\n${notifications.at(-1)?.message ?? ''}`);
  const originalWhole = originalLive && !undetermined && sameData(baseline.data, environmentData(account, baseline.stackName)).equal;
  // Blue/green after a switch (the other slot named as holding the data: checkMigrateBlueGreen holds the
  // record to it): the previous slot stays whole and out of service on purpose, the rollback point.
  const keptForRollback = !!facts.blueGreen && survivor !== null && survivor !== baseline.stackName && facts.blueGreen.slots.includes(survivor);
  if (originalWhole && survivor !== baseline.stackName && !keptForRollback) {
    violations.push(`${baseline.stackName} still holds all of its data (nothing of it was deleted), yet ${survivor ?? 'no stack'} is named as holding the data`);
  }
  // What could not be put back (the Auto Scaling API refusing past every retry) must be listed as left to do.
  const serviceLeftToDo = !!facts.standbyExitMayFail && leftToDo.some((line) => line.includes(`instances of ${baseline.stackName}`) && line.includes('back in service'));
  if (originalLive && (survivor === baseline.stackName || originalWhole) && !serviceLeftToDo && !keptForRollback) {
    const now = groupsOf(account, baseline.stackName);
    for (const before of baseline.groups) {
      const after = now.find((g) => g.logicalId === before.logicalId);
      if (!after) {
        violations.push(`Auto Scaling group ${before.logicalId} of the original is gone`);
        continue;
      }
      if (after.inService < before.inService) violations.push(`${after.name}: ${after.inService} of ${before.inService} instances InService`);
      if (after.minSize !== before.minSize) violations.push(`${after.name}: MinSize ${after.minSize}, was ${before.minSize}`);
      if (after.suspendedProcesses.join() !== before.suspendedProcesses.join()) {
        violations.push(`${after.name}: suspended processes [${after.suspendedProcesses.join(', ')}], were [${before.suspendedProcesses.join(', ')}]`);
      }
    }
  }

  // 1 (in effect): if the original is gone, a complete copy must hold the data (checked above).
  if ((!original || original.status.startsWith('DELETE_COMPLETE')) && !dataIntact) {
    violations.push('the original environment was deleted without a complete copy surviving');
  }

  // 1 (the stack verified, and only it): the workflow deletes the original it verified, by its stack
  // ID, and stacks it created; never another stack that has taken a name (delete-stack's stack ID check).
  const deletedBefore = new Set(baseline.deletedBefore ?? []);
  for (const stack of account.cloudformation.allStacks()) {
    if (!stack.status.startsWith('DELETE_') || stack.stackId === baseline.stackId || deletedBefore.has(stack.stackId)) continue;
    if (stack.tags[TAGS.execution] === execution.executionArn) continue;
    violations.push(`stack ${stack.stackName} (${stack.stackId}) is ${stack.status}: neither the original that was verified nor a stack of this execution`);
  }
  // 9 (what would make a deletion fail half-way is checked before anything is deleted): an original
  // under termination protection, whose DeleteStack can only fail, still holds all of its data. (An
  // original emptied and then refused for a reason nobody could know, an AWS error, is phase B's.)
  if (original && !original.status.startsWith('DELETE_') && original.terminationProtection && survivor !== baseline.stackName) {
    let differences: string[];
    try {
      differences = sameData(baseline.data, environmentData(account, baseline.stackName)).differences;
    } catch (err) {
      differences = [err instanceof Error ? err.message : String(err)];
    }
    if (differences.length) violations.push(`${baseline.stackName} is under termination protection, never deleted, yet it no longer holds all of its data (emptied for a deletion bound to fail): ${differences.slice(0, 3).join('; ')}`);
  }

  // No leftover of this execution other than the survivor, unless the notification lists it as left to do by hand.
  for (const stack of account.cloudformation.liveStacks()) {
    if (stack.tags[TAGS.execution] === execution.executionArn && stack.stackName !== survivor && !listedAsLeft(stack.stackName)) {
      violations.push(`leftover stack ${stack.stackName} (${stack.status}) created by this execution, not listed as left to do`);
    }
  }
  const retained = execution.status === 'SUCCEEDED' && execution.output ? ((JSON.parse(execution.output) as { snapshotsRetained?: string[] }).snapshotsRetained ?? []) : [];
  for (const snap of account.rds.listSnapshots()) {
    if (!snap.tags.some((t) => t.Key === TAGS.execution && t.Value === execution.executionArn)) continue;
    if (facts.snapshotsMayRemain || retained.includes(snap.identifier) || listedAsLeft(snap.identifier)) continue;
    violations.push(`leftover snapshot ${snap.identifier} created by this execution, not listed as left to do`);
  }

  // 6. The lock is released on every exit path (or, when releasing it failed, the notification says so).
  // (A blue/green run also locks the idle slot and the entry point: every item it owns must be gone.)
  const locks = account.dynamodb.items(facts.lockTable).filter((i) => (facts.blueGreen || i.stackName?.S === baseline.stackName) && i.owner?.S === execution.executionArn);
  if (locks.length && !leftToDo.some((line) => line.includes('lock'))) violations.push(`the lock on ${locks.map((l) => l.stackName?.S).join(', ')} is still held by this execution`);

  if (facts.blueGreen) violations.push(...checkMigrateBlueGreen(account, baseline, execution, facts.blueGreen, leftToDo));

  return { survivor, survivorVersion, survivorStatistics, dataIntact, notifications, violations };
}

/**
 * Data that is there today but not for long: a database of the survivor encrypted with a KMS key that
 * is scheduled for deletion (or already gone) becomes unreadable when the key's waiting period ends.
 */
function unreadableLater(account: SimAccount, stackName: string): string[] {
  const problems: string[] = [];
  for (const r of account.cloudformation.resourcesOf(stackName)) {
    if (r.type !== 'AWS::RDS::DBInstance') continue;
    const keyId = account.rds.instance(r.physicalId)?.kmsKeyId;
    if (!keyId) continue;
    const key = account.kms.key(keyId);
    if (key?.state === 'Enabled') continue;
    const when = key?.deletionAt !== undefined ? `pending deletion, deleted on ${new Date(key.deletionAt).toISOString()}` : 'deleted';
    problems.push(`database ${r.logicalId} of ${stackName} is encrypted with KMS key ${keyId}, ${when}: its data becomes unreadable`);
  }
  return problems;
}
