/**
 * `env-migrator recover <execution-arn>` for a blue/green migration. recover exists for a double clone
 * that failed once the original's deletion had started; blue/green never deletes the slot the record
 * points at before the switch, so there is never anything to clone back, and recover never starts a
 * Clone for it. What the operator needs instead is where things stand: which slot the entry point
 * serves, what became of the other one, whether the switch record is still open, and what to do.
 *
 * Read from the failed execution's history (Migrate's state at its notice: the switch, the switch
 * back, the compensation's record of each action) and checked against the account with real calls:
 * Route 53 ListResourceRecordSets (where the record points now) and GetChange (the last change of
 * this run, applied or not), CloudFormation DescribeStacks (each slot, its status and whether this run
 * created it, by its `env-migrator:execution` tag). Every outcome is a refusal but a success's.
 */
import type { CloudFormationClient, Stack } from '@aws-sdk/client-cloudformation';
import { GetChangeCommand, type Route53Client } from '@aws-sdk/client-route-53';
import type { EntryPointRef } from '../lambdas/shared/contracts';
import { pickEntryRecord, pointsAt as recordPointsAt, readEntryRecords, recordTarget, slotEndpoint } from '../lambdas/shared/entry-point';
import { parseObject } from '../lambdas/shared/json-object';
import { describeStack } from '../lambdas/shared/stacks';
import { TAGS } from '../lambdas/steps';
import type { FailedMigration } from './recover-core';

export interface BlueGreenClients {
  route53: Route53Client;
  cloudformation: CloudFormationClient;
}

/** One compensation action as Migrate recorded it: done, failed (its error), or not run. */
export type ActionRecord = { done: true } | { done: false; error: string } | undefined;

/** What the failed run's history says about its blue/green part. */
export interface BlueGreenHistory {
  entryPoint: EntryPointRef;
  /** The slot the input named: the live one when the run started, if the input was right. */
  previousSlot: string;
  /** The other slot: the clone's destination, the new slot after a switch. */
  newSlot: string;
  runId?: string;
  outcome?: string;
  failedState?: string;
  /** "<Error>: <Cause>" of the failure. */
  error?: string;
  /** The switch record was written (record-switch ran): `env-migrator rollback` may act on it while it is open. */
  switchRecordWritten: boolean;
  switchedAt?: string;
  /** Route 53 change ids of this run: the switch's and the switch back's (null: nothing was changed). */
  switchChangeId?: string | null;
  switchBackChangeId?: string | null;
  /** Migrate's compensation after the switch ran (its "Undo the switch"). */
  afterSwitch?: { switchBack: ActionRecord; closeSwitchRecord: ActionRecord; previousBackInService: ActionRecord; newSlotInStandby: ActionRecord };
  /** Phase A ran: the idle slot's deletion (only when this run created it) and the live slot's return to service. */
  beforeSwitch?: { deleteIdle: ActionRecord; exitStandby: ActionRecord };
  /** The switch was refused and "Mark the switch not made" closed the switch record. */
  switchMarkedNotMade: boolean;
}

export interface ObservedSlot {
  stackName: string;
  /** Null when no stack has that name. */
  status: string | null;
  stackId?: string;
  /** Its `env-migrator:execution` tag names the failed execution: this run created it. */
  createdByThisRun: boolean;
}

/** What the account shows now. */
export interface ObservedEntryPoint {
  /** The slot the record points at, null when it points at neither (or cannot be read). */
  pointsAt: string | null;
  /** Where the record sends clients, or why it cannot be told. */
  record: string;
  slots: ObservedSlot[];
  /** The last Route 53 change of this run, as GetChange answers now. */
  change?: { id: string; status: string; of: 'switch' | 'switch back' };
}

export type BlueGreenSituation =
  | 'SUCCEEDED'
  | 'STILL_RUNNING'
  | 'FAILED_BEFORE_SWITCH'
  | 'SWITCHED_BACK'
  | 'SWITCHED_NOT_RETIRED'
  | 'COMPENSATION_INCOMPLETE'
  | 'NO_ENDING';

export interface BlueGreenAssessment {
  verdict: 'NOTHING_TO_RECOVER' | 'REFUSED';
  situation: BlueGreenSituation;
  /** The slot the entry point serves now (the data's home), null when none can be named. */
  serving: string | null;
  reason: string;
  /** The record and each slot as found, one line each. */
  state: string[];
  leftToDo: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** "<Error>: <message>": a Lambda step's Cause is its error as JSON (errorMessage, trace): the message alone. */
function errorText(e: Record<string, unknown>): string {
  const cause = str(e.Cause) ?? '';
  return `${e.Error as string}: ${str(parseObject(cause)?.errorMessage) ?? cause}`.trim();
}

/** `{status: 'DONE'}` → done; `{Error, Cause}` → failed; absent → not run. */
function actionOf(v: unknown): ActionRecord {
  const o = obj(v);
  if (!o) return undefined;
  if (o.status === 'DONE') return { done: true };
  if (str(o.Error)) return { done: false, error: errorText(o) };
  return undefined;
}

/**
 * The blue/green facts of a failed (or stopped) Migrate execution, from its state at the notice, or,
 * without a notice, from its input alone. Undefined when the input names no entry point or slots.
 * Pure.
 */
export function blueGreenHistoryOf(m: FailedMigration): BlueGreenHistory | undefined {
  const state = m.stateAtNotice;
  const input = obj(state?.input) ?? m.executionInput;
  const entryPoint = obj(input?.entryPoint) as EntryPointRef | undefined;
  const slots = input?.slots;
  const previousSlot = str(input?.stackName);
  if (!entryPoint || !str(entryPoint.hostedZoneId) || !str(entryPoint.recordName) || !Array.isArray(slots) || !previousSlot) return undefined;
  const newSlot = str(obj(state?.blueGreen)?.idleSlot) ?? (slots as unknown[]).map(str).find((s) => s !== undefined && s !== previousSlot);
  if (!newSlot) return undefined;
  const compensation = obj(state?.compensation) ?? {};
  const notice = obj(state?.notice);
  const error = obj(notice?.error) ?? obj(state?.error);
  const switchPlan = obj(state?.switchPlan);
  const sw = obj(state?.switch);
  const back = obj(state?.switchBack);
  const undone = 'switchBack' in compensation;
  return {
    entryPoint,
    previousSlot,
    newSlot,
    ...(str(state?.runId) ? { runId: state!.runId as string } : {}),
    ...(m.notice?.outcome ? { outcome: m.notice.outcome } : {}),
    ...(m.notice?.failedState ? { failedState: m.notice.failedState } : {}),
    ...(error && str(error.Error) ? { error: errorText(error) } : {}),
    switchRecordWritten: switchPlan !== undefined,
    ...(str(switchPlan?.switchedAt) ? { switchedAt: switchPlan!.switchedAt as string } : {}),
    ...(sw ? { switchChangeId: str(sw.changeId) ?? null } : {}),
    ...(back ? { switchBackChangeId: str(back.changeId) ?? null } : {}),
    ...(undone
      ? {
          afterSwitch: {
            switchBack: actionOf(compensation.switchBack),
            closeSwitchRecord: actionOf(compensation.closeSwitchRecord),
            previousBackInService: actionOf(compensation.exitStandby),
            newSlotInStandby: actionOf(compensation.standbyNewSlot),
          },
        }
      : 'deleteTemporaryStack' in compensation || 'exitStandby' in compensation || 'deleteSnapshots' in compensation
        ? { beforeSwitch: { deleteIdle: actionOf(compensation.deleteTemporaryStack), exitStandby: actionOf(compensation.exitStandby) } }
        : {}),
    switchMarkedNotMade: obj(state?.closedSwitch) !== undefined && !undone,
  };
}

/**
 * Reads where the entry point points now and both slots (ListResourceRecordSets, DescribeStacks), and
 * the status of this run's last Route 53 change (GetChange). Returns what it found; a record that
 * cannot be told apart is described, not thrown. Throws what the SDK throws (permissions, no such zone).
 */
export async function observeEntryPoint(c: BlueGreenClients, h: BlueGreenHistory, executionArn: string): Promise<ObservedEntryPoint> {
  const stacks = new Map<string, Stack | undefined>();
  for (const slot of [h.previousSlot, h.newSlot]) stacks.set(slot, await describeStack(c.cloudformation, slot));
  const slots: ObservedSlot[] = [...stacks].map(([stackName, s]) => ({
    stackName,
    status: s?.StackStatus ?? null,
    ...(s?.StackId ? { stackId: s.StackId } : {}),
    createdByThisRun: s?.Tags?.some((t) => t.Key === TAGS.execution && t.Value === executionArn) ?? false,
  }));
  const picked = pickEntryRecord(await readEntryRecords(c.route53, h.entryPoint), h.entryPoint);
  let pointsAt: string | null = null;
  let record: string;
  if ('problems' in picked) {
    record = `cannot be read as the entry point: ${picked.problems.join('; ')}`;
  } else {
    const target = recordTarget(picked.record);
    // Points at a slot as the entry-point step and the switch decide it (pointsAt).
    const matching = [...stacks].filter(([, s]) => {
      const endpoint = s ? slotEndpoint(s) : undefined;
      return endpoint !== undefined && typeof endpoint !== 'string' && recordPointsAt(picked.record, endpoint);
    });
    pointsAt = matching.length === 1 ? matching[0]![0] : null;
    record = `${picked.record.Type}${picked.record.AliasTarget ? ' alias' : ''} → ${target}${pointsAt ? ` (${pointsAt})` : matching.length > 1 ? ' (the endpoint of both slots)' : ' (neither slot)'}`;
  }
  const last = h.switchBackChangeId ? { id: h.switchBackChangeId, of: 'switch back' as const } : h.switchChangeId ? { id: h.switchChangeId, of: 'switch' as const } : undefined;
  let change: ObservedEntryPoint['change'];
  if (last) {
    const got = await c.route53.send(new GetChangeCommand({ Id: last.id }));
    change = { ...last, status: got.ChangeInfo?.Status ?? 'UNKNOWN' };
  }
  return { pointsAt, record, slots, ...(change ? { change } : {}) };
}

const failedText = (a: ActionRecord) => (a && !a.done ? a.error : 'not run');

/**
 * Decides what recover says about a blue/green migration: never a recovery. Pure. SUCCEEDED and a
 * run still going are said as such; every failure is a refusal naming where the entry point points,
 * what each slot is, and what is left to do: (a) failed before the switch, the live slot serves;
 * (b) switched back, the previous slot serves and the new one is kept for inspection; (c) the
 * compensation did not finish (the record may still point at the new slot, the switch record still
 * open): exactly what is where, and `env-migrator rollback` when the switch record is open.
 */
export function assessBlueGreen(m: FailedMigration, h: BlueGreenHistory | undefined, o: ObservedEntryPoint | undefined): BlueGreenAssessment {
  const record = h?.entryPoint.recordName ?? 'the entry point';
  const slotOf = (name: string) => o?.slots.find((s) => s.stackName === name);
  const describe = (name: string | undefined, role: string) => {
    const s = name ? slotOf(name) : undefined;
    if (!name || !s) return `${name ?? '?'}: ${role}`;
    return `${name}: ${s.status ?? 'does not exist'}${s.status ? `${s.createdByThisRun ? ', created by this run' : ''}${s.stackId ? ` (${s.stackId})` : ''}` : ''}; ${role}`;
  };
  const state = o && h
    ? [
        `record ${record}: ${o.record}${o.change ? `; this run's ${o.change.of} ${o.change.id} is ${o.change.status}` : ''}`,
        describe(h.previousSlot, 'the slot the run started from'),
        describe(h.newSlot, 'the idle slot this run cloned into'),
        `switch record (entry-points/${h.entryPoint.hostedZoneId.replace(/^\/hostedzone\//, '')}/${record.toLowerCase().replace(/\.$/, '')}/switch.json): ${
          !h.switchRecordWritten ? 'not written by this run' : h.afterSwitch?.closeSwitchRecord?.done || h.switchMarkedNotMade ? 'marked by this run (env-migrator rollback refuses it)' : 'OPEN (env-migrator rollback acts on it)'
        }`,
      ]
    : [];
  const refuse = (situation: BlueGreenSituation, serving: string | null, reason: string, leftToDo: string[] = []): BlueGreenAssessment => ({ verdict: 'REFUSED', situation, serving, reason, state, leftToDo });

  if (m.status === 'RUNNING' || m.status === 'PENDING_REDRIVE') {
    return refuse('STILL_RUNNING', null, `execution ${m.executionArn} is ${m.status}: it compensates on its own if it fails; wait for it to end (env-migrator watch)`);
  }
  if (m.status === 'SUCCEEDED') {
    const facts = obj(m.output?.blueGreen);
    const live = str(facts?.liveSlot) ?? str(m.output?.stackName) ?? null;
    return {
      verdict: 'NOTHING_TO_RECOVER',
      situation: 'SUCCEEDED',
      serving: live,
      reason: `the blue/green migration succeeded: ${live ?? 'the new slot'} serves through ${str(obj(facts?.entryPoint)?.recordName) ?? 'the entry point'}${str(facts?.previousSlot) ? `; ${facts!.previousSlot as string} is in standby as the rollback point until ${str(facts?.retireAt) ?? 'its retire run'} (${str(facts?.rollbackCommand) ?? 'env-migrator rollback'})` : ''}`,
      state,
      leftToDo: [],
    };
  }
  if (!h || !o) {
    return refuse('NO_ENDING', null, `execution ${m.executionArn} is ${m.status} and its history and input name no entry point and slots: check the record and both slots by hand`);
  }
  const { previousSlot: previous, newSlot: next } = h;
  const why = `${h.failedState ? ` at "${h.failedState}"` : ''}${h.error ? ` (${h.error})` : ''}`;
  const rerun = `fix the cause, then start the migration again with stackName ${o.pointsAt ?? previous}`;
  const rollback = `env-migrator rollback --environment ${record}`;
  const nextSlot = slotOf(next);
  const prevSlot = slotOf(previous);

  // No ending (stopped, timed out, an uncaught error): no compensation ran, whatever it left is as it was.
  if (!m.notice) {
    const left = [
      `the execution ended ${m.status} without its compensation: the locks of ${record}, ${previous} and ${next} may still be held (env-migrator unlock --stack <key>, README "After the switch")`,
      ...(o.pointsAt === next && h.switchRecordWritten ? [`the record points at ${next}, which was verified before the switch; to go back to ${previous}: ${rollback}`] : []),
      ...(o.pointsAt === previous && nextSlot?.status && nextSlot.createdByThisRun ? [`${next} (created by this run, not serving) is left as it was: delete it by hand once checked, or the next migration refuses it (IdleSlotOccupied)`] : []),
      `the instances of ${previous} may still be in standby (the run put them there and never returned them): check its Auto Scaling groups before anything else if the record points at it`,
    ];
    return refuse('NO_ENDING', o.pointsAt, `nothing to recover by cloning: execution ${m.executionArn} is ${m.status} and never reached its ending${m.error ? ` (${m.error})` : ''}; ${o.pointsAt ? `the record points at ${o.pointsAt}` : `the record points at neither slot`}`, left);
  }

  // The new slot serves: the switch and the smoke test through the record succeeded, something after it failed.
  if (!h.afterSwitch && h.outcome !== 'SUCCEEDED' && o.pointsAt === next && h.switchRecordWritten && !h.switchMarkedNotMade) {
    return refuse('SWITCHED_NOT_RETIRED', next, `nothing to recover: ${next} serves through ${record} (switched and verified through the record); the run failed after the switch${why}; ${previous} stays in standby as the rollback point`, [
      `${previous} has no retire run scheduled: delete it by hand once you no longer need it as the rollback point (empty its buckets first), or go back to it with ${rollback}`,
    ]);
  }

  // (a) Before the switch: the record was never changed by this run.
  if (!h.afterSwitch) {
    if (o.pointsAt !== previous) {
      if (h.failedState === 'Is the stack the live slot?' && o.pointsAt) {
        return refuse('FAILED_BEFORE_SWITCH', o.pointsAt, `nothing to recover: ${o.pointsAt} serves (the record ${record} points at it) and nothing was touched: the input named ${previous}, the idle slot (a stale pipeline?)`, [
          `start the migration with stackName ${o.pointsAt}`,
        ]);
      }
      return refuse(
        'COMPENSATION_INCOMPLETE',
        o.pointsAt,
        `the migration failed before the switch${why}, but the record ${record} now points at ${o.pointsAt ?? 'neither slot'}, not at ${previous}: this run did not make that change (someone else did, or the record was changed since)`,
        [`find who changed ${record} (Route 53 console, CloudTrail ChangeResourceRecordSets) before running anything; recover does not act on it`],
      );
    }
    const idle =
      !nextSlot?.status
        ? `the idle slot ${next} does not exist${h.beforeSwitch?.deleteIdle?.done ? ' (this run\'s copy was deleted)' : ''}`
        : nextSlot.createdByThisRun
          ? `the idle slot ${next} still exists (${nextSlot.status}), created by this run: its deletion ${h.beforeSwitch?.deleteIdle && !h.beforeSwitch.deleteIdle.done ? `failed (${h.beforeSwitch.deleteIdle.error})` : 'did not complete'}`
          : `the idle slot ${next} exists (${nextSlot.status}) and was not created by this run: kept as it was`;
    const left = [
      ...(nextSlot?.status && nextSlot.createdByThisRun ? [`delete ${next} (this run's unverified or differing copy, not serving; empty its buckets first): the next migration refuses an occupied idle slot (IdleSlotOccupied)`] : []),
      ...(h.beforeSwitch?.exitStandby && !h.beforeSwitch.exitStandby.done ? [`return the instances of ${previous} to service: the compensation could not (${failedText(h.beforeSwitch.exitStandby)})`] : []),
      rerun,
    ];
    return refuse('FAILED_BEFORE_SWITCH', previous, `nothing to recover: ${previous} serves (the record ${record} points at it); ${idle}. The migration failed before the switch${why}`, left);
  }

  // After the switch: Migrate switched back, or tried to.
  const a = h.afterSwitch;
  const backApplied = o.pointsAt === previous;
  const changeSettled = !o.change || o.change.of !== 'switch back' || o.change.status === 'INSYNC';
  const complete = backApplied && changeSettled && a.switchBack?.done === true && a.closeSwitchRecord?.done === true && a.previousBackInService?.done === true && a.newSlotInStandby?.done === true;
  const inspect = `inspect ${next} (kept, not retired${a.newSlotInStandby?.done ? ', its instances in standby' : ''}): writes made through ${record} between the switch${h.switchedAt ? ` at ${h.switchedAt}` : ''} and the switch back are only there; then delete it by hand with the DB snapshots em-${h.runId ?? '<runId>'}-* it restores from`;
  if (complete) {
    return refuse('SWITCHED_BACK', previous, `nothing to recover: ${previous} serves again (the record ${record} points back at it${o.change ? `, change ${o.change.id} ${o.change.status}` : ''}); the new slot ${next} (${nextSlot?.status ?? 'gone'}) is kept for inspection. The run failed after the switch${why}`, [
      inspect,
      `${rerun}: the next run refuses while ${next} exists (IdleSlotOccupied)`,
    ]);
  }

  // (c) The compensation did not finish: say exactly what is where.
  const left: string[] = [];
  let reason: string;
  if (o.pointsAt === next) {
    const down = a.newSlotInStandby?.done ? `, whose instances the compensation put in standby: nothing may answer through ${record}` : '';
    reason = `the switch back did not happen${a.switchBack && !a.switchBack.done ? ` (${a.switchBack.error})` : ''}: the record ${record} still points at the new slot ${next}${down}. ${previous} is ${a.previousBackInService?.done ? 'back in service but receives no traffic' : 'still in standby'}`;
    if (!h.afterSwitch.closeSwitchRecord?.done) {
      left.push(
        `switch back with ${rollback}: the switch record is open. It first compares ${next}'s statistics with those at the switch and refuses when they changed or cannot be read${a.newSlotInStandby?.done ? ` (its instances are in standby: return them to service first)` : ''}, unless --accept-discarding-writes`,
      );
    } else {
      left.push(`the switch record is already marked rolled back, so ${rollback} refuses: switch ${record} back to ${previous} by hand (Route 53 console: the record's target to ${previous}'s ServiceUrl host)`);
    }
  } else if (backApplied) {
    reason = `the record ${record} points back at ${previous}${o.change ? ` (change ${o.change.id} is ${o.change.status}${o.change.status === 'INSYNC' ? '' : ': not yet on every Route 53 server'})` : ''}, but the compensation did not finish`;
    if (!a.closeSwitchRecord?.done) left.push(`the switch record still claims ${next} is live: ${rollback} will refuse it (the record points elsewhere); nothing else reads it until the next switch of ${record} replaces it`);
    if (!a.previousBackInService?.done) left.push(`return the instances of ${previous} to service: the compensation could not (${failedText(a.previousBackInService)})`);
    if (!a.newSlotInStandby?.done) left.push(`put the instances of ${next} in standby (or delete ${next} once inspected): the compensation could not (${failedText(a.newSlotInStandby)}), so they may still write`);
    left.push(inspect);
  } else {
    reason = `the record ${record} points at ${o.pointsAt ?? 'neither slot'} (${o.record}): neither the switch nor the switch back of this run left it there`;
    left.push(`find who changed ${record} (CloudTrail ChangeResourceRecordSets) and point it at the slot that holds the data: ${previous} unless writes were made through ${record} to ${next} since ${h.switchedAt ?? 'the switch'}`);
  }
  if (!prevSlot?.status) left.push(`${previous} does not exist any more: it was deleted outside this run`);
  left.push(`once ${record} serves the slot that holds the data, fix the cause and start the migration again with that slot as stackName`);
  return refuse('COMPENSATION_INCOMPLETE', o.pointsAt, `${reason}. The migration failed after the switch${why}`, left);
}
