/**
 * `env-migrator watch <executionArn>`: follows an execution state by state until it ends, with the
 * Clone executions it starts nested under it, then prints the outcome, where the data is, and the
 * error and cause. Polls GetExecutionHistory newest-first and reads only the events it has not seen,
 * so a two-day migration costs a page per poll, not the whole history each time.
 */
import { unwrapChildError } from '../lambdas/shared/child-error';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import type { ProgressEvent } from '../local/executor';
import { downtimeFromHistory, downtimeLines } from '../local/downtime';
import { HEARTBEAT_MS } from '../local/heartbeat';
import { progressPrinter } from '../local/progress';
import type { ExecutionArn } from './arn';
import { childOf } from './child-execution';
import type { ExitCode } from './exit-codes';
import { DEFAULT_POLL_SECONDS } from './options';
import { type Io, awsCall, humanOf } from './io';
import { type ExecutionSummary, awsFailure, finish, summaryOf } from './result';
import { parseObject } from '../lambdas/shared/json-object';

export { DEFAULT_POLL_SECONDS } from './options';
const PAGE_SIZE = 100;

interface Followed {
  executionArn: string;
  /** State machine name, for the progress lines. */
  machine: string;
  executionName: string;
  /** Highest event id printed. */
  lastId: number;
  /** Name of the last state entered: Task*Failed events do not name their state. */
  lastState?: string;
  ended: boolean;
}

export interface WatchOptions {
  pollSeconds?: number;
  /** Where the progress lines go (default: standard output). */
  write?: (line: string) => void;
  /** `--json` on watch: each event also as a JSON line here (local/progress.ts PrinterOptions). */
  jsonLine?: (line: string) => void;
}

/** Where the data is, as the Migrate definition last recorded it (`$.notice` of the top execution's state output). */
interface Notice {
  outcome?: string;
  survivor?: string | null;
}

const TERMINAL = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

/** arn:aws:states:<region>:<account>:execution:<stateMachine>:<name> */
function partsOf(executionArn: string): { machine: string; name: string } {
  const parts = executionArn.split(':');
  return { machine: stripCdkSuffix(parts[6] ?? 'StateMachine'), name: parts.slice(7).join(':') };
}

/** CDK names state machines `<id><8 hex>[-<suffix>]`: "Clone20871BCF-x1Y2z3" reads as "Clone". */
function stripCdkSuffix(name: string): string {
  return name.replace(/[0-9A-F]{8}(-[A-Za-z0-9]+)?$/, '') || name;
}

function follow(executionArn: string): Followed {
  const { machine, name } = partsOf(executionArn);
  return { executionArn, machine, executionName: name, lastId: 0, ended: false };
}

/** The events of one execution newer than the last one printed, oldest first. */
async function newEvents(sfn: SFNClient, f: Followed): Promise<HistoryEvent[]> {
  const fresh = new Map<number, HistoryEvent>();
  let nextToken: string | undefined;
  do {
    const page = await awsCall('GetExecutionHistory', () =>
      sfn.send(new GetExecutionHistoryCommand({ executionArn: f.executionArn, reverseOrder: true, maxResults: PAGE_SIZE, nextToken, includeExecutionData: true })),
    );
    const events = page.events ?? [];
    for (const e of events) if ((e.id ?? 0) > f.lastId) fresh.set(e.id ?? 0, e);
    // Newest first: a page that reaches an event already printed is the last one needed.
    if (events.some((e) => (e.id ?? 0) <= f.lastId)) break;
    nextToken = page.nextToken;
  } while (nextToken);
  const ordered = [...fresh.values()].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  if (ordered.length > 0) f.lastId = ordered[ordered.length - 1]?.id ?? f.lastId;
  return ordered;
}

/** A history event in the shape the local progress printer reads, so watch and rehearse print alike. */
function toProgress(e: HistoryEvent, f: Followed): ProgressEvent | undefined {
  const base = { machine: f.machine, executionName: f.executionName, executionArn: f.executionArn, timestamp: e.timestamp?.getTime() ?? Date.now() };
  const type = e.type ?? '';
  const state = /^(Task|Choice|Wait|Pass|Map|Parallel|Succeed|Fail)State(Entered|Exited)$/.exec(type);
  if (state) {
    const stateName = e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name;
    if (state[2] === 'Entered') f.lastState = stateName;
    // A check's output holds the figures the heartbeat prints; other outputs are not parsed.
    const output = state[2] === 'Exited' ? e.stateExitedEventDetails?.output : undefined;
    const figures = output && /"(wait|continuation|inventory)"/.test(output) ? parseObject(output) : undefined;
    return { ...base, type: `State${state[2]}`, stateType: state[1], stateName, ...(figures ? { output: figures } : {}) };
  }
  const failure = e.taskFailedEventDetails ?? e.lambdaFunctionFailedEventDetails ?? e.taskTimedOutEventDetails ?? e.lambdaFunctionTimedOutEventDetails;
  if (failure) {
    // A Clone task's States.TaskFailed wraps the Clone's own error: show that one.
    const given = { Error: failure.error ?? '', Cause: failure.cause ?? '' };
    const found = unwrapChildError(given);
    return { ...base, type: 'StateFailed', stateName: f.lastState, ...(found === given ? { error: failure.error, cause: failure.cause } : { error: found.Error, cause: found.Cause }) };
  }
  if (type === 'ExecutionStarted') return { ...base, type };
  // A Clone's output says whether the copy was EQUAL: the downtime ends with the one that verified.
  if (type === 'ExecutionSucceeded') return { ...base, type, output: parseObject(e.executionSucceededEventDetails?.output) };
  if (type === 'ExecutionFailed') {
    const given = { Error: e.executionFailedEventDetails?.error ?? '', Cause: e.executionFailedEventDetails?.cause ?? '' };
    const found = unwrapChildError(given);
    return found === given ? { ...base, type, error: e.executionFailedEventDetails?.error, cause: e.executionFailedEventDetails?.cause } : { ...base, type, error: found.Error, cause: found.Cause };
  }
  return undefined;
}

function noticeIn(e: HistoryEvent): Notice | undefined {
  const output = e.stateExitedEventDetails?.output;
  if (!output || !output.includes('"notice"')) return undefined;
  const notice = parseObject(output)?.notice;
  if (!notice || typeof notice !== 'object' || !('survivor' in notice)) return undefined;
  const n = notice as { outcome?: unknown; survivor?: unknown };
  return { outcome: typeof n.outcome === 'string' ? n.outcome : undefined, survivor: typeof n.survivor === 'string' ? n.survivor : null };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Follows one execution to its end, printing a line per state entered (its Clone children nested),
 * and returns its summary: status, error, cause, output, and the surviving stack when the history
 * names it. Throws AwsCallFailed when a Step Functions call fails.
 */
export async function watchExecution(io: Io, execution: ExecutionArn, options: WatchOptions = {}): Promise<ExecutionSummary> {
  const { arn: executionArn } = execution;
  // The Clone executions it starts live in the same region.
  const sfn = io.sfn(execution.region);
  const write = options.write ?? io.out;
  const pollMs = Math.max(0, (options.pollSeconds ?? DEFAULT_POLL_SECONDS) * 1000);
  const root = follow(executionArn);
  const followed = [root];
  const printer = progressPrinter(write, root.machine, { jsonLine: options.jsonLine });
  // What the downtime summary needs: every event without its output, and which states started a Clone.
  const seenEvents: ProgressEvent[] = [];
  const startedClone = new Set<string>();
  let notice: Notice | undefined;
  let described: DescribeExecutionCommandOutput;
  for (;;) {
    // Described before the history is read: once it says the execution ended, the history read
    // after it holds every event up to the end.
    described = await awsCall('DescribeExecution', () => sfn.send(new DescribeExecutionCommand({ executionArn })));
    // New events of every execution followed (children found on the way are read in the same round),
    // printed in time order so a Clone's states sit between the parent's.
    const round: { f: Followed; e: HistoryEvent }[] = [];
    for (let i = 0; i < followed.length; i++) {
      const f = followed[i]!;
      if (f.ended) continue;
      for (const e of await newEvents(sfn, f)) {
        round.push({ f, e });
        const child = childOf(e);
        if (child && !followed.some((x) => x.executionArn === child)) followed.push(follow(child));
        if (f === root) notice = noticeIn(e) ?? notice;
        if (TERMINAL.has(e.type ?? '')) f.ended = true;
      }
    }
    round.sort((a, b) => (a.e.timestamp?.getTime() ?? 0) - (b.e.timestamp?.getTime() ?? 0));
    for (const { f, e } of round) {
      const progress = toProgress(e, f);
      if (childOf(e) && f.lastState) startedClone.add(`${f.executionArn}/${f.lastState}`);
      if (progress) {
        printer(progress);
        // Kept without the states' outputs; an execution's end keeps it (a Clone's verdict).
        const { output, ...light } = progress;
        seenEvents.push(progress.type === 'ExecutionSucceeded' ? { ...light, output } : light);
      }
      else if (e.type === 'ExecutionAborted' || e.type === 'ExecutionTimedOut') {
        write(`${f === root ? '● Migration' : `    └ ${f.machine}`} ${e.type === 'ExecutionAborted' ? 'aborted' : 'timed out'}`);
      }
    }
    if (described.status !== 'RUNNING') break;
    printer.tick(Date.now());
    // Polled at least as often as the heartbeat is due.
    await sleep(Math.min(pollMs, HEARTBEAT_MS));
  }
  const summary = summaryOf(described);
  const downtime = downtimeFromHistory(seenEvents, printer.seen(), root.machine, { arns: followed.slice(1).map((f) => f.executionArn), startedBy: startedClone });
  if (downtime) summary.downtime = downtime;
  if (notice) {
    summary.outcome = notice.outcome;
    summary.survivor ??= notice.survivor;
  }
  return summary;
}

export interface WatchCommandOptions {
  interval: number;
  json: boolean;
}

/** `env-migrator watch`: follows the execution to its end. Exit code: the execution's, 6 when a call fails. */
export async function watchCommand(io: Io, execution: ExecutionArn, options: WatchCommandOptions): Promise<ExitCode> {
  return watchAndFinish(io, execution, options.interval, options.json, true);
}

/**
 * watch, then the summary (the downtime and where it went, when the instances entered standby); an
 * AWS error of a call on the way is exit 6. Shared with `start --wait`. `events` (watch --json): every
 * state and heartbeat as a JSON line on standard output before the result line.
 */
export async function watchAndFinish(io: Io, execution: ExecutionArn, pollSeconds: number, json: boolean, events = false): Promise<ExitCode> {
  const say = humanOf(io, json);
  let summary: ExecutionSummary;
  try {
    summary = await watchExecution(io, execution, { pollSeconds, write: say, ...(json && events ? { jsonLine: io.out } : {}) });
  } catch (err) {
    return awsFailure(io, err, json, execution.arn);
  }
  say('');
  if (summary.downtime) for (const line of downtimeLines(summary.downtime)) say(line);
  return finish(io, summary, json);
}

