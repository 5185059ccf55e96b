/**
 * Simulated Amazon EventBridge Scheduler: one-time schedules (`at(...)`) that start a Step Functions
 * execution when the simulated clock reaches their time. Blue/green (issue 11) schedules the retire
 * run of the previous slot this way (`em-retire-<runId>` in the group `env-migrator`). Recurring
 * schedules (rate, cron) are not modelled: this workflow never creates one, and CreateSchedule
 * refuses them naming the expression rather than storing a schedule that would never fire.
 *
 * What is modelled, with its source:
 * - CreateSchedule (API reference): Name and GroupName `^[0-9a-zA-Z-_.]+$`, 1–64 characters;
 *   GroupName defaults to the account's `default` group, and a group that does not exist is
 *   ResourceNotFoundException; FlexibleTimeWindow and Target (Arn, RoleArn) are required; Mode
 *   FLEXIBLE needs MaximumWindowInMinutes (1–1440); ActionAfterCompletion NONE (default) or DELETE;
 *   State ENABLED (default) or DISABLED; a used name in the group is ConflictException; ClientToken
 *   makes the request idempotent ("Unique, case-sensitive identifier you provide to ensure the
 *   idempotency of the request"), so the SDK's retry of a create whose answer was lost gets the
 *   same schedule back.
 * - A malformed expression: "ValidationException: Invalid Schedule Expression <expression>" (the
 *   AWS message quoted in localstack/localstack#9284). `at(yyyy-mm-ddThh:mm:ss)` is evaluated in
 *   ScheduleExpressionTimezone (default UTC), an IANA zone name ("Schedule types in EventBridge
 *   Scheduler", one-time schedules and time zones).
 * - An `at()` time already past: AWS documents nothing; the one public report found says "AWS
 *   rejects a fire time in the past at create" (DefangLabs/pulumi-defang#425). Modelled as a
 *   ValidationException (message ours): a step must schedule a time ahead of now, and a simulator
 *   that fired such a schedule at once would hide a retire that starts too early.
 * - Firing: "All schedule types on EventBridge Scheduler invoke their targets with 60 second
 *   precision ... between 1:00:00 and 1:00:59" (user guide, "Schedule types"); with a flexible time
 *   window anywhere within it. Modelled at the latest: the end of the `at()` minute, plus the whole
 *   window. A DISABLED schedule does not fire.
 * - Target: a Step Functions state machine ARN is the templated target StartExecution, with
 *   Target.Input as the execution input ("Managing targets", templated targets); here it goes
 *   through the account like any other call (faults apply). A failed invocation is retried within
 *   the RetryPolicy (defaults MaximumRetryAttempts 185, MaximumEventAgeInSeconds 86400, API
 *   reference, RetryPolicy); the interval between attempts is not published, modelled as 60 s.
 * - ActionAfterCompletion DELETE: "EventBridge Scheduler deletes the schedule after its last target
 *   invocation. For one-time schedules, this occurs after the schedule has invoked its target once"
 *   (user guide, "Deleting a schedule"). With NONE the completed schedule stays, never firing again.
 *
 * Time: a timer per schedule on whatever clock setTimeout is (the simulated one during a local run)
 * fires it at its time; SimAccount.dispatch also fires every schedule whose time has passed, for
 * clocks moved without timers (a test's faked Date, the real clock after a run).
 */
import type { CreateScheduleCommandInput, FlexibleTimeWindow, ListSchedulesCommandInput, ScheduleSummary, Target } from '@aws-sdk/client-scheduler';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';

type ActionAfterCompletion = 'NONE' | 'DELETE';
type ScheduleState = 'ENABLED' | 'DISABLED';

const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RECURRING = /^(rate|cron)\(.*\)$/;
const MINUTE_MS = 60_000;
/** Interval between invocation attempts (not published by AWS; an assumption). */
export const RETRY_INTERVAL_MS = 60_000;
/** setTimeout's longest delay; longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const LIST_PAGE = 100;

export interface ScheduleInvocation {
  scheduleArn: string;
  targetArn: string;
  /** Simulated time of the attempt (ms). */
  at: number;
  /** The execution started, when the target is a state machine and the call succeeded. */
  executionArn?: string;
  /** The error name, when the attempt failed. */
  error?: string;
}

interface ScheduleRecord {
  arn: string;
  name: string;
  groupName: string;
  expression: string;
  timezone?: string;
  description?: string;
  flexibleTimeWindow: FlexibleTimeWindow;
  target: Target;
  actionAfterCompletion: ActionAfterCompletion;
  state: ScheduleState;
  clientToken?: string;
  createdAt: number;
  modifiedAt: number;
  /** When the target is invoked (ms). */
  fireAt: number;
  /** Invocation attempts made so far, and when the first was (ms). */
  attempts: number;
  firstAttemptAt?: number;
  completed: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

const validation = (message: string) => new SimServiceError('ValidationException', message, 400);
const notFound = (message: string) => new SimServiceError('ResourceNotFoundException', message, 404);

/** The UTC instant of a wall-clock time in an IANA time zone; throws ValidationException for an unknown zone. */
export function zonedTimeToUtc(parts: [number, number, number, number, number, number], timeZone: string): number {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  } catch {
    throw validation(`Invalid ScheduleExpressionTimezone ${timeZone}`);
  }
  const offsetAt = (instant: number) => {
    const p = Object.fromEntries(format.formatToParts(new Date(instant)).map((x) => [x.type, Number(x.value)]));
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - instant;
  };
  const [y, mo, d, h, mi, s] = parts;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const first = wall - offsetAt(wall);
  return wall - offsetAt(first);
}

/** The instant an `at(...)` expression names, or a ValidationException naming the expression. */
export function atInstant(expression: string, timeZone = 'UTC'): number {
  const m = AT.exec(expression);
  if (!m) throw validation(`Invalid Schedule Expression ${expression}`);
  const parts = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  const check = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw validation(`Invalid Schedule Expression ${expression}`);
  }
  return zonedTimeToUtc(parts, timeZone);
}

export class SchedulerSim implements SimService {
  readonly serviceName = 'Scheduler';
  readonly operations: Record<string, OpHandler>;

  /** `group/name` → schedule. */
  private readonly schedules = new Map<string, ScheduleRecord>();
  private readonly groups = new Set<string>(['default']);
  /** Every invocation attempt, in order (what the rehearsal and the tests read). */
  readonly invocations: ScheduleInvocation[] = [];
  private inFlight: Promise<void>[] = [];

  constructor(private readonly account: SimAccount) {
    this.operations = {
      CreateSchedule: (i) => this.opCreateSchedule(i),
      GetSchedule: (i) => this.opGetSchedule(i),
      DeleteSchedule: (i) => this.opDeleteSchedule(i),
      ListSchedules: (i) => this.opListSchedules(i),
      CreateScheduleGroup: (i) => this.opCreateScheduleGroup(i),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Internal API
  // -------------------------------------------------------------------------------------------

  /** Creates a schedule group (as the migrator's stack would: AWS::Scheduler::ScheduleGroup). */
  createScheduleGroup(name: string): void {
    if (!NAME.test(name)) throw validation(`Invalid schedule group name ${name}`);
    this.groups.add(name);
  }

  /** Names (`group/name`) of the schedules that exist now. */
  scheduleKeys(): string[] {
    return [...this.schedules.keys()].sort();
  }

  /**
   * Invokes every enabled schedule whose time has come (the timers call it, and tests that move the
   * clock by hand). Resolves when the invocations in flight have finished.
   */
  fireDue(): Promise<void> {
    this.startDue();
    return Promise.all(this.inFlight).then(() => undefined);
  }

  /**
   * Starts every enabled schedule whose time has come, without waiting for it: SimAccount.dispatch
   * calls it before each call, so it allocates nothing when no schedule exists (a million-object
   * benchmark answers millions of calls).
   */
  startDue(): void {
    if (this.schedules.size === 0) return;
    const now = this.account.now();
    for (const s of this.schedules.values()) {
      if (s.state !== 'ENABLED' || s.completed || s.fireAt > now) continue;
      // Claimed before the call: the invocation's own dispatch sees nothing due.
      s.fireAt = Number.POSITIVE_INFINITY;
      const run = this.invoke(s).finally(() => {
        this.inFlight = this.inFlight.filter((p) => p !== run);
      });
      this.inFlight.push(run);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Model
  // -------------------------------------------------------------------------------------------

  private key(group: string, name: string): string {
    return `${group}/${name}`;
  }

  private find(input: OpInput): ScheduleRecord {
    const name = String(input.Name ?? '');
    const group = typeof input.GroupName === 'string' && input.GroupName ? input.GroupName : 'default';
    const s = this.schedules.get(this.key(group, name));
    if (!s) throw notFound(`Schedule ${name} does not exist.`);
    return s;
  }

  private arm(s: ScheduleRecord): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    if (s.state !== 'ENABLED' || s.completed || !Number.isFinite(s.fireAt)) return;
    const delay = Math.max(0, Math.min(s.fireAt - this.account.now(), MAX_TIMER_MS));
    s.timer = setTimeout(() => {
      s.timer = undefined;
      void this.fireDue().then(() => this.arm(s));
    }, delay);
    // A pending retire must not keep a finished process alive.
    (s.timer as { unref?: () => void }).unref?.();
  }

  private remove(s: ScheduleRecord): void {
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    // Only this schedule: one created again under its name since is another.
    const key = this.key(s.groupName, s.name);
    if (this.schedules.get(key) === s) this.schedules.delete(key);
  }

  private retryPolicy(s: ScheduleRecord): { attempts: number; maxAgeMs: number } {
    const p = s.target.RetryPolicy;
    return { attempts: 1 + (p?.MaximumRetryAttempts ?? 185), maxAgeMs: (p?.MaximumEventAgeInSeconds ?? 86_400) * 1000 };
  }

  private async invoke(s: ScheduleRecord): Promise<void> {
    const at = this.account.now();
    s.firstAttemptAt ??= at;
    s.attempts += 1;
    const record: ScheduleInvocation = { scheduleArn: s.arn, targetArn: s.target.Arn ?? '', at };
    this.invocations.push(record);
    let ok = false;
    try {
      if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:/.test(s.target.Arn ?? '')) {
        throw new SimServiceError('UnknownOperationException', `The simulated account invokes Step Functions state machine targets only, not ${s.target.Arn}`, 400);
      }
      const out = (await this.account.dispatch('SFN', 'StartExecution', {
        stateMachineArn: s.target.Arn,
        ...(s.target.Input !== undefined ? { input: s.target.Input } : {}),
      })) as { executionArn?: string };
      record.executionArn = out.executionArn;
      ok = true;
    } catch (err) {
      record.error = err instanceof Error ? err.name : String(err);
    }
    const policy = this.retryPolicy(s);
    const next = this.account.now() + RETRY_INTERVAL_MS;
    if (!ok && s.attempts < policy.attempts && next - s.firstAttemptAt <= policy.maxAgeMs && this.schedules.get(this.key(s.groupName, s.name)) === s) {
      s.fireAt = next;
      this.arm(s);
      return;
    }
    s.completed = true;
    if (s.actionAfterCompletion === 'DELETE') this.remove(s);
  }

  private summary(s: ScheduleRecord): ScheduleSummary {
    return {
      Arn: s.arn,
      Name: s.name,
      GroupName: s.groupName,
      State: s.state,
      CreationDate: new Date(s.createdAt),
      LastModificationDate: new Date(s.modifiedAt),
      Target: { Arn: s.target.Arn },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Operations
  // -------------------------------------------------------------------------------------------

  private opCreateSchedule(input: OpInput): { ScheduleArn: string } {
    const i = input as unknown as CreateScheduleCommandInput;
    const name = i.Name ?? '';
    const group = i.GroupName ?? 'default';
    if (!NAME.test(name)) throw validation(`Invalid schedule name ${name}: 1 to 64 of [0-9a-zA-Z-_.]`);
    if (!NAME.test(group)) throw validation(`Invalid schedule group name ${group}: 1 to 64 of [0-9a-zA-Z-_.]`);
    if (!this.groups.has(group)) throw notFound(`Schedule group ${group} does not exist.`);
    const expression = i.ScheduleExpression ?? '';
    if (RECURRING.test(expression)) {
      throw validation(`The simulated account models one-time schedules (at(...)) only, not ${expression}: this workflow never creates a recurring one`);
    }
    const timezone = i.ScheduleExpressionTimezone;
    const at = atInstant(expression, timezone ?? 'UTC');
    const window = i.FlexibleTimeWindow;
    if (!window?.Mode) throw validation('FlexibleTimeWindow is required');
    if (window.Mode === 'FLEXIBLE' && !(window.MaximumWindowInMinutes && window.MaximumWindowInMinutes >= 1 && window.MaximumWindowInMinutes <= 1440)) {
      throw validation('MaximumWindowInMinutes must be between 1 and 1440 with Mode FLEXIBLE');
    }
    if (window.Mode !== 'FLEXIBLE' && window.Mode !== 'OFF') throw validation(`Invalid FlexibleTimeWindow Mode ${String(window.Mode)}`);
    if (!i.Target?.Arn || !i.Target.RoleArn) throw validation('Target.Arn and Target.RoleArn are required');
    const action = (i.ActionAfterCompletion ?? 'NONE') as ActionAfterCompletion;
    if (action !== 'NONE' && action !== 'DELETE') throw validation(`Invalid ActionAfterCompletion ${String(action)}`);
    const state = (i.State ?? 'ENABLED') as ScheduleState;
    if (state !== 'ENABLED' && state !== 'DISABLED') throw validation(`Invalid State ${String(state)}`);

    const key = this.key(group, name);
    const existing = this.schedules.get(key);
    if (existing) {
      if (i.ClientToken && existing.clientToken === i.ClientToken) return { ScheduleArn: existing.arn };
      throw new SimServiceError('ConflictException', `Schedule ${name} already exists.`, 409);
    }
    const now = this.account.now();
    if (at < now) throw validation(`The schedule expression ${expression} is in the past`);

    const fireAt = Math.floor(at / MINUTE_MS) * MINUTE_MS + (MINUTE_MS - 1000) + (window.Mode === 'FLEXIBLE' ? (window.MaximumWindowInMinutes ?? 0) * MINUTE_MS : 0);
    const s: ScheduleRecord = {
      arn: this.account.arn('scheduler', `schedule/${group}/${name}`),
      name,
      groupName: group,
      expression,
      timezone,
      description: i.Description,
      flexibleTimeWindow: { ...window },
      target: structuredClone(i.Target),
      actionAfterCompletion: action,
      state,
      clientToken: i.ClientToken,
      createdAt: now,
      modifiedAt: now,
      fireAt,
      attempts: 0,
      completed: false,
    };
    this.schedules.set(key, s);
    this.arm(s);
    return { ScheduleArn: s.arn };
  }

  private opGetSchedule(input: OpInput) {
    const s = this.find(input);
    return {
      Arn: s.arn,
      Name: s.name,
      GroupName: s.groupName,
      ScheduleExpression: s.expression,
      ...(s.timezone ? { ScheduleExpressionTimezone: s.timezone } : {}),
      ...(s.description ? { Description: s.description } : {}),
      FlexibleTimeWindow: { ...s.flexibleTimeWindow },
      Target: structuredClone(s.target),
      ActionAfterCompletion: s.actionAfterCompletion,
      State: s.state,
      CreationDate: new Date(s.createdAt),
      LastModificationDate: new Date(s.modifiedAt),
    };
  }

  private opDeleteSchedule(input: OpInput): Record<string, never> {
    this.remove(this.find(input));
    return {};
  }

  private opListSchedules(input: OpInput) {
    const i = input as unknown as ListSchedulesCommandInput;
    const max = Math.min(Math.max(i.MaxResults ?? LIST_PAGE, 1), LIST_PAGE);
    const start = i.NextToken ? Number(i.NextToken) : 0;
    const all = [...this.schedules.values()]
      .filter((s) => (!i.GroupName || s.groupName === i.GroupName) && (!i.NamePrefix || s.name.startsWith(i.NamePrefix)) && (!i.State || s.state === i.State))
      .sort((a, b) => (a.groupName + '/' + a.name < b.groupName + '/' + b.name ? -1 : 1));
    const page = all.slice(start, start + max);
    return { Schedules: page.map((s) => this.summary(s)), ...(start + max < all.length ? { NextToken: String(start + max) } : {}) };
  }

  private opCreateScheduleGroup(input: OpInput): { ScheduleGroupArn: string } {
    const name = String(input.Name ?? '');
    if (this.groups.has(name)) throw new SimServiceError('ConflictException', `Schedule group ${name} already exists.`, 409);
    this.createScheduleGroup(name);
    return { ScheduleGroupArn: this.account.arn('scheduler', `schedule-group/${name}`) };
  }
}
