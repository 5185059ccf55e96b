/**
 * Step Functions' limit on the data of one state, modelled in the local executor as AWS enforces it.
 *
 * "States.DataLimitExceeded" (AWS Step Functions Developer Guide, "Handling errors in Step Functions
 * workflows", Error names) is reported when the output of a connector (a Task's raw result), the
 * output of a state (after ResultSelector, ResultPath and OutputPath) or the input of a state after
 * Parameters is larger than the payload size quota; it is a terminal error that `States.ALL` cannot
 * catch, and no Retry matches it either. The quota is 256 KiB of data as a UTF-8 encoded string
 * ("Step Functions service quotas", Quotas related to task executions; the API reference's
 * StateEnteredEventDetails.input / StateExitedEventDetails.output: "Length Constraints: Maximum
 * length of 262144 ... bytes in UTF-8 encoding"). So the execution fails at once: no Catch runs, no
 * compensation, no notification, the lock stays until its TTL. That is why every state of the
 * workflow must stay far below it (docs/design.md invariant 10), and why the simulator must not be kinder.
 */
import { StateMachine } from 'aws-local-stepfunctions';

/** 256 KiB, in UTF-8 bytes of the JSON text. */
export const STATE_DATA_LIMIT_BYTES = 262_144;

/**
 * The error Step Functions reports. aws-local-stepfunctions 3 decides Retry and Catch from the
 * error's `isRetryable` / `isCatchable` (StateExecutor.shouldRetry / catchError read
 * `error.isRetryable ?? true`, `error.isCatchable ?? true`): both false, as for its own
 * States.Runtime, so neither `States.ALL` nor the name itself matches, and a Map or Parallel state
 * rethrows it as it came (MapStateAction throws an iteration's `ExecutionError.cause`).
 */
export class StatesDataLimitExceeded extends Error {
  override readonly name = 'States.DataLimitExceeded';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/** Size of a state's data as Step Functions counts it: the JSON text in UTF-8. */
export function stateDataBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null) ?? 'null', 'utf8');
}

/** What a guard is told: which state, which of its data, and how large it is. */
export interface StateDataObservation {
  state: string;
  /** `input` (as the state receives it), `effective input` (a Task's after Parameters), `result` (a Task's raw result), `output`. */
  what: 'input' | 'effective input' | 'result' | 'output';
  bytes: number;
}

/** Called with every state's data; throws StatesDataLimitExceeded past the limit. */
export type StateDataGuard = (state: string, what: StateDataObservation['what'], value: unknown) => void;

/** A guard that fails past the limit and reports every observation (to track the largest state). */
export function stateDataGuard(observe: (o: StateDataObservation) => void = () => undefined): StateDataGuard {
  return (state, what, value) => {
    const bytes = stateDataBytes(value);
    observe({ state, what, bytes });
    if (bytes > STATE_DATA_LIMIT_BYTES) {
      throw new StatesDataLimitExceeded(
        `The ${what} of state "${state}" is ${bytes} bytes, over the ${STATE_DATA_LIMIT_BYTES}-byte (256 KiB) limit of Step Functions; States.DataLimitExceeded cannot be caught`,
      );
    }
  };
}

/** The run option that carries the guard; aws-local-stepfunctions passes run options on to Map iterations and Parallel branches. */
export const GUARD_OPTION = 'stateDataGuard';

interface EventLoggerLike {
  dispatchStateEnteredEvent(name: string, type: string, input: unknown): void;
  dispatchStateExitedEvent(name: string, type: string, input: unknown, output: unknown): void;
}
interface ExecuteOptions {
  runOptions?: Record<string, unknown>;
  eventLogger: EventLoggerLike;
}
type Execute = (this: StateMachine, input: unknown, options: ExecuteOptions, cleanup: () => void) => Promise<unknown>;

let installed = false;

/**
 * Checks every state's input (as it enters) and output (after ResultSelector, ResultPath and
 * OutputPath, as it exits) of every execution run with the GUARD_OPTION: root machines, Map
 * iterations and Parallel branches alike (aws-local-stepfunctions builds those as StateMachine
 * instances of its own and runs them with the parent's run options).
 *
 * aws-local-stepfunctions 3 has no per-state hook, so this wraps its StateMachine.execute (the loop
 * that runs the states) and the two event dispatches it makes around each state. A guard that throws
 * there throws inside that loop but outside the state's own Retry/Catch handling: the execution fails
 * at once, as Step Functions fails it. test/workflow/data-limit.test.ts fails if an upgrade of the
 * library moves this.
 */
export function installStateDataGuard(): void {
  if (installed) return;
  const proto = StateMachine.prototype as unknown as { execute: Execute };
  const original = proto.execute;
  if (typeof original !== 'function') throw new Error('aws-local-stepfunctions has no StateMachine.execute to guard: the state data limit cannot be modelled');
  proto.execute = function guardedExecute(this: StateMachine, input, options, cleanup) {
    const guard = options.runOptions?.[GUARD_OPTION] as StateDataGuard | undefined;
    if (guard) {
      const logger = options.eventLogger;
      const entered = logger.dispatchStateEnteredEvent.bind(logger);
      const exited = logger.dispatchStateExitedEvent.bind(logger);
      logger.dispatchStateEnteredEvent = (name, type, value) => {
        guard(name, 'input', value);
        entered(name, type, value);
      };
      logger.dispatchStateExitedEvent = (name, type, stateInput, output) => {
        guard(name, 'output', output);
        exited(name, type, stateInput, output);
      };
    }
    return original.call(this, input, options, cleanup);
  };
  installed = true;
}
