/**
 * Simulated AWS Step Functions: the state machines of the synthesized app are registered here and
 * each StartExecution runs its definition through the local executor (aws-local-stepfunctions),
 * wired by local/executor.ts. This is what answers `states:startExecution.sync` from Migrate to Clone
 * and what the CLI's StartExecution / DescribeExecution / GetExecutionHistory calls meet.
 */
import { executionArnOf } from '../../lambdas/shared/naming';
import type {
  DescribeExecutionCommandOutput,
  ExecutionStatus,
  GetExecutionHistoryCommandOutput,
  HistoryEvent,
  StartExecutionCommandInput,
  StartExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';

/** What a registered state machine runs: the local executor's entry point for it. */
export type ExecutionRunner = (execution: SimExecution) => Promise<void>;

export interface SimHistoryEvent {
  timestamp: number;
  type: string;
  stateName?: string;
  /** Task, Choice, Wait, Pass, Map, Parallel, Succeed, Fail. */
  stateType?: string;
  error?: string;
  cause?: string;
  /** Execution that emitted the event (a Clone started by Migrate has its own). */
  executionArn: string;
  /** StateExited, ExecutionSucceeded: the output as JSON (GetExecutionHistory includes execution data by default). */
  outputJson?: string;
  /** TaskScheduled: the service integration ("states:startExecution.sync:2") and its parameters as JSON
   *  (they name the child execution of a startExecution task). */
  resource?: string;
  parameters?: string;
}

export interface SimExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: SimHistoryEvent[];
  /** Set by the runner while the execution runs: StopExecution calls it to end the local run. */
  abort?: () => void;
  /** Settles when the execution ends (for the local executor's own bookkeeping, never for step code). */
  done: Promise<void>;
}

interface RegisteredMachine {
  arn: string;
  name: string;
  definition: string;
  run: ExecutionRunner;
}

// Execution names: 1–80 characters of letters, digits, '-' and '_' (StartExecution API reference).
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export class SfnSim implements SimService {
  readonly serviceName = 'SFN';
  readonly operations: Record<string, OpHandler>;
  private readonly machines = new Map<string, RegisteredMachine>();
  readonly executions = new Map<string, SimExecution>();
  private counter = 0;

  constructor(private readonly account: SimAccount) {
    this.operations = {
      StartExecution: (i) => this.startExecution(i),
      DescribeExecution: (i) => this.describeExecution(i),
      GetExecutionHistory: (i) => this.getExecutionHistory(i),
      StopExecution: (i) => this.stopExecution(i),
      DescribeStateMachine: (i) => this.describeStateMachine(i),
      DescribeStateMachineForExecution: (i) => this.describeStateMachineForExecution(i),
      ListExecutions: (i) => this.listExecutions(i),
    };
  }

  registerStateMachine(arn: string, name: string, definition: string, run: ExecutionRunner): void {
    this.machines.set(arn, { arn, name, definition, run });
  }

  stateMachineArns(): string[] {
    return [...this.machines.keys()];
  }

  private machine(arn: unknown): RegisteredMachine {
    const m = typeof arn === 'string' ? this.machines.get(arn) : undefined;
    if (!m) throw new SimServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`, 400);
    return m;
  }

  private execution(arn: unknown): SimExecution {
    const e = typeof arn === 'string' ? this.executions.get(arn) : undefined;
    if (!e) throw new SimServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`, 400);
    return e;
  }

  private startExecution(raw: OpInput): StartExecutionCommandOutput | Omit<StartExecutionCommandOutput, '$metadata'> {
    const input = raw as unknown as StartExecutionCommandInput;
    const machine = this.machine(input.stateMachineArn);
    const name = input.name ?? `sim-${this.account.now()}-${++this.counter}`;
    if (!EXECUTION_NAME.test(name)) throw new SimServiceError('InvalidName', `Invalid Name: '${name}'`, 400);
    const body = input.input ?? '{}';
    try {
      JSON.parse(body);
    } catch {
      throw new SimServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON', 400);
    }
    if (Buffer.byteLength(body) > 256 * 1024) {
      throw new SimServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: exceeds 262144 bytes', 400);
    }
    const executionArn = executionArnOf(machine.arn, name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Standard workflows: the same name and input while it runs returns the same execution;
      // anything else with a used name is ExecutionAlreadyExists (StartExecution API reference, idempotency).
      if (existing.status === 'RUNNING' && existing.input === body) {
        return { executionArn, startDate: new Date(existing.startDate) };
      }
      throw new SimServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`, 400);
    }
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const execution: SimExecution = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      input: body,
      status: 'RUNNING',
      startDate: this.account.now(),
      history: [],
      done,
    };
    this.executions.set(executionArn, execution);
    void machine
      .run(execution)
      .catch((err: unknown) => {
        execution.status = 'FAILED';
        execution.error = 'States.Runtime';
        execution.cause = err instanceof Error ? err.message : String(err);
        execution.stopDate ??= this.account.now();
      })
      .finally(finish);
    return { executionArn, startDate: new Date(execution.startDate) };
  }

  private describeExecution(raw: OpInput): Omit<DescribeExecutionCommandOutput, '$metadata'> {
    const e = this.execution(raw.executionArn);
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: new Date(e.startDate),
      stopDate: e.stopDate === undefined ? undefined : new Date(e.stopDate),
      input: e.input,
      output: e.output,
      error: e.error,
      cause: e.cause,
    };
  }

  private getExecutionHistory(raw: OpInput): Omit<GetExecutionHistoryCommandOutput, '$metadata'> {
    const e = this.execution(raw.executionArn);
    const max = Math.min(Number(raw.maxResults ?? 1000) || 1000, 1000);
    const start = raw.nextToken ? Number(raw.nextToken) : 0;
    // Event ids are positions in the execution's history, whichever way it is read.
    const numbered = e.history.map((h, i) => toHistoryEvent(h, i + 1));
    const ordered = raw.reverseOrder ? numbered.reverse() : numbered;
    const events: HistoryEvent[] = ordered.slice(start, start + max);
    const next = start + max < ordered.length ? String(start + max) : undefined;
    return { events, nextToken: next };
  }

  private stopExecution(raw: OpInput): { stopDate: Date } {
    const e = this.execution(raw.executionArn);
    if (e.status === 'RUNNING') {
      e.status = 'ABORTED';
      e.error = typeof raw.error === 'string' ? raw.error : undefined;
      e.cause = typeof raw.cause === 'string' ? raw.cause : undefined;
      e.stopDate = this.account.now();
      e.abort?.();
    }
    return { stopDate: new Date(e.stopDate ?? this.account.now()) };
  }

  private describeStateMachine(raw: OpInput) {
    const m = this.machine(raw.stateMachineArn);
    return { stateMachineArn: m.arn, name: m.name, definition: m.definition, type: 'STANDARD', status: 'ACTIVE', creationDate: new Date(0), roleArn: this.account.arn('iam', 'role/sim') };
  }

  /**
   * The state machine an execution ran, with its definition (`env-migrator report` reads it). Here a
   * machine's definition never changes, so it is the registered one. "Provides information about a
   * state machine's definition, its execution role ARN, and configuration"; throws ExecutionDoesNotExist
   * (AWS SDK for Kotlin reference, describeStateMachineForExecution; Step Functions API reference).
   */
  private describeStateMachineForExecution(raw: OpInput) {
    const e = this.execution(raw.executionArn);
    const m = this.machine(e.stateMachineArn);
    return { stateMachineArn: m.arn, name: m.name, definition: m.definition, roleArn: this.account.arn('iam', 'role/sim'), updateDate: new Date(0) };
  }

  private listExecutions(raw: OpInput) {
    const m = this.machine(raw.stateMachineArn);
    const executions = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === m.arn && (!raw.statusFilter || e.status === raw.statusFilter))
      .map((e) => ({ executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: new Date(e.startDate), stopDate: e.stopDate === undefined ? undefined : new Date(e.stopDate) }));
    return { executions };
  }
}

function toHistoryEvent(h: SimHistoryEvent, id: number): HistoryEvent {
  const base = { id, previousEventId: id - 1, timestamp: new Date(h.timestamp) };
  const stateType = h.stateType ?? 'Task';
  // History event types are per state type: TaskStateEntered, ChoiceStateExited, ... (HistoryEvent API reference).
  switch (h.type) {
    case 'StateEntered':
      return { ...base, type: `${stateType}StateEntered` as HistoryEvent['type'], stateEnteredEventDetails: { name: h.stateName ?? '' } };
    case 'StateExited':
      return { ...base, type: `${stateType}StateExited` as HistoryEvent['type'], stateExitedEventDetails: { name: h.stateName ?? '', output: h.outputJson } };
    case 'TaskScheduled': {
      // "states:startExecution.sync:2" is resourceType "states", resource "startExecution.sync:2".
      const [resourceType = '', ...action] = (h.resource ?? '').split(':');
      const details = { resourceType, resource: action.join(':'), region: h.executionArn.split(':')[3] ?? '', parameters: h.parameters ?? '{}' };
      return { ...base, type: 'TaskScheduled', taskScheduledEventDetails: details };
    }
    case 'StateFailed':
      return { ...base, type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: h.stateName ?? '', error: h.error, cause: h.cause } };
    case 'ExecutionFailed':
      return { ...base, type: 'ExecutionFailed', executionFailedEventDetails: { error: h.error, cause: h.cause } };
    // The execution's output, as GetExecutionHistory gives it with includeExecutionData (HistoryEvent
    // API reference, ExecutionSucceededEventDetails): watch reads a Clone's verdict from it.
    case 'ExecutionSucceeded':
      return { ...base, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: h.outputJson } };
    case 'ExecutionTimeout':
      return { ...base, type: 'ExecutionTimedOut' };
    default:
      return { ...base, type: h.type as HistoryEvent['type'] };
  }
}
