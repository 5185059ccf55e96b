/**
 * The CLI's own logic with the AWS SDK mocked: where the state machine ARN comes from, how the input
 * is built and checked, how a watcher pages the history, and how every status maps to an exit code
 * (TIMED_OUT included, which the synthesized Migrate reaches only after 48 hours).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { terminal } from './terminal';
import { STATE_MACHINE_ARN_ENV, defaultExecutionName } from '../../cli/start';

const sfnMock = mockClient(SFNClient);
/** A terminal whose clients are in the region of this file's ARNs. */
const terminalAt = (env: Record<string, string | undefined> = {}) =>
  terminal({ env, deps: { sfn: new SFNClient({ region: 'eu-west-1' }), cloudformation: new CloudFormationClient({ region: 'eu-west-1' }) } });
const cfnMock = mockClient(CloudFormationClient);
beforeEach(() => {
  sfnMock.reset();
  cfnMock.reset();
});

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Migrate';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1';


const statusCommand = (argv: string[], deps: Parameters<typeof runCli>[1]) => runCli(['status', ...argv], deps);
const watchCommand = (argv: string[], deps: Parameters<typeof runCli>[1]) => runCli(['watch', ...argv], deps);
const startCommand = (argv: string[], deps: Parameters<typeof runCli>[1]) => runCli(['start', ...argv], deps);

const startedInput = () => JSON.parse(String(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input)) as Record<string, unknown>;

describe('exit codes', () => {
  it('give each way an execution ends its own code, InputInvalid apart from other failures', () => {
    expect(exitCodeFor('SUCCEEDED')).toBe(0);
    expect(exitCodeFor('FAILED', 'StatisticsMismatch')).toBe(EXIT.FAILED);
    expect(exitCodeFor('FAILED', 'InputInvalid')).toBe(EXIT.INPUT_REJECTED);
    expect(exitCodeFor('TIMED_OUT', 'States.Timeout')).toBe(EXIT.TIMED_OUT);
    expect(exitCodeFor('ABORTED')).toBe(EXIT.ABORTED);
    expect(exitCodeFor('RUNNING')).toBe(EXIT.RUNNING);
    expect(new Set(Object.values(EXIT)).size).toBe(Object.keys(EXIT).length);
  });
});

describe('env-migrator status', () => {
  it('exits 4 for a timed-out execution and prints its error', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status: 'TIMED_OUT', error: 'States.Timeout', startDate: new Date(0), stopDate: new Date(1000) });
    const t = terminalAt();
    expect(await statusCommand([EXECUTION, '--json'], t.deps)).toBe(EXIT.TIMED_OUT);
    expect(t.json()).toMatchObject({ outcome: 'TIMED_OUT', executionArn: EXECUTION, status: 'TIMED_OUT', error: { name: 'States.Timeout', cause: '' }, exitCode: 4, survivor: null });
  });

  it('exits 8 while the execution runs, and 6 when DescribeExecution fails', async () => {
    sfnMock.on(DescribeExecutionCommand).resolvesOnce({ executionArn: EXECUTION, status: 'RUNNING' }).rejectsOnce(Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist', $metadata: {} }));
    expect(await statusCommand([EXECUTION], terminalAt().deps)).toBe(EXIT.RUNNING);
    const t = terminalAt();
    expect(await statusCommand([EXECUTION, '--json'], t.deps)).toBe(EXIT.AWS_ERROR);
    expect(t.err[0]).toContain('ExecutionDoesNotExist');
    expect(t.json()).toMatchObject({ outcome: 'AWS_ERROR', status: 'UNKNOWN', error: { name: 'ExecutionDoesNotExist', cause: 'no such execution' }, exitCode: 6 });
  });

  it('exits 2 without an execution ARN or with an unknown option', async () => {
    expect(await statusCommand([], terminalAt().deps)).toBe(EXIT.USAGE);
    expect(await statusCommand([EXECUTION, '--colour'], terminalAt().deps)).toBe(EXIT.USAGE);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe('env-migrator watch', () => {
  it('exits 4 when the execution times out, printing its states on stderr, and under --json each event as a JSON line on stdout before the result', async () => {
    const events: HistoryEvent[] = [
      { id: 1, type: 'ExecutionStarted', timestamp: new Date(0) },
      { id: 2, type: 'TaskStateEntered', timestamp: new Date(1000), stateEnteredEventDetails: { name: 'Validate the input' } },
      { id: 3, type: 'ExecutionTimedOut', timestamp: new Date(2000) },
    ];
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status: 'TIMED_OUT', error: 'States.Timeout' });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [...events].reverse() });
    const t = terminalAt();
    expect(await watchCommand([EXECUTION, '--json'], t.deps)).toBe(EXIT.TIMED_OUT);
    expect(t.err).toContain('[+00:00:01] ▶ Validate the input');
    expect(t.err).toContain('● Migration timed out');
    expect(t.json()).toMatchObject({ outcome: 'TIMED_OUT', exitCode: 4 });
    expect(t.events()).toEqual([
      expect.objectContaining({ event: 'state', type: 'ExecutionStarted', machine: 'Migrate', sinceStartSeconds: 0 }),
      expect.objectContaining({ event: 'state', type: 'StateEntered', state: 'Validate the input', stateType: 'Task', sinceStartSeconds: 1 }),
    ]);
  });

  it("shows a failed Clone task by the Clone's own error and cause, not States.TaskFailed, in its line and in the summary", async () => {
    const child = JSON.stringify({
      ExecutionArn: 'arn:aws:states:eu-west-1:123456789012:execution:Clone20871BCF-x1Y2z3:1a2b3c4d-c1',
      Status: 'FAILED',
      Error: 'CopyFailed',
      Cause: JSON.stringify({ errorType: 'CopyFailed', errorMessage: 'AccessDenied copying uploads/a.bin', trace: [] }),
    });
    const events: HistoryEvent[] = [
      { id: 1, type: 'ExecutionStarted', timestamp: new Date(0) },
      { id: 2, type: 'TaskStateEntered', timestamp: new Date(1000), stateEnteredEventDetails: { name: 'Clone the environment to a temporary stack' } },
      { id: 3, type: 'TaskFailed', timestamp: new Date(2000), taskFailedEventDetails: { resourceType: 'states', resource: 'startExecution.sync:2', error: 'States.TaskFailed', cause: child } },
      { id: 4, type: 'ExecutionFailed', timestamp: new Date(3000), executionFailedEventDetails: { error: 'States.TaskFailed', cause: child } },
    ];
    // As DescribeExecution reports an execution whose notification could not be composed.
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status: 'FAILED', error: 'States.TaskFailed', cause: child });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [...events].reverse() });
    const t = terminalAt();
    expect(await watchCommand([EXECUTION, '--json'], t.deps)).toBe(EXIT.FAILED);
    const found = 'AccessDenied copying uploads/a.bin (in the Clone execution 1a2b3c4d-c1)';
    expect(t.err).toContain(`[+00:00:02]   ✗ Clone the environment to a temporary stack: CopyFailed ${found}`);
    expect(t.json()).toMatchObject({ status: 'FAILED', error: { name: 'CopyFailed', cause: found } });
    expect([...t.out, ...t.err].join('\n')).not.toContain('States.TaskFailed');
  });

  it('reads the history newest first and stops paging at the first event it has already printed', async () => {
    const history: HistoryEvent[] = Array.from({ length: 250 }, (_, i) => ({
      id: i + 1,
      type: i === 0 ? 'ExecutionStarted' : 'PassStateEntered',
      timestamp: new Date(i * 1000),
      stateEnteredEventDetails: i === 0 ? undefined : { name: `State ${i + 1}` },
    }));
    let visible = 120;
    // Pages of 100, newest first, over what exists at the time of the call.
    sfnMock.on(GetExecutionHistoryCommand).callsFake((input: { nextToken?: string; reverseOrder?: boolean; maxResults?: number }) => {
      expect(input.reverseOrder).toBe(true);
      const newestFirst = history.slice(0, visible).reverse();
      const start = Number(input.nextToken ?? 0);
      const size = input.maxResults ?? 1000;
      return { events: newestFirst.slice(start, start + size), nextToken: start + size < newestFirst.length ? String(start + size) : undefined };
    });
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: EXECUTION, status: 'RUNNING' })
      .callsFake(() => {
        visible = 250;
        return { executionArn: EXECUTION, status: 'SUCCEEDED', output: '{}' };
      });
    const t = terminalAt();
    expect(await watchCommand([EXECUTION, '--interval', '1'], t.deps)).toBe(EXIT.SUCCEEDED);
    // First round: 120 events in 2 pages. Second: 130 new ones in 2 pages, the second reaching event 120.
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)).toHaveLength(4);
    // Pass states are folded by the printer; every event was delivered exactly once, in order.
    expect(t.out.filter((l) => l.includes('Migration started'))).toHaveLength(1);
  });
});

describe('env-migrator start', () => {
  it('takes the state machine ARN from --state-machine-arn, then the environment variable, then the migrator stack output', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    cfnMock.on(DescribeStacksCommand, { StackName: 'OpsMigrator' }).resolves({
      Stacks: [{ StackName: 'OpsMigrator', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'MigrateStateMachineArn', OutputValue: `${MACHINE}-from-stack` }] }],
    });
    const base = ['--stack', 'orders-prod', '--target-version', '1.4.0'];
    expect(await startCommand([...base, '--state-machine-arn', MACHINE], terminalAt({ [STATE_MACHINE_ARN_ENV]: `${MACHINE}-env` }).deps)).toBe(0);
    expect(await startCommand(base, terminalAt({ [STATE_MACHINE_ARN_ENV]: `${MACHINE}-env` }).deps)).toBe(0);
    expect(await startCommand([...base, '--migrator-stack', 'OpsMigrator'], terminalAt().deps)).toBe(0);
    expect(sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.stateMachineArn)).toEqual([MACHINE, `${MACHINE}-env`, `${MACHINE}-from-stack`]);
  });

  it('exits 6 when the migrator stack has no state machine output, or StartExecution is refused', async () => {
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'EnvMigrator', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [] }] });
    const t = terminalAt();
    expect(await startCommand(['--stack', 'orders-prod', '--target-version', '1.4.0', '--json'], t.deps)).toBe(EXIT.AWS_ERROR);
    expect(t.err[0]).toMatch(/EnvMigrator has no output MigrateStateMachineArn/);
    expect(t.json()).toMatchObject({ outcome: 'AWS_ERROR', status: 'NOT_STARTED', exitCode: 6, executionArn: null });

    sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists', $metadata: {} }));
    const again = terminalAt();
    expect(await startCommand(['--stack', 'orders-prod', '--target-version', '1.4.0', '--state-machine-arn', MACHINE, '--name', 'x'], again.deps)).toBe(EXIT.AWS_ERROR);
    expect(again.err[0]).toContain('ExecutionAlreadyExists');
  });

  it('lays the flags over the --input file and sends what the user wrote, defaults left to the workflow', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
    const dir = mkdtempSync(join(tmpdir(), 'env-migrator-cli-'));
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify({ stackName: 'orders-staging', targetVersion: '1.3.9', parameters: { InstanceType: 't3.small', KeyName: 'ops' }, retainOriginalSnapshots: true }));
    const t = terminalAt();
    const code = await startCommand(['--input', file, '--stack', 'orders-prod', '--target-version', '1.4.0', '--parameter', 'InstanceType=t3.medium', '--state-machine-arn', MACHINE, '--json'], t.deps);
    expect(code).toBe(0);
    expect(startedInput()).toEqual({ stackName: 'orders-prod', targetVersion: '1.4.0', parameters: { InstanceType: 't3.medium', KeyName: 'ops' }, retainOriginalSnapshots: true });
    expect(t.json()).toMatchObject({ outcome: 'STARTED', executionArn: EXECUTION, status: 'RUNNING', exitCode: 0, error: null });
    expect(t.err[0]).toBe(`Started ${EXECUTION}`);
  });

  it('exits 3 naming every bad field of the input file before any AWS call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-migrator-cli-'));
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify({ stackName: 'orders-prod', targetVersion: '1.4.0', templateUrl: 'http://example.com/t.yaml', waits: { snapshotSeconds: 0 }, retain: true }));
    const t = terminalAt();
    expect(await startCommand(['--input', file, '--state-machine-arn', MACHINE], t.deps)).toBe(EXIT.INPUT_REJECTED);
    expect(t.err.slice(1)).toEqual(['  templateUrl: must be an https URL of a template in Amazon S3', '  waits.snapshotSeconds: must be at least 1', '  retain: unknown field']);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(cfnMock.calls()).toHaveLength(0);
  });

  it('exits 2 for a bad command line: unknown option, unreadable file, malformed --parameter', async () => {
    expect(await startCommand(['--stack', 'orders-prod', '--versoin', '1.4.0'], terminalAt().deps)).toBe(EXIT.USAGE);
    expect(await startCommand(['--input', '/nonexistent/input.json'], terminalAt().deps)).toBe(EXIT.USAGE);
    expect(await startCommand(['--stack', 'orders-prod', '--target-version', '1.4.0', '--parameter', 'NoEquals'], terminalAt().deps)).toBe(EXIT.USAGE);
    expect(await startCommand(['--stack', 'orders-prod', '--target-version', '1.4.0', '--state-machine-arn', 'Migrate'], terminalAt().deps)).toBe(EXIT.USAGE);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('names executions so that Step Functions accepts them', () => {
    const name = defaultExecutionName('orders-prod', '1.4.0+build.7', new Date('2026-03-01T12:34:56.789Z'));
    expect(name).toBe('orders-prod-1-4-0-build-7-20260301T123456Z');
    expect(defaultExecutionName('a'.repeat(100), '1.4.0', new Date())).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });
});
