/**
 * The downtime of a migration, as the end summary of `watch` and of the rehearsal states it: from the
 * instances entering standby to the new environment verified (the second clone's end), or to the end
 * of the execution when it never got there (blue/green: to the switch seen INSYNC plus the record's
 * TTL, bench/metrics.ts blueGreenDowntime, as the benchmark measures it), and where it went: the critical path as the benchmark
 * measures it (bench/metrics.ts criticalPath: AWS work laid end to end, the gaps between them ours).
 * The rehearsal feeds it what the simulated account recorded (every AWS operation's real end);
 * `watch` what the history shows (an operation ends at the check that saw it end, so the time
 * between the two counts as AWS's, not ours). Shared by the packaged CLI: no simulator here.
 */
import { type BlueGreenMarks, type CriticalPath, blueGreenDowntime, criticalPath } from '../bench/metrics';
import type { Interval } from '../bench/observe';
import type { LabelledInterval } from '../bench/baseline';
import type { ProgressEvent } from './executor';
import type { ObservedOperation } from './heartbeat';
import { STANDBY_STATE } from '../statemachine/downtime-states';
import { hms } from '../cli/durations';

export interface DowntimeSummary {
  /** Standby to verified (or to the end of the execution), in seconds. */
  seconds: number;
  from: string;
  to: string;
  /**
   * `verified`: the window ends with the second clone's verification; `switched` (blue/green): with
   * the switch seen INSYNC plus the record's TTL; `ended`: with the execution.
   */
  until: 'verified' | 'switched' | 'ended';
  /** Where the numbers come from: the simulated account's records, or the execution history. */
  measuredFrom: 'simulation' | 'history';
  awsSeconds: number;
  overheadSeconds: number;
  overheadPercent: number;
  /** The AWS work on the path, in order, and our time before each piece. */
  path: { label: string; from: string; awsSeconds: number; oursBeforeSeconds: number }[];
  oursAfterSeconds: number;
  breakdown: CriticalPath['breakdown'];
  /**
   * Blue/green: the TTL added after INSYNC (resolvers may keep the previous slot's answer that long),
   * and the switch (entering "Switch the entry point" to INSYNC, plus the TTL) with its share of `seconds`.
   */
  blueGreen?: { ttlSeconds: number; switchSeconds: number; switchShare: number };
}

const iso = (ms: number) => new Date(ms).toISOString();
const r1 = (n: number) => Math.round(n * 10) / 10;

/** The summary of one critical path over its window. */
export function downtimeSummary(path: CriticalPath, until: DowntimeSummary['until'], measuredFrom: DowntimeSummary['measuredFrom'], blueGreen?: DowntimeSummary['blueGreen']): DowntimeSummary {
  const { window } = path;
  return {
    ...(blueGreen ? { blueGreen } : {}),
    seconds: Math.round((window.end - window.start) / 1000),
    from: iso(window.start),
    to: iso(window.end),
    until,
    measuredFrom,
    awsSeconds: r1(path.awsSeconds),
    overheadSeconds: r1(path.overheadSeconds),
    overheadPercent: Math.round(path.overheadPercent * 100) / 100,
    path: path.segments.map((s) => ({ label: s.label, from: iso(s.start), awsSeconds: r1(s.awsSeconds), oursBeforeSeconds: r1(s.oursBeforeSeconds) })),
    oursAfterSeconds: r1(path.oursAfterSeconds),
    breakdown: { pollWaitSeconds: r1(path.breakdown.pollWaitSeconds), lambdaSeconds: r1(path.breakdown.lambdaSeconds), orchestrationSeconds: r1(path.breakdown.orchestrationSeconds) },
  };
}

const UNTIL: Record<DowntimeSummary['until'], string> = {
  verified: 'new environment verified',
  switched: 'switch in sync + TTL',
  ended: 'end of the execution',
};

/** The summary for people: the total, then each piece of the path. */
export function downtimeLines(d: DowntimeSummary): string[] {
  const bg = d.blueGreen;
  const lines = [
    `downtime            ${hms(d.seconds)} (standby → ${UNTIL[d.until]}; from the ${d.measuredFrom === 'simulation' ? 'simulated account' : 'execution history'})`,
    // Resolvers may answer with the previous slot (in standby) for the TTL after INSYNC: part of the downtime.
    ...(bg && d.until === 'switched'
      ? [`  DNS caches (TTL)   ${bg.ttlSeconds} s`, `  the switch         ${bg.switchSeconds.toFixed(0)} s (→ INSYNC + TTL), ${(100 * bg.switchShare).toFixed(1)} % of the downtime`]
      : []),
    `  where it went      AWS ${hms(d.awsSeconds)}, the workflow's own ${d.overheadSeconds.toFixed(1)} s (${d.overheadPercent.toFixed(2)} %: waiting for the next check ${d.breakdown.pollWaitSeconds.toFixed(1)} s, Lambda ${d.breakdown.lambdaSeconds.toFixed(1)} s, orchestration ${d.breakdown.orchestrationSeconds.toFixed(1)} s)`,
  ];
  // From the history an operation ends at the check that saw it end: the lag is in AWS's share.
  if (d.measuredFrom === 'history') lines.push(`  (from the history, an AWS operation counts until the check that saw it end: the time to notice is inside AWS's share)`);
  for (const p of d.path) lines.push(`  ${p.label.padEnd(48)} ${hms(p.awsSeconds).padStart(16)}   ours before ${p.oursBeforeSeconds.toFixed(1)} s`);
  if (d.oursAfterSeconds > 0) lines.push(`  ${'(after the last AWS work)'.padEnd(48)} ${''.padStart(16)}   ours ${d.oursAfterSeconds.toFixed(1)} s`);
  return lines;
}


/**
 * The downtime as `watch` reads it from the history of Migrate and its Clones (events in time order):
 * from entering "Put the instances in standby" to the end of the second Clone execution when it
 * reported the copy EQUAL (its ExecutionSucceeded event's output), else to the end of Migrate. AWS work: the waits that ended READY (from their first check
 * to the check that saw the end) and every Task that is not a wait's check nor a Clone's start;
 * ours: the Wait states, and the Lambda tasks. Undefined when the instances never entered standby.
 */
export function downtimeFromHistory(
  events: readonly ProgressEvent[],
  seen: { operations: readonly ObservedOperation[]; checkStates: ReadonlySet<string> },
  topMachine: string,
  clones: { arns: readonly string[]; startedBy: ReadonlySet<string> },
): DowntimeSummary | undefined {
  const { operations, checkStates } = seen;
  const cloneArns = clones.arns;
  const standby = events.find((e) => e.machine === topMachine && e.type === 'StateEntered' && e.stateName === STANDBY_STATE);
  if (!standby) return undefined;
  const ends = new Map<string, ProgressEvent>();
  for (const e of events) if (/^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(e.type)) ends.set(e.executionArn, e);
  // Clone 2 by name: a live sync starts its PREPARE (`<runId>-live`) first.
  const secondArn = cloneArns.find((arn) => arn.endsWith('-c2'));
  const second = secondArn ? ends.get(secondArn) : undefined;
  const top = events.find((e) => e.machine === topMachine)?.executionArn;
  const last = (top ? ends.get(top) : undefined) ?? events[events.length - 1];
  // A Clone that found a difference still succeeds (outcome MISMATCH): verified only when EQUAL.
  const verified = second?.type === 'ExecutionSucceeded' && (second.output as { outcome?: unknown } | undefined)?.outcome === 'EQUAL';
  const window: Interval = { start: standby.timestamp, end: verified && second ? second.timestamp : (last?.timestamp ?? standby.timestamp) };

  const open = new Map<string, ProgressEvent>();
  const tasks: LabelledInterval[] = [];
  const waits: Interval[] = [];
  const checks: LabelledInterval[] = [];
  for (const e of events) {
    const key = `${e.executionArn}/${e.stateName ?? ''}`;
    if (e.type === 'StateEntered') open.set(key, e);
    else if (e.type === 'StateExited' || e.type === 'StateFailed') {
      const entered = open.get(key);
      open.delete(key);
      if (!entered) continue;
      const span = { start: entered.timestamp, end: e.timestamp };
      if (entered.stateType === 'Wait') waits.push(span);
      // A Clone's start spans the whole Clone: its own states are counted instead. A check only looks.
      else if (entered.stateType === 'Task' && !clones.startedBy.has(key)) (checkStates.has(key) ? checks : tasks).push({ label: entered.stateName ?? 'task', ...span });
    }
  }
  const work: LabelledInterval[] = [...operations.map((o) => ({ label: o.label, start: o.start, end: o.end })), ...tasks];
  return downtimeSummary(criticalPath(window, work, waits, [...tasks, ...checks]), verified ? 'verified' : 'ended', 'history');
}

/**
 * The downtime of a blue/green run (`rehearse --strategy blue-green`, as `bench --strategy blue-green`
 * measures it): bench/metrics.ts blueGreenDowntime's window over the AWS work given, the resolvers'
 * caches after INSYNC counted as AWS time (a segment "DNS caches (TTL)"), the switch's seconds and share.
 */
export function blueGreenDowntimeSummary(
  marks: BlueGreenMarks,
  ttlSeconds: number,
  recorded: { work: readonly LabelledInterval[]; waits: readonly Interval[]; lambdas: readonly Interval[] },
  measuredFrom: DowntimeSummary['measuredFrom'],
): DowntimeSummary {
  const bg = blueGreenDowntime(marks, ttlSeconds);
  const path = criticalPath(bg.window, bg.dnsCaches ? [...recorded.work, bg.dnsCaches] : recorded.work, recorded.waits, recorded.lambdas);
  if (!bg.switch) return downtimeSummary(path, bg.until, measuredFrom);
  const seconds = (bg.window.end - bg.window.start) / 1000;
  const switchSeconds = (bg.switch.end - bg.switch.start) / 1000;
  return downtimeSummary(path, bg.until, measuredFrom, { ttlSeconds, switchSeconds: r1(switchSeconds), switchShare: seconds > 0 ? Math.round((1000 * switchSeconds) / seconds) / 1000 : 0 });
}
