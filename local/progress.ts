/**
 * Prints an execution as it runs: one line per state entered, with the simulated time since the
 * start, nested executions (Clone started by Migrate) indented under their parent, retries and
 * failures called out. Wait loops are folded: a check that is still pending prints once, then a
 * counter, so a two-hour snapshot does not scroll the screen away.
 */
import { isCancelCheckState } from '../statemachine/cancel-names';
import type { ProgressEvent } from './executor';

export interface ProgressPrinter {
  (event: ProgressEvent): void;
  statesExecuted: () => number;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

const QUIET_TYPES = new Set(['Wait', 'Pass']);

export function progressPrinter(write: (line: string) => void, topMachine: string): ProgressPrinter {
  let states = 0;
  let startedAt: number | undefined;
  const recent: string[] = [];
  let folded = 0;
  const flushFolded = (indent: string) => {
    if (folded > 0) write(`${' '.repeat(12)}${indent}  … checked ${folded} more time${folded === 1 ? '' : 's'}`);
    folded = 0;
  };
  const printer = ((event: ProgressEvent) => {
    startedAt ??= event.timestamp;
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
        write(`${at} ${indent}${event.machine === topMachine ? '● Migration started' : `┌ ${event.machine} started (${event.executionName})`}`);
        return;
      case 'ExecutionSucceeded':
        write(`${at} ${indent}${event.machine === topMachine ? '● Migration succeeded' : `└ ${event.machine} finished`}`);
        return;
      case 'ExecutionFailed':
        write(`${at} ${indent}${event.machine === topMachine ? '● Migration failed' : `└ ${event.machine} failed`}: ${event.error ?? ''} ${summarizeCause(event.cause)}`);
        return;
      default:
        return;
    }
  }) as ProgressPrinter;
  printer.statesExecuted = () => states;
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
