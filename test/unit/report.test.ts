/**
 * `env-migrator report` over a small Migrate run and its Clone, with Step Functions mocked: the graph
 * marks exactly the states entered and the transitions taken, each state's time comes from its
 * events, the downtime runs from the standby to the second clone and splits into AWS operations and
 * the workflow's own time, the notification is on the page, and the command's exit codes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { type AslMachine, downtimeOf, graphOf, notificationOf, pictureOf, readRun } from '../../cli/report-core';
import { layout, reportHtml } from '../../cli/report-html';
import { cliResultSchema } from '../../cli/result';

const sfnMock = mockClient(SFNClient);
beforeEach(() => sfnMock.reset());

const MIGRATE_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:MigrateD5E6BFF0:orders-prod-run';
const CLONE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Clone20871BCF';
const CLONE_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:Clone20871BCF:run-c2';
const T0 = Date.parse('2026-12-05T01:00:00Z');

const MIGRATE: AslMachine = {
  StartAt: 'Validate the input',
  States: {
    'Validate the input': { Type: 'Task', Next: 'Put the instances in standby' },
    'Put the instances in standby': { Type: 'Task', Next: 'Instances in standby?' },
    'Instances in standby?': { Type: 'Choice', Choices: [{ Next: 'Clone the temporary stack to the new version' }], Default: 'Wait for the instances' },
    'Wait for the instances': { Type: 'Wait', Next: 'Check the instances again' },
    'Check the instances again': { Type: 'Task', Next: 'Instances in standby?' },
    'Clone the temporary stack to the new version': { Type: 'Task', Next: 'Compose the notification', Catch: [{ Next: 'Undo the migration' }] },
    'Compose the notification': { Type: 'Task', Next: 'Migration succeeded' },
    'Migration succeeded': { Type: 'Succeed' },
    'Undo the migration': { Type: 'Pass', Next: 'Migration failed' },
    'Migration failed': { Type: 'Fail' },
  },
};

const CLONE: AslMachine = {
  StartAt: 'Create the destination stack',
  States: {
    'Create the destination stack': { Type: 'Task', Next: 'Copy each bucket' },
    'Copy each bucket': {
      Type: 'Map',
      Next: 'Copy reported',
      ItemProcessor: { StartAt: 'Copy objects', States: { 'Copy objects': { Type: 'Task', Next: 'Verify the bucket copy' }, 'Verify the bucket copy': { Type: 'Task', End: true } } },
    },
    'Copy reported': { Type: 'Succeed' },
  },
};

const NOTIFICATION = { subject: '[env-migrator] SUCCEEDED orders-prod -> 1.4.0 <ok>', message: 'WHERE THE DATA IS\n*** ALL DATA IS IN orders-prod. ***' };

/** `[seconds after T0, type, state name?, output?]` → history events with ids. */
function history(rows: [number, string, string?, unknown?][]): HistoryEvent[] {
  return rows.map(([t, type, name, output], i) => ({
    id: i + 1,
    timestamp: new Date(T0 + t * 1000),
    type: type as HistoryEvent['type'],
    ...(type.endsWith('StateEntered') ? { stateEnteredEventDetails: { name } } : {}),
    ...(type.endsWith('StateExited') ? { stateExitedEventDetails: { name: name ?? '', output: JSON.stringify(output ?? {}) } } : {}),
    ...(type === 'TaskScheduled' ? { taskScheduledEventDetails: { resourceType: 'states', resource: 'startExecution.sync:2', region: 'eu-west-1', parameters: JSON.stringify({ StateMachineArn: CLONE_MACHINE, Name: 'run-c2' }) } } : {}),
  }));
}

const MIGRATE_EVENTS = history([
  [0, 'ExecutionStarted'],
  [0, 'TaskStateEntered', 'Validate the input'],
  [1, 'TaskStateExited', 'Validate the input'],
  [1, 'TaskStateEntered', 'Put the instances in standby'],
  [3, 'TaskStateExited', 'Put the instances in standby'],
  [3, 'ChoiceStateEntered', 'Instances in standby?'],
  [3, 'ChoiceStateExited', 'Instances in standby?'],
  [3, 'WaitStateEntered', 'Wait for the instances'],
  [123, 'WaitStateExited', 'Wait for the instances'],
  [123, 'TaskStateEntered', 'Check the instances again'],
  [124, 'TaskStateExited', 'Check the instances again'],
  [124, 'ChoiceStateEntered', 'Instances in standby?'],
  [124, 'ChoiceStateExited', 'Instances in standby?'],
  [130, 'TaskStateEntered', 'Clone the temporary stack to the new version'],
  [130, 'TaskScheduled'],
  [1130, 'TaskStateExited', 'Clone the temporary stack to the new version'],
  [1130, 'TaskStateEntered', 'Compose the notification'],
  [1131, 'TaskStateExited', 'Compose the notification', { notice: { outcome: 'SUCCEEDED', survivor: 'orders-prod' }, notification: NOTIFICATION }],
  [1131, 'SucceedStateEntered', 'Migration succeeded'],
  [1131, 'SucceedStateExited', 'Migration succeeded'],
  [1131, 'ExecutionSucceeded'],
]);

const CLONE_EVENTS = history([
  [140, 'ExecutionStarted'],
  [140, 'TaskStateEntered', 'Create the destination stack'],
  [740, 'TaskStateExited', 'Create the destination stack'],
  [740, 'MapStateEntered', 'Copy each bucket'],
  [740, 'TaskStateEntered', 'Copy objects'],
  [740, 'TaskStateEntered', 'Copy objects'],
  [800, 'TaskStateExited', 'Copy objects'],
  [800, 'TaskStateEntered', 'Verify the bucket copy'],
  [900, 'TaskStateExited', 'Copy objects'],
  [900, 'TaskStateEntered', 'Verify the bucket copy'],
  [950, 'TaskStateExited', 'Verify the bucket copy'],
  [1000, 'TaskStateExited', 'Verify the bucket copy'],
  [1000, 'MapStateExited', 'Copy each bucket'],
  [1000, 'SucceedStateEntered', 'Copy reported'],
  [1000, 'SucceedStateExited', 'Copy reported'],
  [1000, 'ExecutionSucceeded'],
]);

function answerRun(): void {
  sfnMock.on(DescribeExecutionCommand, { executionArn: MIGRATE_ARN }).resolves({ executionArn: MIGRATE_ARN, name: 'orders-prod-run', status: 'SUCCEEDED', startDate: new Date(T0), stopDate: new Date(T0 + 1131_000) });
  sfnMock.on(DescribeExecutionCommand, { executionArn: CLONE_ARN }).resolves({ executionArn: CLONE_ARN, name: 'run-c2', status: 'SUCCEEDED', startDate: new Date(T0 + 140_000), stopDate: new Date(T0 + 1000_000) });
  sfnMock.on(DescribeStateMachineForExecutionCommand, { executionArn: MIGRATE_ARN }).resolves({ definition: JSON.stringify(MIGRATE) });
  sfnMock.on(DescribeStateMachineForExecutionCommand, { executionArn: CLONE_ARN }).resolves({ definition: JSON.stringify(CLONE) });
  // Migrate's history in two pages: the report reads all of it.
  sfnMock.on(GetExecutionHistoryCommand, { executionArn: MIGRATE_ARN, nextToken: undefined }).resolves({ events: MIGRATE_EVENTS.slice(0, 10), nextToken: 'page-2' });
  sfnMock.on(GetExecutionHistoryCommand, { executionArn: MIGRATE_ARN, nextToken: 'page-2' }).resolves({ events: MIGRATE_EVENTS.slice(10) });
  sfnMock.on(GetExecutionHistoryCommand, { executionArn: CLONE_ARN }).resolves({ events: CLONE_EVENTS });
}

const sfn = () => new SFNClient({ region: 'eu-west-1' });

describe('report: what the page shows', () => {
  it('marks exactly the states entered and the transitions taken, the wait loop included, with each state\'s time', async () => {
    answerRun();
    const run = await readRun(sfn(), MIGRATE_ARN);
    expect(run.map((x) => [x.machine, x.name, x.startedBy])).toEqual([
      ['Migrate', 'orders-prod-run', undefined],
      ['Clone', 'run-c2', 'Clone the temporary stack to the new version'],
    ]);
    const migrate = pictureOf(run[0]!);
    expect([...migrate.states.keys()].sort()).toEqual(Object.keys(MIGRATE.States).filter((n) => !['Undo the migration', 'Migration failed'].includes(n)).sort());
    expect([...migrate.taken].map((k) => k.replace('\u0000', ' → ')).sort()).toEqual(
      [
        'Validate the input → Put the instances in standby',
        'Put the instances in standby → Instances in standby?',
        'Instances in standby? → Wait for the instances',
        'Wait for the instances → Check the instances again',
        'Check the instances again → Instances in standby?',
        'Instances in standby? → Clone the temporary stack to the new version',
        'Clone the temporary stack to the new version → Compose the notification',
        'Compose the notification → Migration succeeded',
      ].sort(),
    );
    expect(migrate.states.get('Wait for the instances')).toEqual({ visits: 1, seconds: 120, failed: false });
    expect(migrate.states.get('Instances in standby?')?.visits).toBe(2);
    // Map iterations overlap: both copies count (60 s + 160 s), and the branch's edges are taken.
    const clone = pictureOf(run[1]!);
    expect(clone.states.get('Copy objects')).toEqual({ visits: 2, seconds: 220, failed: false });
    expect(clone.taken).toEqual(new Set(['Create the destination stack\u0000Copy each bucket', 'Copy each bucket\u0000Copy objects', 'Copy objects\u0000Verify the bucket copy', 'Copy each bucket\u0000Copy reported']));
  });

  it('times the downtime from the standby to the end of the second clone, each AWS operation a bar, the rest the workflow\'s own', async () => {
    answerRun();
    const d = downtimeOf(await readRun(sfn(), MIGRATE_ARN));
    expect(d).toBeDefined();
    expect(d!.seconds).toBe(1129);
    expect(d!.bars.map((b) => [b.label, (b.start - T0) / 1000, (b.end - T0) / 1000])).toEqual([
      ['enter standby', 1, 124],
      ['create stack', 140, 740],
      ['copy buckets', 740, 900],
      ['verify buckets', 800, 1000],
    ]);
    expect(d!.ours.map((o) => [(o.start - T0) / 1000, (o.end - T0) / 1000])).toEqual([
      [124, 140],
      [1000, 1130],
    ]);
    expect(d!.path.awsSeconds).toBe(983);
    expect(d!.path.overheadSeconds).toBe(146);
    expect(d!.path.segments.map((s) => s.label)).toEqual(['enter standby', 'create stack + copy buckets + verify buckets']);
  });

  it('puts the notification sent on the page, escaped, and no reference to anything outside it', async () => {
    answerRun();
    const run = await readRun(sfn(), MIGRATE_ARN);
    expect(notificationOf(run)).toEqual(NOTIFICATION);
    const html = reportHtml({ run, pictures: run.map(pictureOf), downtime: downtimeOf(run), notification: notificationOf(run), outcome: 'SUCCEEDED', survivor: 'orders-prod', generatedAt: new Date(T0) });
    expect(html).toContain('[env-migrator] SUCCEEDED orders-prod -&gt; 1.4.0 &lt;ok&gt;');
    expect(html).toContain('*** ALL DATA IS IN orders-prod. ***');
    expect(html).toMatch(/<svg class="graph" data-graph="Migrate"/);
    expect(html).toMatch(/<svg class="graph" data-graph="Clone"/);
    expect(html).toMatch(/<svg class="timeline" data-timeline="downtime"/);
    // Self-contained: no src, no href, no @import, no url() but the page's own markers.
    expect(html).not.toMatch(/\s(src|href)=|@import|url\((?!#)/);
  });

  it('says there was no downtime when the run never put the instances in standby', () => {
    const run = [{ executionArn: MIGRATE_ARN, machine: 'Migrate', name: 'x', status: 'FAILED', startDate: T0, definition: MIGRATE, events: MIGRATE_EVENTS.slice(0, 3) }];
    expect(downtimeOf(run)).toBeUndefined();
    expect(reportHtml({ run, pictures: run.map(pictureOf), generatedAt: new Date(T0) })).toContain('No downtime');
  });

  it('draws a Clone run alone (no downtime: it puts nothing in standby), and a running execution up to its last event', async () => {
    sfnMock.on(DescribeExecutionCommand, { executionArn: CLONE_ARN }).resolves({ executionArn: CLONE_ARN, name: 'run-c2', status: 'RUNNING', startDate: new Date(T0 + 140_000) });
    sfnMock.on(DescribeStateMachineForExecutionCommand, { executionArn: CLONE_ARN }).resolves({ definition: JSON.stringify(CLONE) });
    // Still copying: one Copy objects ended at 800 s, the other still runs at the last event (900 s).
    sfnMock.on(GetExecutionHistoryCommand, { executionArn: CLONE_ARN }).resolves({ events: CLONE_EVENTS.slice(0, 8) });
    const run = await readRun(sfn(), CLONE_ARN);
    expect(run.map((x) => x.machine)).toEqual(['Clone']);
    expect(downtimeOf(run)).toBeUndefined();
    const p = pictureOf(run[0]!);
    expect(p.states.get('Copy objects')).toEqual({ visits: 2, seconds: 60 + 60, failed: false });
    expect(p.states.get('Verify the bucket copy')?.visits).toBe(1);
    const html = reportHtml({ run, pictures: [p], generatedAt: new Date(T0) });
    expect(html).toContain('still running');
    expect(html).toContain('No notification in the history');
  });

  it('lays states out top to bottom without two states in one place, loops drawn back up', () => {
    const g = graphOf(MIGRATE);
    const { placed, back } = layout(g.start, g.nodes, g.edges);
    expect(placed.size).toBe(Object.keys(MIGRATE.States).length);
    const spots = [...placed.values()].map((p) => `${p.x},${p.y}`);
    expect(new Set(spots).size).toBe(spots.length);
    expect(placed.get('Put the instances in standby')!.layer).toBeGreaterThan(placed.get('Validate the input')!.layer);
    expect(back).toEqual(new Set(['Check the instances again\u0000Instances in standby?']));
  });
});

describe('env-migrator report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-'));
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, deps: { sfn: sfn(), out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} } };
  };

  it('writes the page and exits 0; --json prints one result naming the file and the downtime', async () => {
    answerRun();
    const t = capture();
    const file = join(dir, 'report.html');
    expect(await runCli(['report', MIGRATE_ARN, '--out', file, '--json'], t.deps)).toBe(EXIT.SUCCEEDED);
    expect(readFileSync(file, 'utf8')).toMatch(/^<!doctype html>/);
    expect(t.out).toHaveLength(1);
    const result = cliResultSchema.parse(JSON.parse(t.out[0]!));
    expect(result).toMatchObject({ outcome: 'SUCCEEDED', exitCode: 0, survivor: 'orders-prod', error: null, executionArn: MIGRATE_ARN, path: file, downtimeSeconds: 1129 });
    expect(t.err.join('\n')).toMatch(/downtime +18 min 49 s: AWS operations 16 min 23 s, the workflow's own 2 min 26 s/);
  });

  it('exits 6 naming the call when Step Functions does not know the execution, and writes nothing', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    const t = capture();
    const file = join(dir, 'missing.html');
    expect(await runCli(['report', MIGRATE_ARN, '--out', file], t.deps)).toBe(EXIT.AWS_ERROR);
    expect(t.err.join('\n')).toMatch(/AWS error in DescribeExecution: ExecutionDoesNotExist/);
    expect(() => readFileSync(file)).toThrow();
  });

  it('is a usage error (exit 2) without --out or with a malformed ARN, before any AWS call', async () => {
    for (const argv of [['report', MIGRATE_ARN], ['report', 'arn:aws:states:eu-west-1:1:execution:x', '--out', join(dir, 'x.html')]]) {
      const t = capture();
      expect(await runCli(argv, t.deps)).toBe(EXIT.USAGE);
    }
    expect(sfnMock.calls()).toHaveLength(0);
  });
});
