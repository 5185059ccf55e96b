/**
 * Heartbeats: while a wait loop (or a bucket copy of several invocations) runs, a line at least every
 * 30 s of the execution's time saying how long it has waited of its timeout and what the last check
 * saw (the snapshot's percent, the stack's newest events, objects and bytes copied of the bucket's
 * total). The figures come from the steps' outputs as the history records them (the StateExited
 * output of each check), so `watch` (GetExecutionHistory) and the rehearsal (the local executor's
 * events) print the same heartbeats from the same events. Shared by the packaged CLI: no simulator here.
 */
import type { BucketInventory, CopyTotals, WaitProgress, WaitState } from '../lambdas/shared/contracts';
import type { ProgressEvent } from './executor';

/** At least one heartbeat per this much execution time while a wait runs (issue 14). */
export const HEARTBEAT_MS = 30_000;

export interface Heartbeat {
  type: 'Heartbeat';
  /** When, in the execution's time (epoch ms): the rehearsal's simulated clock, AWS's for watch. */
  timestamp: number;
  machine: string;
  executionName: string;
  executionArn: string;
  /** What is being waited for ("stack orders-prod-tmp-1a2b to be created", "copy of bucket Uploads"). */
  label: string;
  elapsedSeconds: number;
  /** Absent for a copy: its invocations have the Lambda's timeout, the copy as a whole none. */
  timeoutSeconds?: number;
  percent?: number;
  latestEvents?: string[];
  copied?: { objects: number; bytes: number; totalObjects?: number; totalBytes?: number };
}

/** An AWS operation as the history shows it: from the first check of its wait to the check that saw it end. */
export interface ObservedOperation {
  executionArn: string;
  label: string;
  start: number;
  end: number;
}

interface Activity {
  executionArn: string;
  machine: string;
  executionName: string;
  label: string;
  /** The check state that last updated it, without " again" (waitLoop names its second check so). */
  check: string;
  startedAt: number;
  nextBeat: number;
  timeoutSeconds?: number;
  progress?: WaitProgress;
  copied?: Heartbeat['copied'];
  /** A Task still running (one invocation of a long step): how many of its iterations are in it. */
  running?: number;
}

interface StatusLike {
  status?: unknown;
  wait?: WaitState;
  progress?: WaitProgress;
}

interface CopyLike {
  status?: unknown;
  pair?: { logicalId?: unknown };
  continuation?: { totals?: CopyTotals };
  range?: unknown;
}

const END_TYPES = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);
const base = (state: string | undefined) => (state ?? '').replace(/ again$/, '');

/** Objects holding a wait loop's status result ({status, wait}), a few levels deep in a state's output. */
function statusResults(value: unknown, depth = 0, found: StatusLike[] = []): StatusLike[] {
  if (!value || typeof value !== 'object' || depth > 3) return found;
  if (Array.isArray(value)) return found;
  const o = value as Record<string, unknown>;
  const w = o.wait as WaitState | undefined;
  if (typeof o.status === 'string' && w && typeof w === 'object' && typeof w.startedAt === 'string' && typeof w.label === 'string') found.push(o as StatusLike);
  for (const v of Object.values(o)) statusResults(v, depth + 1, found);
  return found;
}

export class HeartbeatTracker {
  private readonly activities = new Map<string, Activity>();
  /** Per bucket copy followed, each key range's latest totals (noteCopy). */
  private readonly copyRanges = new Map<string, Map<string, { totals: CopyTotals; done: boolean }>>();
  private readonly entered = new Map<string, number>();
  /** Bucket totals from Migrate's inventory, by logical ID. */
  private readonly totals = new Map<string, { objects: number; bytes: number }>();
  /** Every wait that ended READY, for the critical path `watch` builds from the history. */
  readonly operations: ObservedOperation[] = [];
  /** `<executionArn>/<state>` of every Task that checked a wait (it only looks: not AWS work). */
  readonly checkStates = new Set<string>();

  constructor(
    private readonly emit: (beat: Heartbeat) => void,
    private readonly everyMs = HEARTBEAT_MS,
  ) {}

  /**
   * Takes one event, in time order: first every heartbeat due before it, then what it says (a check's
   * output opens, updates or closes a wait; a failure or the execution's end closes its waits).
   */
  observe(e: ProgressEvent): void {
    this.tick(e.timestamp);
    const key = `${e.executionArn}/${e.stateName ?? ''}`;
    if (e.type === 'StateEntered') this.entered.set(key, e.timestamp);
    if (e.stateType === 'Task') this.noteRunning(e);
    if (END_TYPES.has(e.type)) {
      for (const [k, a] of this.activities) if (a.executionArn === e.executionArn) this.activities.delete(k);
      return;
    }
    if (e.type === 'StateFailed' || e.type === 'StateCaught') {
      for (const [k, a] of this.activities) if (a.executionArn === e.executionArn && a.check === base(e.stateName)) this.activities.delete(k);
      return;
    }
    if (e.type !== 'StateExited' || !e.output || typeof e.output !== 'object') return;
    const output = e.output as Record<string, unknown>;
    this.noteInventory(output.inventory);
    if (e.stateType !== 'Task') return;
    const enteredAt = this.entered.get(key) ?? e.timestamp;
    this.noteWait(e, output, enteredAt);
    this.noteCopy(e, output.copy as CopyLike | undefined);
  }

  /** Emits every heartbeat due up to `now` (watch calls it after each poll, with the wall clock). */
  tick(now: number): void {
    for (const a of this.activities.values()) {
      // A running invocation beats only when nothing else of its execution does.
      if (a.running !== undefined && this.followed(a)) {
        while (a.nextBeat <= now) a.nextBeat += this.everyMs;
        continue;
      }
      while (a.nextBeat <= now) {
        this.emit({
          type: 'Heartbeat',
          timestamp: a.nextBeat,
          machine: a.machine,
          executionName: a.executionName,
          executionArn: a.executionArn,
          label: a.label,
          elapsedSeconds: Math.round((a.nextBeat - a.startedAt) / 1000),
          ...(a.timeoutSeconds !== undefined ? { timeoutSeconds: a.timeoutSeconds } : {}),
          ...(a.progress?.percent !== undefined ? { percent: a.progress.percent } : {}),
          ...(a.progress?.latestEvents?.length ? { latestEvents: a.progress.latestEvents } : {}),
          ...(a.copied ? { copied: a.copied } : {}),
        });
        a.nextBeat += this.everyMs;
      }
    }
  }

  private noteInventory(inventory: unknown): void {
    if (!Array.isArray(inventory)) return;
    for (const item of inventory as Partial<BucketInventory>[]) {
      const id = item.bucket?.logicalId;
      const c = item.counts;
      // With objectVersions "current", noncurrent versions are not carried (notCarried counts them).
      if (typeof id === 'string' && c) this.totals.set(id, { objects: c.currentObjects + (item.notCarried ? 0 : c.noncurrentVersions), bytes: c.bytes });
    }
  }

  /**
   * The wait this check updated: the status result checked during this Task (its check time, start
   * plus elapsed, not before the Task was entered), so an older loop's result left in the state is
   * never taken for the current one.
   */
  private noteWait(e: ProgressEvent, output: Record<string, unknown>, enteredAt: number): void {
    let fresh: { r: StatusLike; checkedAt: number } | undefined;
    for (const r of statusResults(output)) {
      const w = r.wait as WaitState;
      const startedAt = Date.parse(w.startedAt);
      const checkedAt = startedAt + (w.elapsedSeconds ?? 0) * 1000;
      if (!Number.isFinite(startedAt) || checkedAt < enteredAt - 1000) continue;
      if (!fresh || checkedAt > fresh.checkedAt) fresh = { r, checkedAt };
    }
    if (!fresh) return;
    this.checkStates.add(`${e.executionArn}/${e.stateName ?? ''}`);
    const w = fresh.r.wait as WaitState;
    const k = `${e.executionArn}/wait/${w.label}`;
    const startedAt = Date.parse(w.startedAt);
    if (fresh.r.status !== 'PENDING') {
      this.activities.delete(k);
      if (fresh.r.status === 'READY') this.operations.push({ executionArn: e.executionArn, label: w.label, start: startedAt, end: fresh.checkedAt });
      return;
    }
    const a = this.activities.get(k);
    if (a) Object.assign(a, { check: base(e.stateName), timeoutSeconds: w.timeoutSeconds, progress: fresh.r.progress });
    else this.activities.set(k, { ...this.who(e), label: w.label, check: base(e.stateName), startedAt, nextBeat: startedAt + this.everyMs, timeoutSeconds: w.timeoutSeconds, progress: fresh.r.progress });
  }

  /**
   * A copy that needs more invocations (CONTINUE) is followed like a wait; DONE ends it. A bucket
   * copied as key ranges (split-bucket) reports per range, in parallel: its figures are the sum of
   * each range's latest totals, and it ends when every range heard of is DONE.
   */
  private noteCopy(e: ProgressEvent, copy: CopyLike | undefined): void {
    const id = copy?.pair?.logicalId;
    const t = copy?.continuation?.totals;
    if (typeof id !== 'string' || !t || (copy?.status !== 'CONTINUE' && copy?.status !== 'DONE')) return;
    const k = `${e.executionArn}/copy/${id}`;
    const ranges = this.copyRanges.get(k) ?? new Map<string, { totals: CopyTotals; done: boolean }>();
    this.copyRanges.set(k, ranges);
    ranges.set(JSON.stringify(copy.range ?? {}), { totals: t, done: copy.status === 'DONE' });
    if ([...ranges.values()].every((r) => r.done)) {
      this.activities.delete(k);
      return;
    }
    let objects = 0;
    let bytes = 0;
    for (const r of ranges.values()) {
      objects += r.totals.objectsCopied + r.totals.objectsSkipped;
      bytes += r.totals.bytesCopied;
    }
    const total = this.totals.get(id);
    const copied = { objects, bytes, ...(total ? { totalObjects: total.objects, totalBytes: total.bytes } : {}) };
    const a = this.activities.get(k);
    const startedAt = a?.startedAt ?? this.entered.get(`${e.executionArn}/${e.stateName ?? ''}`) ?? e.timestamp;
    if (a) Object.assign(a, { copied, check: base(e.stateName) });
    else this.activities.set(k, { ...this.who(e), label: `copy of bucket ${id}`, check: base(e.stateName), startedAt, nextBeat: e.timestamp + this.everyMs, copied });
  }

  /**
   * One invocation of a step can run for minutes (a copy or a verification of up to 15): no output
   * until it ends, so no figure, but the heartbeat still comes, saying how long it has run. Opened when
   * the Task is entered, closed when it leaves (exited, failed or caught); parallel iterations of a
   * Map in the same Task state count as one.
   */
  private noteRunning(e: ProgressEvent): void {
    const k = `${e.executionArn}/task/${e.stateName ?? ''}`;
    const a = this.activities.get(k);
    if (e.type === 'StateEntered') {
      if (a) a.running = (a.running ?? 0) + 1;
      else this.activities.set(k, { ...this.who(e), label: `step "${e.stateName ?? ''}" to finish`, check: base(e.stateName), startedAt: e.timestamp, nextBeat: e.timestamp + this.everyMs, running: 1 });
    } else if (a && (e.type === 'StateExited' || e.type === 'StateFailed' || e.type === 'StateCaught')) {
      a.running = (a.running ?? 1) - 1;
      if (a.running <= 0) this.activities.delete(k);
    }
  }

  /**
   * Whether a wait or a copy of the same execution is followed: its heartbeats, with figures, already
   * say the execution is alive (a copy's next invocation is such a Task), so the running Task adds none.
   */
  private followed(running: Activity): boolean {
    for (const a of this.activities.values()) if (a.running === undefined && a.executionArn === running.executionArn) return true;
    return false;
  }

  private who(e: ProgressEvent) {
    return { executionArn: e.executionArn, machine: e.machine, executionName: e.executionName };
  }
}
