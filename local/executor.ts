/**
 * Runs the synthesized definitions with aws-local-stepfunctions: every Lambda Task is answered by
 * the step's real handler in-process (./lambda-invoker.ts), every other integration by the same
 * SDK call Step Functions would make (./integrations.ts). The execution's events feed its history
 * (for GetExecutionHistory) and the progress printer. Every state's data is held to Step Functions'
 * 256 KiB limit as AWS holds it (./data-limit.ts): past it the execution fails at once with
 * States.DataLimitExceeded, which no Catch catches.
 */
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { LocalDeployment, LocalStateMachine } from './definitions';
import { GUARD_OPTION, type StateDataGuard, type StateDataObservation, installStateDataGuard, stateDataGuard } from './data-limit';
import { type IntegrationClients, callIntegration } from './integrations';
import { inStateContext } from './faults/state-context';
import type { LambdaInvoker } from './lambda-invoker';
import type { SimExecution, SimHistoryEvent } from './sim/sfn';

type JSONValue = Parameters<StateMachine['run']>[0];
type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;

installStateDataGuard();

/** The largest state data an execution had: which state, which of its data, how many bytes. */
export interface LargestState extends StateDataObservation {
  machine: string;
  executionName: string;
}
type TaskHandler = (input: JSONValue) => Promise<JSONValue>;

export interface ProgressEvent extends SimHistoryEvent {
  /** Name of the state machine (Migrate or Clone) and of the execution. */
  machine: string;
  executionName: string;
  /** The state's output, for Exited events (used for the summary). */
  output?: unknown;
}

interface AslState {
  Type: string;
  Resource?: string;
  Branches?: { States: Record<string, AslState> }[];
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
}

function* tasks(states: Record<string, AslState>): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') yield [name, state];
    for (const branch of state.Branches ?? []) yield* tasks(branch.States);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) yield* tasks(inner.States);
  }
}

/**
 * Constructing a StateMachine validates its definition against the ASL schema (asl-validator, a
 * large ajv schema compiled each time): the same definition is validated once per process.
 */
const validated = new Map<string, StateMachine>();
function stateMachineFor(definition: string): StateMachine {
  let sm = validated.get(definition);
  if (!sm) {
    sm = new StateMachine(JSON.parse(definition) as StateMachineDefinition, { validationOptions: { checkArn: false } });
    validated.set(definition, sm);
  }
  return sm;
}

export class LocalWorkflow {
  /** The largest state data of each execution run here (by execution ARN). */
  readonly largestStates = new Map<string, LargestState>();

  constructor(
    private readonly deployment: LocalDeployment,
    private readonly invoker: LambdaInvoker,
    private readonly clients: IntegrationClients,
    private readonly onEvent: (event: ProgressEvent) => void = () => undefined,
  ) {}

  /** The local handler of every Task state of a definition, keyed by state name. */
  taskHandlers(definition: StateMachineDefinition, execution?: SimExecution, guard?: StateDataGuard): Record<string, TaskHandler> {
    const handlers: Record<string, TaskHandler> = {};
    for (const [name, state] of tasks(definition.States as Record<string, AslState>)) {
      const resource = state.Resource ?? '';
      const step = this.deployment.functions.get(resource);
      if (step) {
        handlers[name] = async (input) => (await this.invoker.invoke(step, input)) as JSONValue;
      } else if (/^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource)) {
        handlers[name] = async (input) => {
          const p = input as { FunctionName?: string; Payload?: unknown };
          const target = this.deployment.functions.get(String(p.FunctionName));
          if (!target) throw new Error(`Unknown function ${String(p.FunctionName)} in state ${name}`);
          return { Payload: (await this.invoker.invoke(target, p.Payload)) as JSONValue, StatusCode: 200 } as JSONValue;
        };
      } else if (resource.includes(':states:::')) {
        handlers[name] = async (input) => {
          if (execution && /:states:::states:startExecution/.test(resource)) {
            // After the state's StateEntered has been recorded (the event log is drained in microtasks):
            // AWS records TaskScheduled with the parameters, which name the child execution.
            await new Promise<void>((resolve) => setImmediate(resolve));
            execution.history.push({
              executionArn: execution.executionArn,
              timestamp: Date.now(),
              type: 'TaskScheduled',
              stateName: name,
              resource: resource.replace(/^arn:aws[a-z-]*:states:::/, ''),
              parameters: JSON.stringify(input),
            });
          }
          return (await callIntegration(resource, input, this.clients)) as JSONValue;
        };
      } else {
        throw new Error(`State "${name}" has a Resource the local executor cannot answer: ${resource}`);
      }
      // Every call the state makes knows where it comes from (fault injection per state).
      if (execution) handlers[name] = inStateContext(execution, execution.stateMachineArn.split(':').pop() ?? '', execution.name, name, handlers[name]);
      // The input after Parameters and the connector's raw result (before ResultSelector) are held to
      // the limit too; the state's input and output are checked by the guard around every state.
      if (guard) {
        const call = handlers[name];
        handlers[name] = async (input) => {
          guard(name, 'effective input', input);
          const result = await call(input);
          guard(name, 'result', result);
          return result;
        };
      }
    }
    return handlers;
  }

  /** Runs one execution of a state machine to its end, recording status, output and history on it. */
  async run(machine: LocalStateMachine, execution: SimExecution): Promise<void> {
    const definition = JSON.parse(machine.definition) as StateMachineDefinition;
    const sm = stateMachineFor(machine.definition);
    const guard = stateDataGuard((o) => {
      const largest = this.largestStates.get(execution.executionArn);
      if (!largest || o.bytes > largest.bytes) this.largestStates.set(execution.executionArn, { ...o, machine: machine.name, executionName: execution.name });
    });
    const options: RunOptions & { [GUARD_OPTION]: StateDataGuard } = {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(definition, execution, guard) },
      context: {
        Execution: { Id: execution.executionArn, Name: execution.name, RoleArn: `${machine.arn}:role` },
        StateMachine: { Id: machine.arn, Name: machine.name },
      },
      [GUARD_OPTION]: guard,
    };
    const run = sm.run(JSON.parse(execution.input) as JSONValue, options);
    execution.abort = () => run.abort();
    const record = (async () => {
      for await (const e of run.eventLogs) {
        const event: ProgressEvent = {
          machine: machine.name,
          executionName: execution.name,
          executionArn: execution.executionArn,
          timestamp: e.timestamp,
          type: e.type,
          stateName: 'state' in e ? e.state.name : undefined,
          stateType: 'state' in e ? e.state.type : undefined,
          error: 'Error' in e ? String(e.Error) : undefined,
          cause: 'Cause' in e ? causeText(e.Cause) : undefined,
          output: 'state' in e ? e.state.output : e.type === 'ExecutionSucceeded' ? e.output : undefined,
        };
        const { machine: _m, executionName: _n, output, ...history } = event;
        execution.history.push(e.type === 'StateExited' || e.type === 'ExecutionSucceeded' ? { ...history, outputJson: JSON.stringify(output) } : history);
        this.onEvent(event);
      }
    })();
    try {
      const output = await run.result;
      execution.status = 'SUCCEEDED';
      execution.output = JSON.stringify(output);
    } catch (err) {
      if (err instanceof ExecutionTimeoutError) {
        execution.status = 'TIMED_OUT';
        execution.error = 'States.Timeout';
      } else if (err instanceof ExecutionAbortedError) {
        // StopExecution already recorded its error and cause.
        execution.status = 'ABORTED';
      } else {
        const cause = err instanceof ExecutionError ? (err.cause as Error | undefined) : (err as Error);
        execution.status = 'FAILED';
        execution.error = cause?.name ?? 'States.Runtime';
        execution.cause = cause?.message ?? String(err);
      }
    } finally {
      execution.abort = undefined;
      execution.stopDate ??= Date.now();
      await record.catch(() => undefined);
    }
  }
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}
