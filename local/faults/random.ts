/**
 * Randomized fault schedules (issue 3, item 8): fast-check draws several faults per migration, each
 * at a random AWS call of the workflow (or a random Lambda invocation, for a crash), sometimes with
 * one silent data loss on top, and every invariant must hold on the final state. A failure reports
 * the seed, the shrunk schedule as JSON and the broken invariants; `runSchedule(schedule)` replays it.
 */
import fc from 'fast-check';
import { STEP_NAMES } from '../../lambdas/steps';
import { SAMPLE_STACK, SPECIAL_KEYS } from '../sample-environment';
import { ZERO_TIMING } from '../sim/core';
import { type ArmContext, type RunFacts, type RunOutcome, currentKey, isRunning, isStandbyExit, runFaulted, silentWhileRunning } from './runner';

/** The seed CI and `npm run faults` use (the tests split their schedules between it and the next one). */
export const DEFAULT_SEED = 20_261_127;

export const SCHEDULED_FAULT_KINDS = ['error', 'throttle', 'after', 'denied', 'crash'] as const;
export type ScheduledFaultKind = (typeof SCHEDULED_FAULT_KINDS)[number];

export const SILENT_LOSSES = ['none', 'restore-temp', 'restore-new', 'skip-c1', 'skip-c2', 'stale-c1', 'stale-c2'] as const;
export type SilentLoss = (typeof SILENT_LOSSES)[number];

export interface ScheduledFault {
  /**
   * error: 500 (the SDK retries it); throttle: the service's throttling error; after: the call takes
   * effect and its answer is lost (500); denied: access denied (never retried); crash: the Lambda
   * invocation dies after its calls took effect.
   */
  kind: ScheduledFaultKind;
  /** Index of the workflow's AWS call (or Lambda invocation, for a crash) the fault starts at. */
  at: number;
  /** How many consecutive calls (invocations) it hits. */
  times: number;
}

export interface Schedule {
  faults: ScheduledFault[];
  silent: SilentLoss;
}

/** About as many AWS calls as a migration of the tiny environment makes; crashes pick among its ~60 invocations. */
const MAX_CALL_INDEX = 170;
const MAX_INVOCATION_INDEX = 70;

export const scheduleArbitrary: fc.Arbitrary<Schedule> = fc.record({
  faults: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constantFrom<ScheduledFaultKind>('error', 'throttle', 'after', 'denied'), at: fc.nat({ max: MAX_CALL_INDEX }), times: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant<ScheduledFaultKind>('crash'), at: fc.nat({ max: MAX_INVOCATION_INDEX }), times: fc.integer({ min: 1, max: 2 }) }),
    ),
    { minLength: 1, maxLength: 4 },
  ),
  silent: fc.oneof({ weight: 5, arbitrary: fc.constant<SilentLoss>('none') }, { weight: 1, arbitrary: fc.constantFrom(...SILENT_LOSSES.filter((s) => s !== 'none')) }),
});

const ERRORS: Record<'error' | 'after' | 'denied', { code: string; message: string; httpStatusCode: number }> = {
  error: { code: 'InternalError', message: 'We encountered an internal error (simulated fault)', httpStatusCode: 500 },
  after: { code: 'InternalError', message: 'connection reset after the request was processed (simulated fault)', httpStatusCode: 500 },
  denied: { code: 'AccessDenied', message: 'User is not authorized to perform this operation (simulated fault)', httpStatusCode: 403 },
};

function armSilent(ctx: ArmContext, silent: SilentLoss): void {
  const { account, tempStackName } = ctx;
  switch (silent) {
    case 'restore-temp':
      account.faults.silent.restoreDropsRows = { rows: 1, onlyInstancesOfStack: tempStackName };
      break;
    case 'restore-new':
      account.faults.silent.restoreDropsRows = { rows: 1, onlyInstancesOfStack: SAMPLE_STACK };
      break;
    case 'skip-c1':
    case 'skip-c2': {
      const key = `Clone ${silent.slice(-2)}: Copy objects`;
      account.faults.silent.copySkipsKey = (k) => k === SPECIAL_KEYS[0] && isRunning(key);
      break;
    }
    case 'stale-c1':
    case 'stale-c2': {
      silentWhileRunning(account, 'staleStatisticsForStack', [`Clone ${silent.slice(-2)}: Compare the statistics`], silent === 'stale-c1' ? tempStackName : SAMPLE_STACK);
      break;
    }
    case 'none':
      break;
  }
}

/** Runs one migration under `schedule` (with `blueGreen`, the sample's blue/green migration) and checks the invariants. */
export async function runSchedule(schedule: Schedule, name = 'schedule', options: { blueGreen?: boolean } = {}): Promise<RunOutcome> {
  const facts: RunFacts = {};
  return runFaulted({
    name,
    blueGreen: options.blueGreen,
    timing: ZERO_TIMING,
    facts: () => facts,
    arm: (ctx) => {
      const { account, harness } = ctx;
      // Counts the workflow's own calls (those made from a Task state); checked before the faults below.
      let call = -1;
      account.faults.add({ kind: 'error', match: () => (currentKey() ? (call++, false) : false) });
      for (const f of schedule.faults) {
        if (f.kind === 'crash') {
          let invocation = -1;
          const hit = () => {
            invocation++;
            const fires = invocation >= f.at && invocation < f.at + f.times;
            if (fires && isStandbyExit(currentKey() ?? '')) facts.standbyExitMayFail = true;
            return fires;
          };
          for (const step of STEP_NAMES) harness.invoker.addFault({ step, when: hit, times: Number.POSITIVE_INFINITY });
          continue;
        }
        account.faults.add({
          kind: f.kind === 'throttle' ? 'throttle' : f.kind === 'after' ? 'after' : 'error',
          error: f.kind === 'throttle' ? undefined : ERRORS[f.kind],
          times: Number.POSITIVE_INFINITY,
          match: () => {
            if (!currentKey() || call < f.at || call >= f.at + f.times) return false;
            if (isStandbyExit(currentKey() ?? '')) facts.standbyExitMayFail = true;
            // The notification itself hit: a lost answer repeats it, a refusal may lose it.
            if (currentKey() === 'Migrate: Publish the notification') {
              if (f.kind === 'after') facts.notificationsMayRepeat = true;
              else facts.publishMayFail = true;
            }
            return true;
          },
        });
      }
      armSilent(ctx, schedule.silent);
    },
  });
}

export interface RandomOptions {
  seed: number;
  runs: number;
  /** Strategy blue-green: every schedule faults the sample's blue/green migration (the switch, the switch back...). */
  blueGreen?: boolean;
  /** Called after each schedule (progress). */
  onRun?: (outcome: RunOutcome, schedule: Schedule) => void;
}

export interface RandomResult {
  seed: number;
  runs: number;
  passed: number;
  /** Present when a schedule broke an invariant: the seed, fast-check's path and the shrunk schedule. */
  failure?: { seed: number; path?: string; schedule: Schedule; violations: string[]; message: string };
}

/**
 * Runs `runs` random schedules from `seed`. Stops at the first schedule that breaks an invariant,
 * shrinks it to the smallest schedule that still does, and reports it.
 */
export async function runRandomSchedules(options: RandomOptions): Promise<RandomResult> {
  let passed = 0;
  let lastViolations: string[] = [];
  const property = fc.asyncProperty(scheduleArbitrary, async (schedule) => {
    const outcome = await runSchedule(schedule, 'schedule', { blueGreen: options.blueGreen });
    options.onRun?.(outcome, schedule);
    lastViolations = outcome.violations;
    if (outcome.violations.length > 0) return false;
    passed++;
    return true;
  });
  const details = await fc.check(property, { seed: options.seed, numRuns: options.runs, endOnFailure: false });
  if (!details.failed || !details.counterexample) return { seed: options.seed, runs: details.numRuns, passed: details.numRuns };
  const [schedule] = details.counterexample;
  // The last run of the property was the shrunk counterexample: its violations are the ones to report.
  const replay = await runSchedule(schedule, 'schedule', { blueGreen: options.blueGreen });
  lastViolations = replay.violations.length ? replay.violations : lastViolations;
  const message = [
    `A fault schedule broke an invariant (seed ${options.seed}, path ${details.counterexamplePath ?? '?'}, after ${details.numRuns} runs, shrunk ${details.numShrinks} times).`,
    `Shrunk schedule: ${JSON.stringify(schedule)}`,
    `Broken: ${lastViolations.join('; ')}`,
    `Replay it: await runSchedule(${JSON.stringify(schedule)}${options.blueGreen ? ", 'replay', { blueGreen: true }" : ''}) (local/faults/random.ts)`,
  ].join('\n');
  return {
    seed: options.seed,
    runs: details.numRuns,
    passed: Math.min(passed, details.numRuns - 1),
    failure: { seed: options.seed, path: details.counterexamplePath ?? undefined, schedule, violations: lastViolations, message },
  };
}
