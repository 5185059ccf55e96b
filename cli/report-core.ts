/**
 * What `env-migrator report` knows of a run, read from Step Functions alone: each execution (Migrate
 * and the Clone executions it started) with the definition it ran and its whole history, then what
 * the page shows — every state's visits and time, the transitions taken, the downtime window and its
 * critical path (bench/metrics.ts criticalPath over the AWS operations the history shows), and the
 * notification the workflow sent. Read-only: DescribeExecution, DescribeStateMachineForExecution and
 * GetExecutionHistory, nothing else.
 */
import {
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { type CriticalPath, criticalPath, union } from '../bench/metrics';
import { unwrapChildError } from '../lambdas/shared/child-error';
import { childOf } from './child-execution';
import { AwsCallFailed, awsCall } from './io';
import { parseObject } from '../lambdas/shared/json-object';
import { SECOND_CLONE_STATE, STANDBY_STATE, SWITCHED_STATE } from '../statemachine/downtime-states';

// ---------------------------------------------------------------------------------------------
// The definitions, as Amazon States Language
// ---------------------------------------------------------------------------------------------

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next?: string }[];
  Catch?: { Next?: string }[];
  Branches?: AslMachine[];
  ItemProcessor?: AslMachine;
  Iterator?: AslMachine;
}

export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
}

export type EdgeKind = 'next' | 'choice' | 'catch' | 'branch' | 'join';

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export interface GraphNode {
  name: string;
  type: string;
  /** The Map or Parallel state whose branch holds it; undefined at the top level. */
  parent?: string;
}

/**
 * Every state of a definition as a node (Map and Parallel branches flattened into the graph: the
 * container forks into each branch's first state, and each branch's last states join the
 * container's next), and every transition the definition allows as an edge.
 */
export function graphOf(machine: AslMachine): { start: string; nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const walk = (m: AslMachine, parent: string | undefined, joinTo: string | undefined): void => {
    for (const [name, s] of Object.entries(m.States)) {
      nodes.push({ name, type: s.Type, parent });
      if (s.Next) edges.push({ from: name, to: s.Next, kind: 'next' });
      if (s.Default) edges.push({ from: name, to: s.Default, kind: 'choice' });
      for (const c of s.Choices ?? []) if (c.Next) edges.push({ from: name, to: c.Next, kind: 'choice' });
      for (const c of s.Catch ?? []) if (c.Next) edges.push({ from: name, to: c.Next, kind: 'catch' });
      if (s.End && joinTo && s.Type !== 'Fail') edges.push({ from: name, to: joinTo, kind: 'join' });
      for (const inner of [...(s.Branches ?? []), ...(s.ItemProcessor ? [s.ItemProcessor] : []), ...(s.Iterator ? [s.Iterator] : [])]) {
        edges.push({ from: name, to: inner.StartAt, kind: 'branch' });
        walk(inner, name, s.Next);
      }
    }
  };
  walk(machine, undefined, undefined);
  // Several edges between the same two states (two Choices to one target) draw as one.
  const seen = new Set<string>();
  return { start: machine.StartAt, nodes, edges: edges.filter((e) => (seen.has(`${e.from}\u0000${e.to}`) ? false : (seen.add(`${e.from}\u0000${e.to}`), true))) };
}

// ---------------------------------------------------------------------------------------------
// Reading a run
// ---------------------------------------------------------------------------------------------

export interface RunExecution {
  executionArn: string;
  /** The state machine's name without CDK's suffix: Migrate, Clone. */
  machine: string;
  name: string;
  status: string;
  startDate: number;
  stopDate?: number;
  error?: string;
  cause?: string;
  /** DescribeExecution's input (a blue/green run says so in it). */
  input?: string;
  output?: string;
  definition: AslMachine;
  /** Oldest first. */
  events: HistoryEvent[];
  /** The parent's state that started it (a Clone started by Migrate). */
  startedBy?: string;
}

/** CDK names state machines `<id><8 hex>[-<suffix>]`: "Clone20871BCF-x1Y2z3" reads as "Clone". */
export function machineNameOf(executionArn: string): string {
  const name = executionArn.split(':')[6] ?? 'StateMachine';
  return name.replace(/[0-9A-F]{8}(-[A-Za-z0-9]+)?$/, '') || name;
}

async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall('GetExecutionHistory', () => sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true })));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}

async function readExecution(sfn: SFNClient, executionArn: string, startedBy?: string): Promise<RunExecution> {
  const d = await awsCall('DescribeExecution', () => sfn.send(new DescribeExecutionCommand({ executionArn })));
  // The definition the execution ran, not the state machine's current one (it may have been updated since).
  const m = await awsCall('DescribeStateMachineForExecution', () => sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn })));
  const definition = parseObject(m.definition) as AslMachine | undefined;
  if (!definition?.States || !definition.StartAt) throw new AwsCallFailed('DescribeStateMachineForExecution', 'InvalidDefinition', `the definition of ${executionArn} is not Amazon States Language`);
  return {
    executionArn,
    machine: machineNameOf(executionArn),
    name: d.name ?? executionArn.split(':').pop() ?? '',
    status: d.status ?? 'UNKNOWN',
    startDate: d.startDate?.getTime() ?? 0,
    stopDate: d.stopDate?.getTime(),
    error: d.error,
    cause: d.cause,
    input: d.input,
    output: d.output,
    definition,
    events: await historyOf(sfn, executionArn),
    startedBy,
  };
}

/** The child executions a history's startExecution tasks name (TaskScheduled parameters, or TaskSubmitted's response), with the state that started each. */
function childrenOf(events: HistoryEvent[]): { arn: string; state?: string }[] {
  const out: { arn: string; state?: string }[] = [];
  let lastState: string | undefined;
  for (const e of events) {
    lastState = e.stateEnteredEventDetails?.name ?? lastState;
    const arn = childOf(e);
    if (arn && !out.some((c) => c.arn === arn)) out.push({ arn, state: lastState });
  }
  return out;
}

/**
 * Reads an execution and every execution it started (Clone under Migrate), each with its definition
 * and whole history. Where `report` and `rehearse --report` start. Throws AwsCallFailed when a Step
 * Functions call fails, except a child that was never started (ExecutionDoesNotExist), which is left out.
 */
export async function readRun(sfn: SFNClient, executionArn: string): Promise<RunExecution[]> {
  const root = await readExecution(sfn, executionArn);
  const run = [root];
  for (const child of childrenOf(root.events)) {
    try {
      run.push(await readExecution(sfn, child.arn, child.state));
    } catch (err) {
      if (err instanceof AwsCallFailed && err.errorName === 'ExecutionDoesNotExist') continue;
      throw err;
    }
  }
  return run;
}

// ---------------------------------------------------------------------------------------------
// What the page shows
// ---------------------------------------------------------------------------------------------

export interface StateVisit {
  /** Times entered. */
  visits: number;
  /** Time spent in it, summed over its visits (a Map iteration's states may overlap: each counts). */
  seconds: number;
  failed: boolean;
}

export interface ExecutionPicture {
  execution: RunExecution;
  graph: ReturnType<typeof graphOf>;
  states: Map<string, StateVisit>;
  /** `from\u0000to` of every transition taken. */
  taken: Set<string>;
}

const at = (e: HistoryEvent | undefined) => e?.timestamp?.getTime() ?? 0;
const enteredName = (e: HistoryEvent) => (e.type?.endsWith('StateEntered') ? e.stateEnteredEventDetails?.name : undefined);
const exitedName = (e: HistoryEvent) => (e.type?.endsWith('StateExited') ? e.stateExitedEventDetails?.name : undefined);

/**
 * Each state's visits and time, and the transitions taken: a state entered came from the nearest
 * earlier state the definition allows to lead to it (Map iterations interleave; the definition
 * sorts them out).
 */
export function pictureOf(execution: RunExecution): ExecutionPicture {
  const graph = graphOf(execution.definition);
  const into = new Map<string, Set<string>>();
  for (const e of graph.edges) (into.get(e.to) ?? into.set(e.to, new Set()).get(e.to)!).add(e.from);
  const states = new Map<string, StateVisit>();
  const open = new Map<string, number[]>();
  const taken = new Set<string>();
  const named: { name: string; i: number }[] = [];
  let last: string | undefined;
  for (const [i, e] of execution.events.entries()) {
    const entered = enteredName(e);
    const exited = exitedName(e);
    if (entered) {
      const v = states.get(entered) ?? { visits: 0, seconds: 0, failed: false };
      v.visits++;
      states.set(entered, v);
      (open.get(entered) ?? open.set(entered, []).get(entered)!).push(at(e));
      const from = into.get(entered);
      if (from) {
        for (let j = named.length - 1; j >= Math.max(0, named.length - 400); j--) {
          if (from.has(named[j]!.name)) {
            taken.add(`${named[j]!.name}\u0000${entered}`);
            break;
          }
        }
      }
      named.push({ name: entered, i });
      last = entered;
    } else if (exited) {
      const started = open.get(exited)?.shift();
      const v = states.get(exited);
      if (v && started !== undefined) v.seconds += (at(e) - started) / 1000;
      named.push({ name: exited, i });
    } else if (/Failed$|TimedOut$/.test(e.type ?? '') && last && e.type !== 'ExecutionFailed' && e.type !== 'MapIterationFailed') {
      const v = states.get(last);
      if (v) v.failed = true;
    }
  }
  // A state left without an Exited event (the run ended in it, or is still in it) counts to its end.
  const end = execution.stopDate ?? at(execution.events.at(-1));
  for (const [name, starts] of open) for (const s of starts) states.get(name)!.seconds += Math.max(0, end - s) / 1000;
  // Reaching a Fail state is a failure even though no error event names it.
  for (const [name, v] of states) if (findState(execution.definition, name)?.Type === 'Fail') v.failed = true;
  return { execution, graph, states, taken };
}

function findState(m: AslMachine, name: string): AslState | undefined {
  if (m.States[name]) return m.States[name];
  for (const s of Object.values(m.States)) {
    for (const inner of [...(s.Branches ?? []), ...(s.ItemProcessor ? [s.ItemProcessor] : []), ...(s.Iterator ? [s.Iterator] : [])]) {
      const found = findState(inner, name);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Which AWS operation a state waits on or starts, by its name (statemachine/*.ts names states as
 * sentences). First match wins. A state no rule names is the workflow's own time (validation, the
 * lock, choices, the notification).
 */
export const OPERATION_OF_STATE: readonly [string, RegExp][] = [
  // Blue/green: the switch of the entry point and its undoing (statemachine/blue-green.ts), before the rules below catch their words.
  ['switch back', /^(Switch the entry point back|Check the switch back|Wait for the switch back|Switch back in sync\?)/],
  ['switch entry point', /^(Switch the entry point|Check the switch|Wait for the switch|Switch in sync\?)/],
  ['smoke test', /through the entry point|behind the entry point/],
  ['return to service', /previous slot (to return|returning|back in service|is back)|Return the previous slot to service/i],
  ['enter standby', /^Put the new slot in standby$/],
  ['return to service', /instances (are )?(back|coming back|to come back|returned|returning)|Return the instances|Bring the instances|Instances (back|returned)/i],
  ['enter standby', /instances/i],
  ['delete snapshots', /^(Delete|Remove) .*snapshots$/],
  ['snapshot', /snapshot/i],
  ['discover', /^Discover/],
  ['create stack', /destination stack|stack creation|Stack created\?/],
  ['copy buckets', /^Copy (objects|more objects)$|^All objects copied\?$/],
  ['verify buckets', /Verify|verified\?|checksum/i],
  ['smoke test', /Probe|probing|Smoke test passed\?/],
  ['compare statistics', /Compare the statistics/],
  ['prove original unchanged', /Prove (more of )?the original unchanged|Original proven unchanged\?/],
  ['delete stack', /delet|remov|^Check the (current environment|temporary|mismatched|partial|failed stack)/i],
];

export function operationOf(stateName: string): string | undefined {
  return OPERATION_OF_STATE.find(([, pattern]) => pattern.test(stateName))?.[0];
}

export interface TimelineBar {
  label: string;
  start: number;
  end: number;
  /** The execution (Migrate, Clone) whose states it was. */
  machine: string;
  executionName: string;
}

export interface Downtime {
  /** Standby entered → the second clone verified (or the run's end when it never got there). */
  start: number;
  end: number;
  /** Why the window ends where it does. */
  endsAt: string;
  seconds: number;
  /** Each AWS operation as the history shows it: from the state that starts it to the check that saw it done. */
  bars: TimelineBar[];
  /** Gaps in the window no operation covers: the workflow's own time. */
  ours: { start: number; end: number }[];
  path: CriticalPath;
}

/**
 * The downtime of a Migrate run and where it went: the window from the standby to the verified new
 * environment, the AWS operations inside it (bars), and bench/metrics.ts criticalPath over them with
 * the Wait states as polls and the Task states as Lambda time. Undefined when the run never entered
 * the standby (nothing was out of service).
 */
export function downtimeOf(run: readonly RunExecution[]): Downtime | undefined {
  const root = run[0];
  if (!root) return undefined;
  const standby = root.events.find((e) => enteredName(e) === STANDBY_STATE);
  if (!standby) return undefined;
  const lastAt = Math.max(...run.map((x) => x.stopDate ?? at(x.events.at(-1))));
  let end: number;
  let endsAt: string;
  if (isBlueGreenRun(root)) {
    // The switch INSYNC ends it: from then the new slot serves (statemachine/downtime-states.ts). A
    // run that switched back served through a slot that failed its smoke test: its downtime lasts
    // until the previous slot is back in service. The record's TTL (resolvers' caches) is not in it.
    const switched = root.events.find((e) => enteredName(e) === SWITCHED_STATE);
    const undone = root.events.find((e) => enteredName(e) === UNDO_SWITCH_STATE);
    const back = root.events.find((e) => enteredName(e) === PREVIOUS_BACK_STATE);
    if (switched && !undone) {
      end = at(switched);
      endsAt = `the switch of the entry point in sync ("${SWITCHED_STATE}" entered: the new slot serves; resolvers that cached the record follow within its TTL)`;
    } else if (undone) {
      end = back ? at(back) : lastAt;
      endsAt = back ? 'the previous slot back in service after the switch back' : root.stopDate ? 'the end of the run (the previous slot never came back in service)' : 'now (the run is still going)';
    } else {
      end = lastAt;
      endsAt = root.stopDate ? 'the end of the run (the entry point was never switched)' : 'now (the run is still going)';
    }
  } else {
    const verified = root.events.find((e) => exitedName(e) === SECOND_CLONE_STATE);
    end = verified ? at(verified) : lastAt;
    endsAt = verified ? 'the new environment verified (second clone ended)' : root.stopDate ? 'the end of the run (the second clone never ended)' : 'now (the run is still going)';
  }
  const window = { start: at(standby), end };

  const bars: TimelineBar[] = [];
  const waits: { start: number; end: number }[] = [];
  const lambdas: { start: number; end: number }[] = [];
  for (const x of run) {
    const open = new Map<string, number[]>();
    const types = new Map<string, string>();
    for (const e of x.events) {
      const entered = enteredName(e);
      const exited = exitedName(e);
      if (entered) {
        (open.get(entered) ?? open.set(entered, []).get(entered)!).push(at(e));
        types.set(entered, e.type?.replace(/StateEntered$/, '') ?? '');
      } else if (exited) {
        const start = open.get(exited)?.shift();
        if (start === undefined) continue;
        const span = { start, end: at(e) };
        const type = types.get(exited);
        if (type === 'Wait') waits.push(span);
        if (type === 'Task') lambdas.push(span);
        // A Map or Parallel spans its branches: their states tell which operation ran.
        if (type === 'Map' || type === 'Parallel') continue;
        const label = operationOf(exited);
        if (label) bars.push({ label, ...span, machine: x.machine, executionName: x.name });
      }
    }
  }
  // Visits of one operation that touch (a check, a wait, a check again) are one bar.
  const merged: TimelineBar[] = [];
  for (const b of bars.sort((p, q) => p.start - q.start)) {
    const same = merged.findLast((m) => m.label === b.label && m.executionName === b.executionName && b.start <= m.end);
    if (same) same.end = Math.max(same.end, b.end);
    else merged.push({ ...b });
  }
  const inWindow = merged
    .map((b) => ({ ...b, start: Math.max(b.start, window.start), end: Math.min(b.end, window.end) }))
    .filter((b) => b.end > b.start);
  const covered = union(inWindow);
  const ours: { start: number; end: number }[] = [];
  let cursor = window.start;
  for (const c of covered) {
    if (c.start > cursor) ours.push({ start: cursor, end: c.start });
    cursor = Math.max(cursor, c.end);
  }
  if (window.end > cursor) ours.push({ start: cursor, end: window.end });
  return {
    ...window,
    endsAt,
    seconds: (window.end - window.start) / 1000,
    bars: inWindow,
    ours,
    path: criticalPath(window, inWindow, waits, lambdas),
  };
}

export interface SentNotification {
  subject: string;
  message: string;
}

/** The last notification the run composed (`$.notification` of a state's output): what the on-call engineer received. */
export function notificationOf(run: readonly RunExecution[]): SentNotification | undefined {
  for (const e of [...(run[0]?.events ?? [])].reverse()) {
    const output = e.stateExitedEventDetails?.output;
    if (!output || !output.includes('"notification"')) continue;
    const n = parseObject(output)?.notification;
    if (n && typeof n === 'object' && typeof (n as SentNotification).subject === 'string' && typeof (n as SentNotification).message === 'string') {
      return { subject: (n as SentNotification).subject, message: (n as SentNotification).message };
    }
  }
  return undefined;
}

/** Migrate's own verdict (`$.notice` of a state's output): outcome and the stack that holds the data. */
export function noticeOf(run: readonly RunExecution[]): { outcome?: string; survivor?: string | null } {
  for (const e of [...(run[0]?.events ?? [])].reverse()) {
    const output = e.stateExitedEventDetails?.output;
    if (!output || !output.includes('"notice"')) continue;
    const n = parseObject(output)?.notice as { outcome?: unknown; survivor?: unknown } | undefined;
    if (n && typeof n === 'object' && 'survivor' in n) return { outcome: typeof n.outcome === 'string' ? n.outcome : undefined, survivor: typeof n.survivor === 'string' ? n.survivor : null };
  }
  return {};
}

/** An execution's error as the operator needs it: a Clone's own, not the States.TaskFailed wrapping it. */
export function errorOf(x: RunExecution): { name: string; cause: string } | null {
  if (!x.error) return null;
  const found = unwrapChildError({ Error: x.error, Cause: x.cause ?? '' });
  return { name: found.Error, cause: found.Cause };
}

// ---------------------------------------------------------------------------------------------
// Blue/green
// ---------------------------------------------------------------------------------------------

/** statemachine/blue-green.ts: the compensation after the switch starts here, and the previous slot is back in service here. */
const UNDO_SWITCH_STATE = 'Undo the switch';
const PREVIOUS_BACK_STATE = 'Note the previous slot is back';

/** The execution's input (DescribeExecution, else ExecutionStarted), as given. */
function inputOf(x: RunExecution): Record<string, unknown> | undefined {
  return parseObject(x.input) ?? parseObject(x.events.find((e) => e.type === 'ExecutionStarted')?.executionStartedEventDetails?.input);
}

/** A blue/green Migrate run: its input says so. */
export function isBlueGreenRun(x: RunExecution): boolean {
  return inputOf(x)?.strategy === 'blue-green';
}

/** What the page says of a blue/green run: the slots, the switch, how to go back. */
export interface BlueGreenPicture {
  recordName: string;
  /** The slot the run started from (the input's stackName). */
  previousSlot: string;
  /** The slot it cloned into. */
  newSlot: string;
  /** The slot the record points at at the end, as the run left it (its survivor). */
  liveSlot: string | null;
  /** When the retire run deletes the previous slot, null when none was scheduled. */
  retireAt: string | null;
  rollbackCommand: string | null;
  /** Entries of the switch INSYNC and of the switch back, epoch ms. */
  switchedAt: number | null;
  switchedBackAt: number | null;
  /** The record as the run read it: its TTL when it has one (a CNAME); an alias answers with its target's. */
  record: { type: string; ttlSeconds: number | null; alias: boolean } | null;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * The blue/green facts of a Migrate run: from its output's `blueGreen` when it succeeded, else from
 * its last state holding a notice (the input, the idle slot, the switch plan). Undefined for a double
 * clone. Pure.
 */
export function blueGreenOf(run: readonly RunExecution[]): BlueGreenPicture | undefined {
  const root = run[0];
  if (!root || !isBlueGreenRun(root)) return undefined;
  const input = inputOf(root) ?? {};
  let state: Record<string, unknown> | undefined;
  for (const e of [...root.events].reverse()) {
    const output = e.stateExitedEventDetails?.output;
    if (output && output.includes('"notice"')) {
      state = parseObject(output);
      if (state?.notice) break;
    }
  }
  const facts = parseObject(root.output)?.blueGreen as Record<string, unknown> | undefined;
  const idle = text((state?.blueGreen as Record<string, unknown> | undefined)?.idleSlot) ?? ((input.slots as unknown[] | undefined) ?? []).map(text).find((x) => x && x !== input.stackName) ?? '?';
  const entryRecord = (state?.entry as { record?: { Type?: string; TTL?: number; AliasTarget?: unknown } } | undefined)?.record;
  const first = (name: string) => root.events.find((e) => enteredName(e) === name);
  return {
    recordName: text((input.entryPoint as Record<string, unknown> | undefined)?.recordName) ?? '?',
    previousSlot: text(input.stackName) ?? '?',
    newSlot: idle,
    liveSlot: text(facts?.liveSlot) ?? text((state?.notice as Record<string, unknown> | undefined)?.survivor) ?? null,
    retireAt: text(facts?.retireAt) ?? null,
    rollbackCommand: text(facts?.rollbackCommand) ?? null,
    switchedAt: first(SWITCHED_STATE) ? at(first(SWITCHED_STATE)) : null,
    switchedBackAt: first('Note the switch back') ? at(first('Note the switch back')) : null,
    record: entryRecord?.Type ? { type: entryRecord.Type, ttlSeconds: typeof entryRecord.TTL === 'number' ? entryRecord.TTL : null, alias: entryRecord.AliasTarget !== undefined } : null,
  };
}
