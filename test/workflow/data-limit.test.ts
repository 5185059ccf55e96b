/**
 * Step Functions' 256 KiB limit on a state's data, as the local executor models it: past it the
 * execution fails at once with States.DataLimitExceeded, which neither a Catch on States.ALL nor a
 * Retry matches ("Handling errors in Step Functions workflows", Error names). Tiny definitions run
 * through the same LocalWorkflow that runs Migrate and Clone; their Catch records whether it ran.
 */
import { describe, expect, it } from 'vitest';
import type { StepName } from '../../lambdas/steps';
import { STATE_DATA_LIMIT_BYTES, stateDataBytes } from '../../local/data-limit';
import type { LocalDeployment } from '../../local/definitions';
import { LocalWorkflow } from '../../local/executor';
import type { IntegrationClients } from '../../local/integrations';
import type { LambdaInvoker } from '../../local/lambda-invoker';
import type { SimExecution } from '../../local/sim/sfn';

const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:Grow';
const KiB = 1024;

/** A string whose JSON text is about `bytes` long. */
const filler = (bytes: number) => 'x'.repeat(bytes);

/** Runs a definition whose one Lambda function answers `answer(input)`; returns the execution and what the Lambda saw. */
async function run(definition: object, input: unknown, answer: (input: unknown) => unknown) {
  const deployment = {
    functions: new Map<string, StepName>([[FUNCTION, 'discover']]),
  } as unknown as LocalDeployment;
  const calls: unknown[] = [];
  const invoker = {
    invoke: async (_step: StepName, payload: unknown) => {
      calls.push(payload);
      const result = answer(payload);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as LambdaInvoker;
  const workflow = new LocalWorkflow(deployment, invoker, {} as IntegrationClients);
  const machineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Tiny';
  const execution: SimExecution = {
    executionArn: `${machineArn.replace(':stateMachine:', ':execution:')}:e1`,
    stateMachineArn: machineArn,
    name: 'e1',
    input: JSON.stringify(input),
    status: 'RUNNING',
    startDate: Date.now(),
    history: [],
    done: Promise.resolve(),
  };
  await workflow.run({ logicalId: 'Tiny', name: 'Tiny', arn: machineArn, definition: JSON.stringify(definition) }, execution);
  return { execution, calls, largest: workflow.largestStates.get(execution.executionArn) };
}

const caught = { Type: 'Pass', Result: 'the Catch ran', ResultPath: '$.caught', End: true };
const catchAll = [{ ErrorEquals: ['States.ALL'], Next: 'Caught', ResultPath: '$.error' }];
const retryAll = [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3, IntervalSeconds: 0 }];

describe('the 256 KiB state limit', () => {
  it("fails the execution with States.DataLimitExceeded when a task's output (after ResultPath) grows past 256 KiB, and no Catch or Retry runs", async () => {
    const definition = {
      StartAt: 'Grow',
      States: {
        Grow: { Type: 'Task', Resource: FUNCTION, ResultPath: '$.grown', Retry: retryAll, Catch: catchAll, End: true },
        Caught: caught,
      },
    };
    // Input and result each well under the limit; together, past it.
    const { execution, calls } = await run(definition, { kept: filler(150 * KiB) }, () => ({ more: filler(150 * KiB) }));
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(execution.cause).toMatch(/output of state "Grow" is \d+ bytes, over the 262144-byte/);
    expect(calls).toHaveLength(1);
    expect(execution.history.some((e) => e.stateName === 'Caught')).toBe(false);
    expect(execution.history.map((e) => e.type)).not.toContain('StateRetried');
  });

  it('fails with States.DataLimitExceeded on a connector result past the limit even when ResultSelector would keep it small', async () => {
    const definition = {
      StartAt: 'Grow',
      States: {
        Grow: { Type: 'Task', Resource: FUNCTION, ResultSelector: { 'small.$': '$.small' }, ResultPath: '$.grown', Catch: catchAll, End: true },
        Caught: caught,
      },
    };
    const { execution } = await run(definition, {}, () => ({ small: 1, large: filler(STATE_DATA_LIMIT_BYTES) }));
    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(execution.cause).toMatch(/result of state "Grow"/);
    expect(execution.history.some((e) => e.stateName === 'Caught')).toBe(false);
  });

  it('fails with States.DataLimitExceeded on a Pass state whose Parameters double the data, and inside a Map iteration whose Map has a Catch', async () => {
    const doubling = {
      StartAt: 'Double',
      States: { Double: { Type: 'Pass', Parameters: { 'a.$': '$.x', 'b.$': '$.x' }, End: true } },
    };
    const pass = await run(doubling, { x: filler(140 * KiB) }, () => ({}));
    expect(pass.execution.error).toBe('States.DataLimitExceeded');

    const inMap = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: 'Grow', States: { Grow: { Type: 'Task', Resource: FUNCTION, End: true } } },
          ResultPath: '$.results',
          Catch: catchAll,
          End: true,
        },
        Caught: caught,
      },
    };
    const map = await run(inMap, { items: [1, 2] }, () => ({ large: filler(STATE_DATA_LIMIT_BYTES) }));
    expect(map.execution.error).toBe('States.DataLimitExceeded');
    expect(map.execution.history.some((e) => e.stateName === 'Caught')).toBe(false);
  });

  it('lets the same definitions catch an ordinary error, and records the largest state of a run within the limit', async () => {
    const definition = {
      StartAt: 'Grow',
      States: { Grow: { Type: 'Task', Resource: FUNCTION, ResultPath: '$.grown', Catch: catchAll, End: true }, Caught: caught },
    };
    const failing = await run(definition, {}, () => Object.assign(new Error('boom'), { name: 'SomethingFailed' }));
    expect(failing.execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(failing.execution.output!)).toMatchObject({ caught: 'the Catch ran', error: { Error: 'SomethingFailed' } });

    const input = { kept: filler(100 * KiB) };
    const fine = await run(definition, input, () => ({ more: filler(100 * KiB) }));
    expect(fine.execution.status).toBe('SUCCEEDED');
    expect(fine.largest).toMatchObject({ state: 'Grow', what: 'output' });
    expect(fine.largest!.bytes).toBe(stateDataBytes(JSON.parse(fine.execution.output!)));
    expect(fine.largest!.bytes).toBeGreaterThan(200 * KiB);
  });
});
