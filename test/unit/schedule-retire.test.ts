import { CreateScheduleCommand, GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atExpression, RETIRE_SCHEDULE_GROUP_ENV, scheduleRetire } from '../../lambdas/schedule-retire/core';
import type { ScheduleRetireEvent } from '../../lambdas/shared/contracts';
import { ConfigurationMissing, InputInvalid, RetireScheduleConflict } from '../../lambdas/shared/errors';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const NOW = new Date('2030-01-01T12:00:00Z');
const TARGET = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Retire';
const ROLE = 'arn:aws:iam::123456789012:role/retire-scheduler';
const SCHEDULE_ARN = 'arn:aws:scheduler:eu-west-1:123456789012:schedule/env-migrator/em-retire-1a2b3c4d';

const schedulerMock = mockClient(SchedulerClient);
const scheduler = new SchedulerClient({});

function event(extra: Partial<ScheduleRetireEvent> = {}): ScheduleRetireEvent {
  return {
    runId: '1a2b3c4d',
    at: '2030-01-02T12:00:00.789Z',
    targetArn: TARGET,
    roleArn: ROLE,
    input: { previousSlot: 'orders-blue', entryPoint: { hostedZoneId: 'Z0HOSTED', recordName: 'app.example.com' }, runId: '1a2b3c4d' },
    execution: EXECUTION,
    ...extra,
  };
}
const conflict = () => Object.assign(new Error('Schedule em-retire-1a2b3c4d already exists.'), { name: 'ConflictException', $metadata: { httpStatusCode: 409 } });

beforeEach(() => {
  schedulerMock.reset();
  process.env[RETIRE_SCHEDULE_GROUP_ENV] = 'env-migrator';
});
afterEach(() => {
  delete process.env[RETIRE_SCHEDULE_GROUP_ENV];
});

describe('schedule-retire', () => {
  it('creates a one-time UTC schedule em-retire-<runId> at the time without milliseconds, flexible window off, deleted after it fires, targeting the retire machine', async () => {
    schedulerMock.on(CreateScheduleCommand).resolves({ ScheduleArn: SCHEDULE_ARN });
    const result = await scheduleRetire(scheduler, event(), NOW);
    expect(result).toEqual({ scheduleArn: SCHEDULE_ARN, at: '2030-01-02T12:00:00Z', alreadyExisted: false });
    const input = schedulerMock.commandCalls(CreateScheduleCommand)[0]!.args[0].input;
    expect(input).toEqual({
      Name: 'em-retire-1a2b3c4d',
      GroupName: 'env-migrator',
      ScheduleExpression: 'at(2030-01-02T12:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Description: 'env-migrator: retire the previous slot of run 1a2b3c4d',
      Target: { Arn: TARGET, RoleArn: ROLE, Input: JSON.stringify(event().input) },
      ClientToken: expect.stringMatching(/^em-retire-[0-9a-f]{48}$/),
    });
  });

  it('sends the same ClientToken on every attempt of one run, another for another run', async () => {
    schedulerMock.on(CreateScheduleCommand).resolves({ ScheduleArn: SCHEDULE_ARN });
    await scheduleRetire(scheduler, event(), NOW);
    await scheduleRetire(scheduler, event(), NOW);
    await scheduleRetire(scheduler, event({ runId: '9f9f9f9f' }), NOW);
    const tokens = schedulerMock.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
  });

  it('accepts the schedule a lost first attempt created (ConflictException, then GetSchedule shows this run\'s)', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(conflict());
    schedulerMock.on(GetScheduleCommand, { Name: 'em-retire-1a2b3c4d', GroupName: 'env-migrator' }).resolves({
      Arn: SCHEDULE_ARN,
      Name: 'em-retire-1a2b3c4d',
      GroupName: 'env-migrator',
      ScheduleExpression: 'at(2030-01-02T12:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      Target: { Arn: TARGET, RoleArn: ROLE, Input: JSON.stringify(event().input) },
    });
    expect(await scheduleRetire(scheduler, event(), NOW)).toEqual({ scheduleArn: SCHEDULE_ARN, at: '2030-01-02T12:00:00Z', alreadyExisted: true });
  });

  it('refuses a schedule of that name with another time or input, naming the differences', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(conflict());
    schedulerMock.on(GetScheduleCommand).resolves({
      Arn: SCHEDULE_ARN,
      ScheduleExpression: 'at(2030-01-03T12:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      Target: { Arn: TARGET, RoleArn: ROLE, Input: '{"previousSlot":"orders-green"}' },
    });
    const err = await scheduleRetire(scheduler, event(), NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetireScheduleConflict);
    expect((err as Error).name).toBe('RetireScheduleConflict');
    expect((err as Error).message).toMatch(/expression at\(2030-01-03T12:00:00\) \(this run's at\(2030-01-02T12:00:00\)\), another input/);
  });

  it('refuses a time that is not in the future, or not a time, before any call', async () => {
    await expect(scheduleRetire(scheduler, event({ at: '2029-12-31T12:00:00Z' }), NOW)).rejects.toThrow(InputInvalid);
    await expect(scheduleRetire(scheduler, event({ at: 'tomorrow' }), NOW)).rejects.toThrow(/at: "tomorrow" is not an ISO time/);
    expect(schedulerMock.calls()).toHaveLength(0);
  });

  it('fails with ConfigurationMissing when the schedule group is not configured', async () => {
    delete process.env[RETIRE_SCHEDULE_GROUP_ENV];
    await expect(scheduleRetire(scheduler, event(), NOW)).rejects.toThrow(ConfigurationMissing);
  });

  it('writes at() in UTC whatever the offset of the ISO time given', () => {
    expect(atExpression(new Date('2030-01-02T14:30:05.999+02:00'))).toBe('at(2030-01-02T12:30:05)');
  });
});
