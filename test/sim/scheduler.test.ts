/**
 * The simulated EventBridge Scheduler (local/sim/scheduler.ts) through the real SDK: a one-time
 * schedule starts its state machine's execution when the simulated clock reaches its time (timers
 * faked, so a day passes at once) and, with ActionAfterCompletion DELETE, is gone afterwards; names
 * conflict; only `at()` in the future is accepted. The state machine here is a stub that records
 * its input: what runs is the simulated Step Functions' StartExecution.
 */
import { CreateScheduleCommand, type CreateScheduleCommandInput, DeleteScheduleCommand, GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { ZERO_TIMING } from '../../local/sim/core';
import { installSimulatedAccount } from '../../local/sim/install';
import { errorOf, errorWithStatusOf } from '../fixtures/sim-account';

const T0 = Date.UTC(2026, 11, 5, 10, 0, 0);
const HOUR = 3_600_000;
const RETIRE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:env-migrator-retire';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/env-migrator-scheduler';

let account: SimAccount;
let uninstall: () => void;
let scheduler: SchedulerClient;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
  vi.setSystemTime(T0);
  account = new SimAccount({ timing: ZERO_TIMING });
  uninstall = installSimulatedAccount(account);
  scheduler = new SchedulerClient({ maxAttempts: 1 });
  account.scheduler.createScheduleGroup('env-migrator');
  account.sfn.registerStateMachine(RETIRE_ARN, 'env-migrator-retire', '{}', async (execution) => {
    execution.status = 'SUCCEEDED';
    execution.stopDate = account.now();
  });
});

afterEach(() => {
  uninstall();
  vi.useRealTimers();
});

/** `at(...)` of a UTC instant, to the second. */
const at = (ms: number) => `at(${new Date(ms).toISOString().slice(0, 19)})`;

function retire(overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: 'em-retire-run-42',
    GroupName: 'env-migrator',
    ScheduleExpression: at(T0 + 24 * HOUR),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: { Arn: RETIRE_ARN, RoleArn: ROLE_ARN, Input: JSON.stringify({ runId: 'run-42', previousSlot: 'orders-blue' }) },
    ...overrides,
  };
}

const executions = () => [...account.sfn.executions.values()];

describe('simulated EventBridge Scheduler', () => {
  it('starts the target state machine with the input once its minute has come, then deletes the schedule (ActionAfterCompletion DELETE)', async () => {
    const { ScheduleArn } = await scheduler.send(new CreateScheduleCommand(retire()));
    expect(ScheduleArn).toBe('arn:aws:scheduler:us-east-1:123456789012:schedule/env-migrator/em-retire-run-42');
    expect(await scheduler.send(new GetScheduleCommand({ Name: 'em-retire-run-42', GroupName: 'env-migrator' }))).toMatchObject({
      ScheduleExpression: at(T0 + 24 * HOUR),
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: { Arn: RETIRE_ARN },
    });

    await vi.advanceTimersByTimeAsync(24 * HOUR - 1000);
    expect(executions()).toEqual([]);
    // "60 second precision": the invocation comes within the minute, at its end here.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(executions()).toMatchObject([{ stateMachineArn: RETIRE_ARN, input: JSON.stringify({ runId: 'run-42', previousSlot: 'orders-blue' }), status: 'SUCCEEDED' }]);
    expect(account.scheduler.invocations).toMatchObject([{ at: T0 + 24 * HOUR + 59_000, executionArn: executions()[0]!.executionArn }]);
    const gone = await errorWithStatusOf(scheduler.send(new GetScheduleCommand({ Name: 'em-retire-run-42', GroupName: 'env-migrator' })));
    expect(gone).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
  });

  it('fires a schedule whose time passed without a timer at the next call to the account, and only once; NONE keeps it', async () => {
    await scheduler.send(new CreateScheduleCommand(retire({ ActionAfterCompletion: 'NONE' })));
    vi.setSystemTime(T0 + 25 * HOUR); // the clock moved, no timer ran
    await scheduler.send(new ListSchedulesCommand({}));
    await account.scheduler.fireDue();
    await scheduler.send(new ListSchedulesCommand({}));
    await account.scheduler.fireDue();
    expect(executions()).toHaveLength(1);
    expect((await scheduler.send(new GetScheduleCommand({ Name: 'em-retire-run-42', GroupName: 'env-migrator' }))).State).toBe('ENABLED');
  });

  it('retries a failed invocation a minute later within the retry policy', async () => {
    account.faults.add({ service: 'SFN', operation: 'StartExecution', kind: 'throttle' });
    await scheduler.send(new CreateScheduleCommand(retire()));
    await vi.advanceTimersByTimeAsync(24 * HOUR + 59_000);
    expect(executions()).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(account.scheduler.invocations.map((i) => i.error ?? 'started')).toEqual(['ThrottlingException', 'started']);
    expect(executions()).toHaveLength(1);
    expect(account.scheduler.scheduleKeys()).toEqual([]);
  });

  it('evaluates at() in ScheduleExpressionTimezone', async () => {
    // 09:00 in Berlin on 6 December is 08:00 UTC.
    await scheduler.send(new CreateScheduleCommand(retire({ ScheduleExpression: 'at(2026-12-06T09:00:00)', ScheduleExpressionTimezone: 'Europe/Berlin' })));
    await vi.advanceTimersByTimeAsync(Date.UTC(2026, 11, 6, 8, 0, 58) - T0);
    expect(executions()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(executions()).toHaveLength(1);
  });

  it('refuses a used name in the group (ConflictException) but answers the same request again (same ClientToken) with the schedule', async () => {
    const first = await scheduler.send(new CreateScheduleCommand(retire({ ClientToken: 'token-1' })));
    const again = await scheduler.send(new CreateScheduleCommand(retire({ ClientToken: 'token-1' })));
    expect(again.ScheduleArn).toBe(first.ScheduleArn);
    expect(await errorWithStatusOf(scheduler.send(new CreateScheduleCommand(retire({ ClientToken: 'token-2' }))))).toMatchObject({ name: 'ConflictException', status: 409 });
    // The same name in another group is another schedule.
    await scheduler.send(new CreateScheduleCommand(retire({ GroupName: undefined })));
    expect(account.scheduler.scheduleKeys()).toEqual(['default/em-retire-run-42', 'env-migrator/em-retire-run-42']);
  });

  it.each([
    ['a rate expression', 'rate(1 day)', /one-time schedules \(at\(\.\.\.\)\) only, not rate\(1 day\)/],
    ['a cron expression', 'cron(0 9 * * ? *)', /only, not cron\(0 9 \* \* \? \*\)/],
    ['a malformed at()', 'at(2026-12-32T10:00:00)', /^Invalid Schedule Expression at\(2026-12-32T10:00:00\)$/],
    ['a time already past', at(T0 - 60_000), /is in the past$/],
  ])('refuses %s with ValidationException naming it', async (_what, expression, message) => {
    const e = await errorOf(scheduler.send(new CreateScheduleCommand(retire({ ScheduleExpression: expression }))));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toMatch(message);
    expect(account.scheduler.scheduleKeys()).toEqual([]);
  });

  it('refuses a group that does not exist, and deleting or reading a schedule that does not (ResourceNotFoundException)', async () => {
    expect((await errorOf(scheduler.send(new CreateScheduleCommand(retire({ GroupName: 'nobody' }))))).name).toBe('ResourceNotFoundException');
    expect((await errorOf(scheduler.send(new DeleteScheduleCommand({ Name: 'em-retire-none', GroupName: 'env-migrator' })))).name).toBe('ResourceNotFoundException');
  });

  it('deletes a schedule before its time: nothing runs then', async () => {
    await scheduler.send(new CreateScheduleCommand(retire()));
    await scheduler.send(new DeleteScheduleCommand({ Name: 'em-retire-run-42', GroupName: 'env-migrator' }));
    await vi.advanceTimersByTimeAsync(48 * HOUR);
    expect(executions()).toEqual([]);
  });

  it('lists schedules by name prefix within a group', async () => {
    for (const run of ['run-1', 'run-2']) await scheduler.send(new CreateScheduleCommand(retire({ Name: `em-retire-${run}` })));
    await scheduler.send(new CreateScheduleCommand(retire({ Name: 'nightly-report' })));
    const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: 'env-migrator', NamePrefix: 'em-retire-' }));
    expect(listed.Schedules?.map((s) => [s.Name, s.Target?.Arn])).toEqual([
      ['em-retire-run-1', RETIRE_ARN],
      ['em-retire-run-2', RETIRE_ARN],
    ]);
  });
});
