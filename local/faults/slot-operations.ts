/**
 * Faults in blue/green's slot operations (issue 11): Retire and Rollback, each run on the state a
 * successful migration A → B leaves (local/blue-green-fixture.ts: the real steps and the real Clone
 * machine), with the cell's fault armed after that set-up, then held to the blue/green invariants
 * (local/invariants-blue-green.ts): the slot the record points at is never deleted, the previous slot
 * only after its retention and while the record points elsewhere, a rollback never silently discards
 * writes, one notification per run and no lock of its own left.
 *
 * The runner has runFaulted's shape, so the fault matrix (local/faults/matrix.ts) runs its routes and
 * cells through it unchanged.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RollbackInputRaw } from '../../lambdas/shared/contracts';
import { entryPointLockKey, executionArnOf, runIdOf } from '../../lambdas/shared/naming';
import { slotRunFacts, switchedEnvironment } from '../blue-green-fixture';
import { runOnSimulatedClock } from '../clock';
import { LocalHarness, RETIRE_SCHEDULE_GROUP } from '../harness';
import { checkRetireInvariants, checkRollbackInvariants } from '../invariants-blue-green';
import { seededRandom } from '../sim/ids';
import type { MatrixOptions, Route } from './matrix';
import { type ArmContext, FAULT_WAITS, LIGHT_TIMING, type RunFacts, type RunOutcome, type RunSpec, type StateKey, TINY_SIZE, keyOf, limitCopyConcurrency, recordCallingStates } from './runner';
import { taskHooks } from './state-context';

export type SlotOperation = { operation: 'retire' } | { operation: 'rollback'; acceptDiscardingWrites?: boolean };

const EXECUTION_NAME = 'fault-slot-run';
/** How long a run may take in simulated time before it is declared stuck. */
const SIMULATED_LIMIT_MS = 5 * 24 * 3600 * 1000;

/**
 * A runner for `op`: sets up the switched environment, arms `spec`, runs the operation (a retire
 * started by hand a minute after the retention, its schedule removed first, as an operator would; a
 * rollback at once, with the fault runs' waits) and checks the invariants. Never throws for what the
 * workflow does.
 */
export function slotOperationRunner(op: SlotOperation): (spec: RunSpec) => Promise<RunOutcome> {
  return async (spec) => {
    limitCopyConcurrency();
    const started = Date.now();
    const visited = new Set<StateKey>();
    const calledFrom = new Set<StateKey>();
    let armed = false;
    const harness = await LocalHarness.create({
      timing: spec.timing ?? LIGHT_TIMING,
      onEvent: (e) => {
        if (armed && e.type === 'StateEntered' && e.stateType === 'Task' && e.stateName) visited.add(keyOf(e.machine, e.executionName, e.stateName));
      },
    });
    const { account, deployment } = harness;
    const random = Math.random;
    Math.random = seededRandom(1);
    try {
      const env = await runOnSimulatedClock(() => switchedEnvironment(harness, { size: TINY_SIZE }), account.now());
      armed = true;
      const machine = op.operation === 'retire' ? deployment.retire : deployment.rollback;
      const executionArn = executionArnOf(machine.arn, EXECUTION_NAME);
      const ctx: ArmContext = {
        account,
        harness,
        executionArn,
        runId: runIdOf(executionArn),
        tempStackName: env.switchRecord.live.stackName,
        lockTable: deployment.lockTableName,
        blueGreen: { entryPoint: env.entryPoint, slots: env.slots, workflowBucket: deployment.workflowBucketName },
      };
      recordCallingStates(account, calledFrom);
      const notificationsBefore = account.sns.messages(deployment.topicArn).length;
      let startAt = account.now();
      if (op.operation === 'retire') {
        await account.dispatch('Scheduler', 'DeleteSchedule', { Name: env.scheduleName, GroupName: RETIRE_SCHEDULE_GROUP }).catch(() => undefined);
        startAt = Math.max(startAt, Date.parse(env.switchRecord.retireAt) + 60_000);
      }
      spec.arm?.(ctx);
      const input = op.operation === 'retire' ? env.retireInput : ({ entryPoint: env.entryPoint, slots: env.slots, acceptDiscardingWrites: op.acceptDiscardingWrites ?? false, waits: FAULT_WAITS } satisfies RollbackInputRaw);
      const { execution, seconds } = await runOnSimulatedClock(async (clock) => {
        const out = await new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: machine.arn, name: EXECUTION_NAME, input: JSON.stringify(spec.input ?? input) }));
        const e = account.sfn.executions.get(out.executionArn!)!;
        const limit = new Promise<'stuck'>((resolve) => {
          const timer = setTimeout(() => resolve('stuck'), SIMULATED_LIMIT_MS);
          e.done.finally(() => clearTimeout(timer)).catch(() => undefined);
        });
        if ((await Promise.race([e.done, limit])) === 'stuck') throw new Error(`${spec.name}: still running after ${SIMULATED_LIMIT_MS / 86_400_000} simulated days`);
        return { execution: e, seconds: Math.round(clock.elapsedMs() / 1000) };
      }, startAt);

      const facts: RunFacts = typeof spec.facts === 'function' ? spec.facts() : (spec.facts ?? {});
      const common = { ...slotRunFacts(harness, env, execution, notificationsBefore), ...facts };
      const violations: string[] = [];
      try {
        const report =
          op.operation === 'retire'
            ? checkRetireInvariants(account, common)
            : await checkRollbackInvariants(account, { ...common, bucket: deployment.workflowBucketName, acceptDiscardingWrites: op.acceptDiscardingWrites ?? false });
        violations.push(...report.violations);
      } catch (err) {
        violations.push(`the invariants could not be checked: ${err instanceof Error ? err.message : String(err)}`);
      }
      return { name: spec.name, execution, report: undefined, violations, visited, calledFrom, account, simulatedSeconds: seconds, realMs: Date.now() - started };
    } finally {
      taskHooks.beforeTask = undefined;
      Math.random = random;
      harness.dispose();
    }
  };
}

const retire = slotOperationRunner({ operation: 'retire' });
const rollback = slotOperationRunner({ operation: 'rollback' });
const rollbackDiscarding = slotOperationRunner({ operation: 'rollback', acceptDiscardingWrites: true });

/** A new order written to the live slot after the switch (its statistics then differ from those at the switch). */
function writeToLiveSlot(ctx: ArmContext): void {
  const live = ctx.tempStackName;
  const uploads = ctx.account.cloudformation.resourcesOf(live).find((r) => r.logicalId === 'UploadsBucket')?.physicalId;
  if (!uploads) throw new Error(`${live} has no UploadsBucket`);
  ctx.account.s3.putObjectDirect(uploads, 'uploads/after-the-switch/order-1001.json', { body: '{"order":1001}\n', contentType: 'application/json' });
}

/**
 * Lock `which` (0: the entry point's, then the slots in the order the machine takes them) held by
 * another execution, a migration of the same environment: the run refuses at that lock.
 */
function lockedBy(which: number, slotsInOrder: (ctx: ArmContext) => string[]): (ctx: ArmContext) => void {
  return (ctx) => {
    const bg = ctx.blueGreen!;
    const key = [entryPointLockKey(bg.entryPoint), ...slotsInOrder(ctx)][which]!;
    ctx.account.dynamodb.putItemDirect(ctx.lockTable, {
      stackName: { S: key },
      owner: { S: executionArnOf(ctx.harness.deployment.migrate.arn, 'another-migration') },
      startedAt: { S: new Date(ctx.account.now()).toISOString() },
      expiresAt: { N: String(Math.floor(ctx.account.now() / 1000) + 3 * 86_400) },
    });
  };
}
/** Retire locks the previous slot; Rollback both, the previous (now live before the rollback: the switch's `slots` order). */
const previousSlot = (ctx: ArmContext) => [ctx.blueGreen!.slots.find((s) => s !== ctx.tempStackName)!];
const bothSlots = (ctx: ArmContext) => [...ctx.blueGreen!.slots];

/** Retire's routes, in order of preference. */
export const RETIRE_ROUTES: Route[] = [
  { name: 'retire-after-retention', description: 'started after the retention, the record at the live slot: the previous slot deleted', spec: {}, runner: retire },
  { name: 'retire-record-locked', description: "a migration holds the entry point's lock: refused, nothing deleted", spec: {}, arm: lockedBy(0, previousSlot), runner: retire },
  { name: 'retire-slot-locked', description: "a migration holds the previous slot's lock: refused, nothing deleted, the record's lock released", spec: {}, arm: lockedBy(1, previousSlot), runner: retire },
];

/** Rollback's routes, in order of preference. */
export const ROLLBACK_ROUTES: Route[] = [
  { name: 'rollback-no-writes', description: 'nothing written since the switch: the record switched back, the previous slot in service, the new one in standby', spec: {}, runner: rollback },
  { name: 'rollback-after-writes', description: 'an order written to the live slot since the switch: refused, nothing changed', spec: {}, arm: writeToLiveSlot, runner: rollback },
  { name: 'rollback-discarding-writes', description: 'an order written since the switch, discarding accepted: switched back, the notification names the writes', spec: {}, arm: writeToLiveSlot, runner: rollbackDiscarding },
  ...[0, 1, 2].map(
    (which): Route => ({
      name: `rollback-lock-${which + 1}-held`,
      description: `a migration holds lock ${which + 1} of 3 (the entry point's, then each slot's): refused, nothing changed, the locks taken before released`,
      spec: {},
      arm: lockedBy(which, bothSlots),
      runner: rollback,
    }),
  ),
];

/** The matrices of the slot operations: every Task state of Retire, then of Rollback, on their routes. */
export const SLOT_OPERATION_MATRICES: { machine: 'Retire' | 'Rollback'; options: MatrixOptions }[] = [
  { machine: 'Retire', options: { machines: ['Retire'], routes: RETIRE_ROUTES } },
  { machine: 'Rollback', options: { machines: ['Rollback'], routes: ROLLBACK_ROUTES } },
];
