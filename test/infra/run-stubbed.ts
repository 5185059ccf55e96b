/**
 * Runs a synthesized definition in aws-local-stepfunctions with every Task answered by a stub (by
 * step for Lambda tasks, by action for service integrations), Wait states and retry pauses set to
 * zero, and every task call recorded. It checks the routing of the definitions (which state runs
 * after which outcome, with which input), not the steps: those have their own tests.
 */
import { StateMachine } from 'aws-local-stepfunctions';

type JSONValue = Parameters<StateMachine['run']>[0];
import type { StepName } from '../../lambdas/steps';
import { allStates, synth, type AslDefinition } from './synth';

export interface Call {
  state: string;
  /** The step (Lambda tasks) or the integration action ("dynamodb:putItem", "sns:publish"...). */
  target: string;
  input: Record<string, unknown>;
}

export type Stub = (input: Record<string, unknown>, call: { state: string; attempt: number }) => unknown;

export interface Stubs {
  steps: Partial<Record<StepName, Stub>>;
  integrations: Record<string, Stub>;
}

export interface Outcome {
  output?: unknown;
  error?: { name: string; cause: string };
  calls: Call[];
}

/** An error the way a handler throws it: Step Functions reports `name` as the Error. */
export function named(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1';

export async function runStubbed(definition: AslDefinition, input: unknown, stubs: Stubs): Promise<Outcome> {
  const { steps } = synth();
  const calls: Call[] = [];
  const attempts = new Map<string, number>();
  const taskResourceLocalHandlers: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of allStates(definition)) {
    if (state.Type === 'Wait') waitTimeOverrides[name] = 0;
    if (state.Retry) retryIntervalOverrides[name] = 0;
    if (state.Type !== 'Task') continue;
    const resource = state.Resource ?? '';
    const step = steps.get(resource);
    const target = step ?? resource.replace(/^arn:aws:states:::/, '');
    const stub = step ? stubs.steps[step] : stubs.integrations[target];
    taskResourceLocalHandlers[name] = async (taskInput) => {
      const event = taskInput as Record<string, unknown>;
      calls.push({ state: name, target, input: event });
      const attempt = (attempts.get(name) ?? 0) + 1;
      attempts.set(name, attempt);
      if (!stub) throw new Error(`no stub for ${target} (state "${name}")`);
      return (await stub(event, { state: name, attempt })) as JSONValue;
    };
  }
  const execution = new StateMachine(definition as never).run(input as JSONValue, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
    context: { Execution: { Id: EXECUTION_ARN, Name: 'run-1', Input: input, StartTime: '2025-01-01T00:00:00.000Z' } } as never,
  });
  try {
    return { output: await execution.result, calls };
  } catch (err) {
    // The executor wraps the failure: its cause is the state machine's error (name = Error, message = Cause).
    const cause = (err as { cause?: { name?: string; message?: string } }).cause;
    return { error: { name: cause?.name ?? 'unknown', cause: cause?.message ?? String(err) }, calls };
  }
}

export const callsOf = (o: Outcome, target: string): Call[] => o.calls.filter((c) => c.target === target);
export const statesRun = (o: Outcome): string[] => o.calls.map((c) => c.state);
