/**
 * The CLI end to end against the local executor: `start --wait` (and `watch`, `status`) with their
 * Step Functions calls answered by the simulated account, which runs the synthesized Migrate and
 * Clone definitions with the real handlers. One test per exit code a pipeline gates on.
 */
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { terminal } from './terminal';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness } from '../../local/harness';
import { SAMPLE_STACK, TARGET_VERSION, TEMPLATE_KEYS, TEST_SIZE, seedSampleEnvironment, templateUrl } from '../../local/sample-environment';
import { tempStackNameOf } from '../../local/scenarios';

let harness: LocalHarness | undefined;
afterEach(() => {
  harness?.dispose();
  harness = undefined;
});

async function localAccount(): Promise<LocalHarness> {
  harness = await LocalHarness.create();
  seedSampleEnvironment(harness.account, TEST_SIZE);
  return harness;
}


const startCommand = (argv: string[], deps: Parameters<typeof runCli>[1]) => runCli(['start', ...argv], deps);
const statusCommand = (argv: string[], deps: Parameters<typeof runCli>[1]) => runCli(['status', ...argv], deps);
const watchCommand = (argv: string[], deps: Parameters<typeof runCli>[1]) => runCli(['watch', ...argv], deps);

const migrateArgs = (h: LocalHarness, name: string, extra: string[] = []) => [
  '--stack',
  SAMPLE_STACK,
  '--target-version',
  TARGET_VERSION,
  '--template-url',
  templateUrl(TEMPLATE_KEYS.target),
  '--state-machine-arn',
  h.deployment.migrate.arn,
  '--name',
  name,
  '--wait',
  '--json',
  ...extra,
];

describe('env-migrator start --wait, against the synthesized workflow run locally', () => {
  it('exits 0 after a successful migration, printing each state once, the Clone executions nested, and the output for chaining', async () => {
    const h = await localAccount();
    const t = terminal();
    const code = await runOnSimulatedClock(() => startCommand(migrateArgs(h, 'cli-happy', ['--parameter', 'InstanceType=t3.medium']), t.deps));

    expect(code).toBe(EXIT.SUCCEEDED);
    const result = t.json();
    expect(result).toMatchObject({ status: 'SUCCEEDED', survivor: SAMPLE_STACK, exitCode: 0 });
    expect(result.output).toMatchObject({ outcome: 'SUCCEEDED', stackName: SAMPLE_STACK, version: TARGET_VERSION, previousVersion: '1.3.0' });
    // The history is read incrementally: no state line is printed twice.
    expect(t.err.filter((l) => l.includes('● Migration started'))).toHaveLength(1);
    expect(t.err.filter((l) => /▶ Validate the input$/.test(l))).toHaveLength(1);
    // Both Clone executions were found through the parent's history and followed.
    expect(t.err.filter((l) => /│ ┌ Clone started/.test(l))).toHaveLength(2);
    expect(t.err.some((l) => /│ .*▶ Snapshot/.test(l))).toBe(true);
    expect(t.err).toContain(`data is in  ${SAMPLE_STACK}`);
    // Heartbeats read from the history: the snapshot's percent, the stack's newest events.
    expect(t.err.some((l) => /│   ⋯ waiting for snapshot .* to become available: .* of 2 h 00 min, \d+ %/.test(l))).toBe(true);
    expect(t.err.some((l) => /│   ⋯ waiting for stack .* to be created: .*, latest: \d\d:\d\d:\d\d \S+ [A-Z_]+/.test(l))).toBe(true);
    // The downtime, from the history's timestamps: standby to the second Clone's end, AWS work and ours adding up.
    const downtime = result.downtime as { seconds: number; until: string; measuredFrom: string; awsSeconds: number; overheadSeconds: number; path: { label: string }[] };
    expect(downtime).toMatchObject({ until: 'verified', measuredFrom: 'history' });
    expect(Math.abs(downtime.awsSeconds + downtime.overheadSeconds - downtime.seconds)).toBeLessThanOrEqual(1);
    expect(downtime.path.map((p) => p.label).join(' | ')).toMatch(/snapshot.*stack .* to be created.*stack orders-prod to be deleted.*stack orders-prod to be created/);
    expect(t.err.some((l) => /^downtime {12}\d+ h \d\d min \d\d s \(standby → new environment verified; from the execution history\)$/.test(l))).toBe(true);
    expect(result).toMatchObject({ outcome: 'SUCCEEDED', error: null, executionArn: expect.stringContaining(':execution:') });

    // status: one DescribeExecution, same verdict.
    const s = terminal();
    expect(await statusCommand([String(result.executionArn), '--json'], s.deps)).toBe(EXIT.SUCCEEDED);
    expect(s.json()).toMatchObject({ outcome: 'SUCCEEDED', status: 'SUCCEEDED', survivor: SAMPLE_STACK, output: { stackName: SAMPLE_STACK } });
  });

  it('exits 1 when the new environment differs, naming the error, the statistics that differ and the temporary stack that keeps the data', async () => {
    const h = await localAccount();
    h.account.faults.silent.restoreDropsRows = { rows: 2, onlyInstancesOfStack: SAMPLE_STACK };
    const t = terminal();
    const code = await runOnSimulatedClock(() => startCommand(migrateArgs(h, 'cli-mismatch'), t.deps));

    expect(code).toBe(EXIT.FAILED);
    const result = t.json();
    const temp = tempStackNameOf(SAMPLE_STACK, String(result.executionArn));
    expect(result).toMatchObject({ status: 'FAILED', error: { name: 'StatisticsMismatch' }, outcome: 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH', survivor: temp, exitCode: 1 });
    expect(t.err).toContain(`data is in  ${temp}`);
    expect(t.err.find((l) => l.startsWith('cause'))).toMatch(/customers\.count 20 → 18/);
    // The second Clone succeeded with a MISMATCH: nothing was verified, the downtime runs to the end.
    expect(result.downtime).toMatchObject({ until: 'ended', to: String(result.stopDate) });
  });

  it('exits 3 without any AWS call when the input is bad, naming every bad field', async () => {
    const h = await localAccount();
    const t = terminal();
    const code = await startCommand(['--stack', 'orders prod', '--target-version', '', '--parameter', 'Bad Key=1', '--state-machine-arn', h.deployment.migrate.arn, '--json'], t.deps);

    expect(code).toBe(EXIT.INPUT_REJECTED);
    expect(t.err).toEqual(
      expect.arrayContaining([expect.stringMatching(/^ {2}stackName: /), expect.stringMatching(/^ {2}targetVersion: /), expect.stringMatching(/^ {2}parameters\.Bad Key: /)]),
    );
    expect(t.json()).toMatchObject({ outcome: 'REJECTED_INPUT', status: 'NOT_STARTED', error: { name: 'InputInvalid' }, exitCode: 3 });
    expect(h.account.calls).toEqual([]);
  });

  it('watch exits 3 when the execution itself rejects the input (InputInvalid), saying nothing was touched', async () => {
    const h = await localAccount();
    const t = terminal();
    const code = await runOnSimulatedClock(async () => {
      // Started from the console or another tool, without the CLI's own check.
      const arn = await h.startMigration({ stackName: SAMPLE_STACK, targetVersion: TARGET_VERSION, retainOriginalSnapshot: true }, 'console-typo');
      return watchCommand([arn, '--json'], t.deps);
    });

    expect(code).toBe(EXIT.INPUT_REJECTED);
    expect(t.json()).toMatchObject({ status: 'FAILED', error: { name: 'InputInvalid' }, outcome: 'REJECTED_INPUT', survivor: null, exitCode: 3 });
    expect(t.err.find((l) => l.startsWith('cause'))).toMatch(/retainOriginalSnapshot: unknown field/);
  });

  it('exits 5 when someone stops the execution, and the stopped execution does not go on', async () => {
    const h = await localAccount();
    const sfn = new SFNClient({});
    let executionArn = '';
    let stopped = false;
    const t = terminal({ onLine: (line) => {
      if (line.startsWith('Started ')) executionArn = line.slice('Started '.length);
      // An operator pressing Stop while the instances go into standby.
      if (!stopped && line.includes('Put the instances in standby')) {
        stopped = true;
        void sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'wrong maintenance window' }));
      }
    } });
    const code = await runOnSimulatedClock(() => startCommand(migrateArgs(h, 'cli-abort'), t.deps));

    expect(code).toBe(EXIT.ABORTED);
    expect(t.json()).toMatchObject({ outcome: 'ABORTED', status: 'ABORTED', error: { name: 'Operator', cause: 'wrong maintenance window' }, exitCode: 5 });
    expect(h.execution(executionArn).history.at(-1)?.type).toBe('ExecutionAborted');
    expect(h.account.countCalls('SFN', 'StartExecution')).toBe(1); // no Clone was started after the stop
  });

  it('exits 4 when the execution times out (a state machine with a 60 s TimeoutSeconds, run by the same local executor)', async () => {
    const h = await localAccount();
    const machine = {
      logicalId: 'Slow',
      name: 'Slow',
      arn: h.deployment.migrate.arn.replace(/stateMachine:.*$/, 'stateMachine:Slow'),
      definition: JSON.stringify({ StartAt: 'Wait an hour', TimeoutSeconds: 60, States: { 'Wait an hour': { Type: 'Wait', Seconds: 3600, End: true } } }),
    };
    h.account.sfn.registerStateMachine(machine.arn, machine.name, machine.definition, (e) => h.workflow.run(machine, e));
    const t = terminal();
    const args = migrateArgs(h, 'cli-timeout').map((a) => (a === h.deployment.migrate.arn ? machine.arn : a));
    const code = await runOnSimulatedClock(() => startCommand(args, t.deps));

    expect(code).toBe(EXIT.TIMED_OUT);
    expect(t.json()).toMatchObject({ outcome: 'TIMED_OUT', status: 'TIMED_OUT', error: { name: 'States.Timeout' }, exitCode: 4 });
    expect(t.err).toContain('● Migration timed out');
  });

  it('rehearse --json prints each state as a JSON line on stdout and the result last, with no downtime when refused before the standby, and the plan run first refuses it too', async () => {
    const t = terminal();
    expect(await runCli(['rehearse', '--scenario', 'termination-protected', '--json'], t.deps)).toBe(EXIT.FAILED);
    const result = t.json();
    expect(result).toMatchObject({ outcome: 'FAILED', error: { name: 'PreflightFailed' } });
    expect(result).not.toHaveProperty('downtime');
    const events = t.events();
    expect(events[0]).toMatchObject({ event: 'state', type: 'ExecutionStarted', machine: 'Migrate', sinceStartSeconds: 0 });
    expect(events).toContainEqual(expect.objectContaining({ event: 'state', type: 'StateEntered', state: 'Discover the environment', stateType: 'Task' }));
    expect(events.at(-1)).toMatchObject({ event: 'state', type: 'ExecutionFailed', error: 'PreflightFailed' });
    expect(t.err).toContain('downtime            none: the instances never entered standby');
    // The plan, run first on the same account, refused what the migration then refused.
    expect(result).toMatchObject({ plan: { verdict: 'REFUSED' } });
    expect(t.err).toContain('plan (run first)    REFUSED: the migration would not have been started');
  });
});
