/**
 * Clone on its own: copying an environment for experiments or analysis is a job in itself. The
 * synthesized Clone definition, started through the SDK like any execution, must leave a second
 * environment holding exactly the original's data, and leave the original untouched.
 */
import { executionArnOf } from '../../lambdas/shared/naming';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { type CloneInput, type CloneOutput, MigrationInputSchema } from '../../lambdas/shared/contracts';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness } from '../../local/harness';
import { SAMPLE_STACK, SAMPLE_VERSION, TEST_SIZE, seedSampleEnvironment } from '../../local/sample-environment';
import { environmentData, sameData } from '../../local/sim/environment-data';

let harness: LocalHarness | undefined;
afterEach(() => harness?.dispose());

function cloneInput(destination: string, executionArn: string): CloneInput {
  const defaults = MigrationInputSchema.parse({ stackName: SAMPLE_STACK, targetVersion: SAMPLE_VERSION });
  return {
    sourceStackName: SAMPLE_STACK,
    destinationStackName: destination,
    targetVersion: SAMPLE_VERSION,
    parameters: {},
    statistics: defaults.statistics,
    waits: defaults.waits,
    phase: 'x1',
    runId: 'a1b2c3d4',
    execution: { id: executionArn, name: 'analysis-copy' },
  };
}

describe('Clone, run on its own', () => {
  it('copies orders-prod into a new stack holding exactly its data, and leaves orders-prod as it was', async () => {
    harness = await LocalHarness.create();
    const { account } = harness;
    seedSampleEnvironment(account, TEST_SIZE);
    const before = environmentData(account, SAMPLE_STACK);
    const cloneArn = harness.deployment.clone.arn;
    const executionArn = executionArnOf(cloneArn, 'analysis-copy');

    const execution = await runOnSimulatedClock(async () => {
      const started = await new SFNClient({}).send(
        new StartExecutionCommand({ stateMachineArn: cloneArn, name: 'analysis-copy', input: JSON.stringify(cloneInput('orders-analysis', executionArn)) }),
      );
      return harness!.finished(started.executionArn!);
    });

    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output!) as CloneOutput;
    expect(output.outcome).toBe('EQUAL');
    expect(output.destinationStackName).toBe('orders-analysis');
    expect(sameData(before, environmentData(account, 'orders-analysis')).differences).toEqual([]);
    expect(sameData(before, environmentData(account, SAMPLE_STACK)).differences).toEqual([]);
  });
});
