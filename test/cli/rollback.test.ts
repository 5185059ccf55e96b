/**
 * `env-migrator rollback --environment <record>` end to end: the switch record a blue/green migration
 * left (local/blue-green-fixture.ts) is found by the record's name, the synthesized Rollback machine is
 * started and followed to its end by the local executor against the simulated account.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { BG_SLOTS, switchedEnvironment } from '../../local/blue-green-fixture';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness } from '../../local/harness';
import { recordPointsAt } from '../../local/invariants-blue-green';
import { terminal } from './terminal';

let harness: LocalHarness | undefined;
afterEach(() => {
  harness?.dispose();
  harness = undefined;
});

describe('env-migrator rollback', () => {
  it('finds the switch by the record name, rolls back and exits 0; refuses a second time (exit 1, no execution) and an unknown record', async () => {
    harness = await LocalHarness.create();
    const h = harness;
    const env = await runOnSimulatedClock(() => switchedEnvironment(h), h.account.now());
    const [a, b] = BG_SLOTS;
    const args = (record: string) => ['rollback', '--environment', record, '--state-machine-arn', h.deployment.rollback.arn, '--bucket', h.deployment.workflowBucketName, '--json'];

    const first = terminal();
    // Any case and a trailing dot: the operator types the name as DNS shows it.
    const code = await runOnSimulatedClock(() => runCli(args(`${env.entryPoint.recordName.toUpperCase()}.`), first.deps), h.account.now());
    expect(code).toBe(EXIT.SUCCEEDED);
    expect(first.json()).toMatchObject({ outcome: 'ROLLED_BACK', exitCode: 0, survivor: a, error: null, executionArn: expect.stringContaining(`:Rollback`) });
    expect(first.err.join('\n')).toContain(`the record back to ${a} (version 1.3.0), ${b} (version 1.4.0) into standby`);
    expect(recordPointsAt(h.account, env.entryPoint, env.slots)).toBe(a);
    // Read and probed as the migration did: the input carries the switch record's checks.
    const started = [...h.account.sfn.executions.values()].find((x) => x.stateMachineArn === h.deployment.rollback.arn)!;
    expect(JSON.parse(started.input)).toEqual({ entryPoint: env.entryPoint, slots: [a, b], acceptDiscardingWrites: false, ...env.switchRecord.checks });

    const executionsBefore = h.account.sfn.executions.size;
    const second = terminal();
    expect(await runOnSimulatedClock(() => runCli(args(env.entryPoint.recordName), second.deps), h.account.now())).toBe(EXIT.FAILED);
    expect(second.json()).toMatchObject({ outcome: 'ALREADY_ROLLED_BACK', exitCode: 1, executionArn: null, error: { name: 'RollbackRefused', cause: expect.stringContaining('already rolled back') } });
    expect(h.account.sfn.executions.size).toBe(executionsBefore);

    const unknown = terminal();
    expect(await runCli(args('billing.example.internal'), unknown.deps)).toBe(EXIT.FAILED);
    expect(unknown.json()).toMatchObject({ outcome: 'NO_SWITCH_RECORDED', error: { cause: expect.stringContaining('no blue/green switch of billing.example.internal') } });
  });
});
