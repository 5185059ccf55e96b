/**
 * Prints an execution as it runs: one line per state entered, with the simulated time since the
 * start, nested executions (Clone started by Migrate) indented under their parent, retries and
 * failures called out. Wait loops are folded: a check that is still pending prints once, then a
 * counter, so a two-hour snapshot does not scroll the screen away.
 */
import { isCancelCheckState } from '../statemachine/cancel-names';
import type { ProgressEvent } from './executor';
import { type Heartbeat, HeartbeatTracker, type ObservedOperation } from './heartbeat';
import { shortDuration } from '../cli/durations';

export interface ProgressPrinter {
  (event: ProgressEvent): void;
  statesExecuted: () => number;
  /** Heartbeats due up to `now` (watch, between polls of a running execution). */
  tick: (now: number) => void;
  /** The waits that ended READY, as the history showed them (watch's critical path). */
  seen: () => { operations: readonly ObservedOperation[]; checkStates: ReadonlySet<string> };
}

export interface PrinterOptions {
  /**
   * `--json`: one JSON line per event (every state entered, failure, retry, heartbeat, execution
   * start and end), beside the lines for people. Each has `event` ("state" or "heartbeat").
   */
  jsonLine?: (line: string) => void;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

const QUIET_TYPES = new Set(['Wait', 'Pass']);
/** Events that become JSON lines under --json: every state entered (wait loops' included), and what went wrong. */
const JSON_TYPES = new Set(['StateEntered', 'StateRetried', 'StateCaught', 'StateFailed', 'ExecutionStarted', 'ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

const GiB = 1024 ** 3;
const size = (bytes: number) => (bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`);

/** A heartbeat for people: what, how long of how long, and what the last check saw. */
export function heartbeatText(h: Heartbeat): string {
  const parts = [`waiting for ${h.label}: ${shortDuration(h.elapsedSeconds)}${h.timeoutSeconds !== undefined ? ` of ${shortDuration(h.timeoutSeconds)}` : ''}`];
  if (h.percent !== undefined) parts.push(`${h.percent} %`);
  if (h.copied) {
    const c = h.copied;
    parts.push(`${c.objects.toLocaleString('en-US')}${c.totalObjects !== undefined ? ` of ${c.totalObjects.toLocaleString('en-US')}` : ''} objects, ${size(c.bytes)}${c.totalBytes !== undefined ? ` of ${size(c.totalBytes)}` : ''} copied`);
  }
  // "2025-01-01T00:12:03.000Z Database CREATE_IN_PROGRESS" reads as "00:12:03 Database CREATE_IN_PROGRESS".
  if (h.latestEvents?.length) parts.push(`latest: ${h.latestEvents.map((e) => e.replace(/^\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)(\.\d+)?Z/, '$1')).join(' · ')}`);
  return parts.join(', ');
}

export function progressPrinter(write: (line: string) => void, topMachine: string, options: PrinterOptions = {}): ProgressPrinter {
  let states = 0;
  let startedAt: number | undefined;
  const { jsonLine } = options;
  const at = (timestamp: number) => `[+${clock(timestamp - (startedAt ?? timestamp))}]`;
  const tracker = new HeartbeatTracker((h) => {
    const indent = h.machine === topMachine ? '' : '    │ ';
    write(`${at(h.timestamp)} ${indent}  ⋯ ${heartbeatText(h)}`);
    if (jsonLine) {
      const { type: _t, timestamp, executionName, ...rest } = h;
      jsonLine(JSON.stringify({ event: 'heartbeat', at: new Date(timestamp).toISOString(), sinceStartSeconds: Math.round((timestamp - (startedAt ?? timestamp)) / 1000), execution: executionName, ...rest }));
    }
  });
  const json = (event: ProgressEvent) => {
    if (!jsonLine || !JSON_TYPES.has(event.type)) return;
    jsonLine(
      JSON.stringify({
        event: 'state',
        at: new Date(event.timestamp).toISOString(),
        sinceStartSeconds: Math.round((event.timestamp - (startedAt ?? event.timestamp)) / 1000),
        type: event.type,
        machine: event.machine,
        execution: event.executionName,
        executionArn: event.executionArn,
        ...(event.stateName !== undefined ? { state: event.stateName } : {}),
        ...(event.stateType !== undefined ? { stateType: event.stateType } : {}),
        ...(event.error ? { error: event.error, cause: summarizeCause(event.cause, 2000) } : {}),
      }),
    );
  };
  // A Clone followed on its own (`recover` watches the recovery's Clone) is not a migration.
  const top = /^Clone/.test(topMachine) ? 'Clone' : /^(Retire|Rollback)/.test(topMachine) ? topMachine : 'Migration';
  const recent: string[] = [];
  let folded = 0;
  const flushFolded = (indent: string) => {
    if (folded > 0) write(`${' '.repeat(12)}${indent}  … checked ${folded} more time${folded === 1 ? '' : 's'}`);
    folded = 0;
  };
  const printer = ((event: ProgressEvent) => {
    startedAt ??= event.timestamp;
    // Heartbeats due before this event first, then what it changes.
    tracker.observe(event);
    json(event);
    print(event);
  }) as ProgressPrinter;
  const print = (event: ProgressEvent) => {
    const indent = event.machine === topMachine ? '' : '    │ ';
    const at = `[+${clock(event.timestamp - (startedAt ?? event.timestamp))}]`;
    switch (event.type) {
      case 'StateEntered': {
        states += 1;
        // The cancel checks of every wait loop (env-migrator cancel) would unfold the loop's folding:
        // quiet; one that finds a request leads to a printed state ("Cancelled (…)", a Fail).
        if (QUIET_TYPES.has(event.stateType ?? '') || isCancelCheckState(event.stateName)) return;
        // A state met again among the last few printed is a wait loop going round: count, don't print.
        const key = `${event.executionName}/${event.stateName}`;
        if (recent.includes(key)) {
          if (event.stateType === 'Task') folded += 1;
          return;
        }
        flushFolded(indent);
        recent.push(key);
        if (recent.length > 3) recent.shift();
        const marker = event.stateType === 'Choice' ? '?' : event.stateType === 'Fail' ? '✗' : event.stateType === 'Succeed' ? '✓' : '▶';
        write(`${at} ${indent}${marker} ${event.stateName}`);
        return;
      }
      case 'StateRetried':
        write(`${at} ${indent}  ↻ retrying ${event.stateName}`);
        return;
      case 'StateCaught':
        write(`${at} ${indent}  ⚠ ${event.stateName} failed; handling the error`);
        return;
      case 'StateFailed':
        if (event.error) write(`${at} ${indent}  ✗ ${event.stateName}: ${event.error} ${summarizeCause(event.cause)}`);
        return;
      case 'ExecutionStarted':
        write(`${at} ${indent}${event.machine === topMachine ? `● ${top} started` : `┌ ${event.machine} started (${event.executionName})`}`);
        return;
      case 'ExecutionSucceeded':
        write(`${at} ${indent}${event.machine === topMachine ? `● ${top} succeeded` : `└ ${event.machine} finished`}`);
        return;
      case 'ExecutionFailed':
        write(`${at} ${indent}${event.machine === topMachine ? `● ${top} failed` : `└ ${event.machine} failed`}: ${event.error ?? ''} ${summarizeCause(event.cause)}`);
        return;
      default:
        return;
    }
  };
  printer.statesExecuted = () => states;
  printer.tick = (now) => tracker.tick(now);
  printer.seen = () => ({ operations: tracker.operations, checkStates: tracker.checkStates });
  return printer;
}

/** Lambda causes are JSON {"errorType","errorMessage"}: show the message. */
export function summarizeCause(cause: string | undefined, max = 300): string {
  if (!cause) return '';
  let text = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; Cause?: string; Error?: string };
    text = parsed.errorMessage ?? (parsed.Error ? `${parsed.Error}: ${summarizeCause(parsed.Cause, max)}` : cause);
  } catch {
    // not JSON: print as is
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
