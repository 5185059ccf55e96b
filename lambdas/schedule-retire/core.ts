import { createHash } from 'node:crypto';
import { CreateScheduleCommand, GetScheduleCommand, type CreateScheduleCommandInput, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { ScheduleRetireEvent, ScheduleRetireResult } from '../shared/contracts';
import { ConfigurationMissing, InputInvalid, RetireScheduleConflict } from '../shared/errors';
import { retireScheduleName } from '../shared/naming';
import { RETIRE_SCHEDULE_GROUP_ENV } from '../steps';

// Kept in light modules (infra and record-switch read them without loading the Scheduler client); re-exported here.
export { RETIRE_SCHEDULE_GROUP_ENV, RETIRE_SCHEDULE_GROUP_NAME } from '../steps';
export { RETIRE_SCHEDULE_PREFIX, retireScheduleName } from '../shared/naming';

/** Schedule names: 1 to 64 of [0-9a-zA-Z-_.] (EventBridge Scheduler API Reference, CreateSchedule Name). */
const SCHEDULE_NAME = /^[0-9a-zA-Z_.-]{1,64}$/;

/** The schedule group, read at each call (not at import) so a local harness can set it after loading. */
function scheduleGroup(): string {
  const group = process.env[RETIRE_SCHEDULE_GROUP_ENV];
  if (!group) throw new ConfigurationMissing(`${RETIRE_SCHEDULE_GROUP_ENV} is not set: the step cannot schedule the retire run (deploy with the EnvironmentMigrator construct)`);
  return group;
}

/**
 * An `at()` expression for a one-time schedule: `at(yyyy-mm-ddThh:mm:ss)`, evaluated in
 * ScheduleExpressionTimezone (UTC here); no milliseconds (EventBridge Scheduler User Guide,
 * "Schedule types", one-time schedules).
 */
export function atExpression(at: Date): string {
  return `at(${at.toISOString().slice(0, 19)})`;
}

/**
 * The end of a blue/green run: schedules the retire run of the previous slot (EventBridge Scheduler
 * one-time schedule `em-retire-<runId>` in the group RETIRE_SCHEDULE_GROUP, at `at` UTC, flexible
 * window OFF, deleted after it fires) whose target starts the retire state machine with `input`
 * through `roleArn`. The request carries a ClientToken derived from the run, so a retry is the same
 * request; a retry after a lost answer that meets ConflictException (the name is taken) reads the
 * schedule (GetSchedule) and accepts it when it is this run's: same target, role, input and time.
 * Returns the schedule's ARN and the time. Throws RetireScheduleConflict when the name holds another
 * schedule, InputInvalid when `at` is not a time in the future or the run id makes no schedule name,
 * ConfigurationMissing without RETIRE_SCHEDULE_GROUP.
 */
export async function scheduleRetire(scheduler: SchedulerClient, event: ScheduleRetireEvent, now: Date = new Date()): Promise<ScheduleRetireResult> {
  const group = scheduleGroup();
  const name = retireScheduleName(event.runId);
  if (!SCHEDULE_NAME.test(name)) throw new InputInvalid([{ field: 'runId', problem: `"${event.runId}" makes no valid schedule name (${name}): 1 to 64 of 0-9, a-z, A-Z, -, _ and .` }]);
  const at = new Date(event.at);
  if (Number.isNaN(at.getTime())) throw new InputInvalid([{ field: 'at', problem: `"${event.at}" is not an ISO time` }]);
  // A one-time schedule in the past would retire the previous slot at once, not after its retention.
  if (at.getTime() <= now.getTime()) throw new InputInvalid([{ field: 'at', problem: `${event.at} is not in the future (now ${now.toISOString()})` }]);
  const request: CreateScheduleCommandInput = {
    Name: name,
    GroupName: group,
    ScheduleExpression: atExpression(at),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Description: `env-migrator: retire the previous slot of run ${event.runId}`,
    Target: { Arn: event.targetArn, RoleArn: event.roleArn, Input: JSON.stringify(event.input) },
    ClientToken: clientToken(event),
  };
  const whenAt = `${at.toISOString().slice(0, 19)}Z`;
  try {
    const out = await scheduler.send(new CreateScheduleCommand(request));
    return { scheduleArn: out.ScheduleArn ?? '', at: whenAt, alreadyExisted: false };
  } catch (err) {
    if ((err as { name?: unknown } | undefined)?.name !== 'ConflictException') throw err;
  }
  const found = await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
  const differences = [
    found.ScheduleExpression !== request.ScheduleExpression ? `expression ${found.ScheduleExpression} (this run's ${request.ScheduleExpression})` : '',
    (found.ScheduleExpressionTimezone ?? 'UTC') !== 'UTC' ? `time zone ${found.ScheduleExpressionTimezone}` : '',
    found.Target?.Arn !== event.targetArn ? `target ${found.Target?.Arn}` : '',
    found.Target?.RoleArn !== event.roleArn ? `role ${found.Target?.RoleArn}` : '',
    found.Target?.Input !== request.Target!.Input ? 'another input' : '',
  ].filter(Boolean);
  if (differences.length) {
    throw new RetireScheduleConflict(`schedule ${name} in group ${group} exists and is not this run's retire schedule: ${differences.join(', ')}`);
  }
  return { scheduleArn: found.Arn ?? '', at: whenAt, alreadyExisted: true };
}

/** ClientToken: 1 to 64 of [a-zA-Z0-9-_]; the same for every attempt of one run's schedule. */
function clientToken(event: ScheduleRetireEvent): string {
  return `em-retire-${createHash('sha256').update(`${event.execution.id}\n${event.runId}`).digest('hex').slice(0, 48)}`;
}
