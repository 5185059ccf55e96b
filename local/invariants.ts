/**
 * The safety invariants of DESIGN.md, checked on the simulated account's final state after an
 * execution. Read straight from the account (not from what the workflow reports), so a step that
 * lies about its work cannot make a check pass. Used by the workflow tests, the rehearsal summary
 * and the fault matrix.
 */
import { TAGS } from '../lambdas/steps';
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
  const response = await account.fetch(new Request(url));
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
  };
}

function survivorNamed(execution: SimExecution, notifications: RecordedMessage[]): string | null {
  if (execution.status === 'SUCCEEDED' && execution.output) {
    return (JSON.parse(execution.output) as { stackName?: string }).stackName ?? null;
  }
  const last = notifications.at(-1);
  const details = last?.attributes.details?.StringValue;
  if (!details) return null;
  return (JSON.parse(details) as { survivor?: string | null }).survivor ?? null;
}

export interface RunFacts {
  execution: SimExecution;
  tempStackName: string;
  lockTable: string;
  topicArn: string;
  /** Snapshots the input asked to keep (retainOriginalSnapshots). */
  snapshotsMayRemain?: boolean;
}

/** Checks every invariant of DESIGN.md on the account's final state. */
export async function checkInvariants(account: SimAccount, baseline: Baseline, facts: RunFacts): Promise<InvariantReport> {
  const violations: string[] = [];
  const { execution } = facts;
  const notifications = account.sns.messages(facts.topicArn);

  // 4. Every outcome sends exactly one notification (success included: the team hears either way).
  if (notifications.length !== 1) violations.push(`expected exactly one notification, got ${notifications.length}`);

  // 2. The survivor is named, exists, and holds all of the data.
  const survivor = survivorNamed(execution, notifications);
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
    survivorVersion = survivorStack.parameters.EnvironmentVersion ?? null;
    survivorStatistics = await statisticsOf(account, survivor);
  }
  if (notifications.length === 1 && survivor && !notifications[0]!.message.includes(survivor)) {
    violations.push(`the notification does not name ${survivor} in its message`);
  }

  // 3. If the original environment still exists, it is available again.
  const original = account.cloudformation.stackById(baseline.stackId);
  if (original && !original.status.startsWith('DELETE_COMPLETE')) {
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

  // No leftover of this execution other than the survivor.
  for (const stack of account.cloudformation.liveStacks()) {
    if (stack.tags[TAGS.execution] === execution.executionArn && stack.stackName !== survivor) {
      violations.push(`leftover stack ${stack.stackName} (${stack.status}) created by this execution`);
    }
  }
  const survivorIsOriginal = survivor === baseline.stackName && original !== undefined && !original.status.startsWith('DELETE_COMPLETE');
  const survivorIsNew = execution.status === 'SUCCEEDED';
  if (!facts.snapshotsMayRemain && (survivorIsOriginal || survivorIsNew)) {
    for (const snap of account.rds.listSnapshots()) {
      if (snap.tags.some((t) => t.Key === TAGS.execution && t.Value === execution.executionArn)) {
        violations.push(`leftover snapshot ${snap.identifier} created by this execution`);
      }
    }
  }

  // 6. The lock is released on every exit path.
  const lock = account.dynamodb.items(facts.lockTable).find((i) => i.stackName?.S === baseline.stackName && i.owner?.S === execution.executionArn);
  if (lock) violations.push(`the lock on ${baseline.stackName} is still held by this execution`);

  return { survivor, survivorVersion, survivorStatistics, dataIntact, notifications, violations };
}
