/**
 * Faults that change the world under the last guards (issue 9, items 7 and 8). The state machine
 * never asks delete-stack to delete the original without a verified copy, with a stale stack ID or
 * under termination protection, and clone 1 never hands compare-statistics one URL twice: so no run
 * reached those guards, and a build without them passed every end-to-end check. Here the world
 * changes after the checks that came before them:
 *
 * - right at the entry of "Delete the current environment" (after "Prove the original unchanged"):
 *   the temporary copy is deleted, orders-prod is re-created under its name around the same
 *   resources (a new stack ID) or replaced by a new empty stack of that name, or termination
 *   protection is switched on;
 * - right before clone 1's "Compare the statistics": both stacks report one statistics URL, or the
 *   copy's URL is served by the original's backend (each with a copy that lacks a row, which only a
 *   real comparison would show), or the copy's endpoint errors or answers an empty document.
 *
 * Each must end with the holder of the data preserved and one notification naming why: the original
 * kept and back in service (phase A) when nothing of it was deleted; the verified copy kept (phase
 * B) when the stack verified no longer exists under its name. The invariants (local/invariants.ts)
 * detect the loss when a guard is missing (bench/mutants/named.ts).
 */
import type { SimAccount } from '../sim/account';
import { SAMPLE_STACK } from '../sample-environment';
import { SAME_URL_REASON } from '../../lambdas/compare-statistics/core';
import { taskHooks } from './state-context';
import type { TimingProfile } from '../sim/core';
import { type ArmContext, LIGHT_TIMING, type RunOutcome, type StateKey, keyOf, outsideState, runFaulted, runInOrder } from './runner';

const DELETE_CURRENT: StateKey = 'Migrate: Delete the current environment';
const COMPARE_C1: StateKey = 'Clone c1: Compare the statistics';

export interface GuardAttack {
  name: string;
  description: string;
  /** Where it strikes: just before the first invocation of this state. */
  at: StateKey;
  /** What the one notification must say (why the original was kept). */
  expectedProblem: string;
  /** Who must hold the data at the end: the stack under the original's name (default), or the temporary copy. */
  survivor?: 'original-name' | 'temp';
  timing?: TimingProfile;
  /** Arms what is armed from the start (a copy that lacks a row), and returns the change made at `at`. */
  arm: (ctx: ArmContext) => (account: SimAccount) => void | Promise<void>;
}

/** Every version and delete marker of a bucket, as the simulated S3 holds them. */
function versionsOf(account: SimAccount, bucket: string): [string, string][] {
  const keys: Map<string, { versionId: string }[]> = (account.s3 as unknown as { buckets: Map<string, { keys: Map<string, { versionId: string }[]> }> }).buckets.get(bucket)?.keys ?? new Map();
  return [...keys].flatMap(([key, versions]) => versions.map((v): [string, string] => [key, v.versionId]));
}

/** Set while someone else deletes and re-creates orders-prod: both happen at once. */
let instantStacks = false;
const INSTANT_STACKS: TimingProfile = new Proxy(LIGHT_TIMING, {
  get(target, property, receiver) {
    if (instantStacks && (property === 'stackDeleteSeconds' || property === 'dbDeleteSeconds' || property === 'stackCreateSeconds')) return 0;
    return Reflect.get(target, property, receiver) as unknown;
  },
});

/** The copy restores with a row missing: a difference only a real comparison of the statistics shows. */
function copyLacksARow({ account, tempStackName }: ArmContext): void {
  account.faults.silent.restoreDropsRows = { rows: 1, onlyInstancesOfStack: tempStackName };
}

export const GUARD_ATTACKS: GuardAttack[] = [
  {
    name: 'copy-deleted-before-deletion',
    description: "the temporary copy is emptied and deleted (a clean-up job sweeping em-* stacks) after it was verified, before the original's deletion: no verified copy exists any more",
    at: DELETE_CURRENT,
    expectedProblem: 'not CREATE_COMPLETE or UPDATE_COMPLETE',
    arm:
      ({ tempStackName }) =>
      (account) => {
        for (const r of account.cloudformation.resourcesOf(tempStackName)) {
          if (r.type !== 'AWS::S3::Bucket') continue;
          for (const [key, versionId] of versionsOf(account, r.physicalId)) account.s3.deleteObjectDirect(r.physicalId, key, versionId);
        }
        account.cloudformation.deleteStackNow(tempStackName);
      },
  },
  {
    name: 'original-recreated-under-its-name',
    description:
      'orders-prod is re-created under its name around the same resources (retained, then imported into a new stack: a refactoring) after it was proven unchanged: the stack under that name is not the one verified',
    at: DELETE_CURRENT,
    expectedProblem: 'another stack has taken the name',
    // The stack verified is gone (by its ID): whether the new one holds its data is not known, the copy is.
    survivor: 'temp',
    arm: () => (account) => void account.cloudformation.recreateAroundResources(SAMPLE_STACK),
  },
  {
    name: 'original-replaced-by-another-stack',
    description:
      'orders-prod is emptied and deleted by someone else, and a new empty orders-prod created from its template, after it was proven unchanged: the verified copy is the only one left (seen: phase A deleted it)',
    at: DELETE_CURRENT,
    expectedProblem: 'another stack has taken the name',
    survivor: 'temp',
    timing: INSTANT_STACKS,
    arm:
      () =>
      async (account) => {
        const cfn = account.cloudformation;
        const { TemplateBody } = (await account.dispatch('CloudFormation', 'GetTemplate', { StackName: SAMPLE_STACK })) as { TemplateBody: string };
        const parameters = cfn.stackByName(SAMPLE_STACK)!.parameters;
        for (const r of cfn.resourcesOf(SAMPLE_STACK)) {
          if (r.type !== 'AWS::S3::Bucket') continue;
          for (const [key, versionId] of versionsOf(account, r.physicalId)) account.s3.deleteObjectDirect(r.physicalId, key, versionId);
        }
        instantStacks = true;
        try {
          cfn.deleteStackNow(SAMPLE_STACK);
          cfn.createStackNow(SAMPLE_STACK, TemplateBody, parameters);
        } finally {
          instantStacks = false;
        }
      },
  },
  {
    name: 'termination-protection-switched-on',
    description: 'termination protection is switched on for orders-prod after the preflight: DeleteStack would fail after its buckets were emptied',
    at: DELETE_CURRENT,
    expectedProblem: 'termination protection is enabled',
    // What an operator (or an account guardrail) does through the API: UpdateTerminationProtection.
    arm: () => (account) => account.dispatch('CloudFormation', 'UpdateTerminationProtection', { StackName: SAMPLE_STACK, EnableTerminationProtection: true }).then(() => undefined),
  },
  {
    name: 'statistics-endpoint-error',
    description: "the temporary copy's statistics endpoint answers HTTP 500: an endpoint that cannot be read is never a match",
    at: COMPARE_C1,
    expectedProblem: 'HTTP 500',
    arm:
      ({ tempStackName }) =>
      (account) =>
        void (account.faults.silent.statisticsErrorForStack = tempStackName),
  },
  {
    name: 'statistics-empty-document',
    description: "the temporary copy's statistics endpoint answers an empty document: nothing counted is never a match",
    at: COMPARE_C1,
    expectedProblem: 'empty "data" object',
    arm:
      ({ tempStackName }) =>
      (account) =>
        void (account.faults.silent.emptyStatisticsForStack = tempStackName),
  },
  {
    name: 'same-statistics-url',
    description:
      "both stacks report one statistics URL (the copy's output is the original's, as a fixed value in a template would be), whose application does not say which environment it describes, and the copy lacks a row: one endpoint is never compared with itself",
    at: COMPARE_C1,
    expectedProblem: SAME_URL_REASON,
    arm: (ctx) => {
      copyLacksARow(ctx);
      return (account) => {
        const cfn = account.cloudformation;
        cfn.setOutput(ctx.tempStackName, 'StatisticsUrl', cfn.stackByName(SAMPLE_STACK)!.outputs.StatisticsUrl!);
        // Most applications' statistics do not name their environment: only the URLs can tell.
        for (const fn of cfn.functions.values()) delete fn.environment.STACK_ID;
      };
    },
  },
  {
    name: 'shared-statistics-backend',
    description:
      "the copy's statistics URL is its own but reaches the original's statistics function (its target group registers the original's), and the copy lacks a row: the document says which environment answered",
    at: COMPARE_C1,
    expectedProblem: 'answered for another environment',
    arm: (ctx) => {
      copyLacksARow(ctx);
      return (account) => {
        const cfn = account.cloudformation;
        const copyId = cfn.stackByName(ctx.tempStackName)!.stackId;
        const originalId = cfn.stackByName(SAMPLE_STACK)!.stackId;
        const original = [...cfn.functions.values()].find((f) => f.stackId === originalId && f.logicalId === 'StatisticsFunction')!;
        for (const tg of cfn.targetGroups.values()) if (tg.stackId === copyId && tg.targetType === 'lambda') tg.targets = [original.arn];
      };
    },
  },
];

export interface GuardAttackResult {
  name: string;
  description: string;
  held: boolean;
  /** Why it did not hold: broken invariants, a different outcome, the problem not named. */
  problems: string[];
  outcome: RunOutcome;
}

/** Runs one attack: the migration must fail with the expected survivor holding the data (the original back in service), and the problem named. */
export async function runGuardAttack(attack: GuardAttack): Promise<GuardAttackResult> {
  let fired = false;
  let tempStackName = '';
  const arm = (ctx: ArmContext) => {
    tempStackName = ctx.tempStackName;
    const change = attack.arm(ctx);
    const previous = taskHooks.beforeTask;
    taskHooks.beforeTask = async (s) => {
      await previous?.(s);
      if (fired || s.invocation !== 1 || keyOf(s.machine, s.executionName, s.state) !== attack.at) return;
      fired = true;
      // The change is someone else's, not the state's: its calls are not attributed to the state.
      await outsideState(() => change(ctx.account));
    };
  };
  const outcome = await runFaulted({ name: `guard attack ${attack.name}`, arm, ...(attack.timing ? { timing: attack.timing } : {}) });
  const survivor = attack.survivor === 'temp' ? tempStackName : SAMPLE_STACK;
  const problems = [...outcome.violations];
  if (!fired) problems.push(`the change was never made (${attack.at} was not reached)`);
  if (outcome.execution.status === 'SUCCEEDED') problems.push('the migration succeeded');
  if (outcome.report?.survivor !== survivor) problems.push(`the data is said to be in ${outcome.report?.survivor ?? 'no stack'}, not in ${survivor}`);
  const message = outcome.report?.notifications[0]?.message ?? '';
  if (!message.includes(attack.expectedProblem)) problems.push(`the notification does not say "${attack.expectedProblem}"`);
  // The invariants check the original's return to service by its stack ID; under its name here, so a
  // re-created original (a new ID around the same groups) is checked too.
  for (const r of survivor === SAMPLE_STACK ? outcome.account.cloudformation.resourcesOf(SAMPLE_STACK) : []) {
    if (r.type !== 'AWS::AutoScaling::AutoScalingGroup') continue;
    const g = outcome.account.autoscaling.group(r.physicalId);
    const out = g?.instances.filter((i) => i.state !== 'InService').length ?? 0;
    if (!g || out > 0 || g.suspendedProcesses.length > 0) problems.push(`${SAMPLE_STACK}'s group ${r.logicalId} is not back in service (${out} instances not InService, suspended: ${[...(g?.suspendedProcesses ?? [])].join(', ') || 'none'})`);
  }
  return { name: attack.name, description: attack.description, held: problems.length === 0, problems, outcome };
}

export async function runGuardAttacks(onResult?: (r: GuardAttackResult) => void): Promise<GuardAttackResult[]> {
  return runInOrder(GUARD_ATTACKS, runGuardAttack, onResult);
}
