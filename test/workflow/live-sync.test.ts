/**
 * Live sync (issue 12), both strategies, through the synthesized definitions on the simulated account:
 * the copy made while the environment serves (the `<runId>-live` Clone), its read replicas promoted
 * after the standby, the fallback to snapshots and the refusal when a database cannot be a replica.
 * The scenarios of a write after the pre-copy and of a replica that never catches up run with the
 * other scenarios (test/workflow/scenarios.test.ts, blue-green.test.ts).
 */
import { rehearseAndInspect } from './rehearse-and-inspect';
import { describe, expect, it } from 'vitest';
import { SAMPLE_STACK } from '../../local/sample-environment';
import { blueGreenScenario, SAMPLE_SLOT_B, scenario, type Scenario, withLiveSync } from '../../local/scenarios';
import type { SimAccount } from '../../local/sim/account';
import type { MigrationOutput } from '../../lambdas/shared/contracts';
import { runIdOf } from '../../lambdas/validate-input/core';


/** The Clone executions the migration started, by name suffix (`live`, `c1`, `c2`). */
function clones(account: SimAccount, executionArn: string): Map<string, { status: string; output?: { outcome?: string } }> {
  const runId = runIdOf(executionArn);
  const found = new Map<string, { status: string; output?: { outcome?: string } }>();
  for (const x of account.sfn.executions.values()) {
    if (!/:stateMachine:Clone/.test(x.stateMachineArn)) continue;
    const match = new RegExp(`:${runId}-(\\w+)$`).exec(x.executionArn);
    if (match) found.set(match[1]!, { status: x.status, ...(x.output ? { output: JSON.parse(x.output) as { outcome?: string } } : {}) });
  }
  return found;
}

function outputOf(account: SimAccount, executionArn: string): MigrationOutput {
  return JSON.parse(account.sfn.executions.get(executionArn)!.output!) as MigrationOutput;
}

function ordersDb(account: SimAccount, stackName: string) {
  const id = account.cloudformation.resourcesOf(stackName).find((r) => r.logicalId === 'OrdersDb')!.physicalId;
  return account.rds.instance(id)!;
}

/** The sample's source database with automated backups off: it cannot be the source of a read replica. */
function withoutBackups(s: Scenario, liveSyncFallback: 'refuse' | 'snapshots'): Scenario {
  return {
    ...s,
    name: `${s.name}-no-backups-${liveSyncFallback}`,
    input: { ...s.input, liveSync: true, liveSyncFallback },
    prepare: (account) => {
      s.prepare?.(account);
      account.rds.setBackupRetention(ordersDb(account, SAMPLE_STACK).identifier, 0);
    },
  };
}

describe('live sync', () => {
  it('double clone: the temporary copy is prepared while orders-prod serves (no snapshot of it is taken), its replica promoted after the standby, and the migration succeeds with every invariant held', async () => {
    const result = await rehearseAndInspect(withLiveSync(scenario('happy')), ({ account, executionArn }) => {
      const byName = clones(account, executionArn);
      expect(byName.get('live')).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'PREPARED' } });
      expect(byName.get('c1')).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'EQUAL' } });
      expect(byName.get('c2')).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'EQUAL' } });
      // Only clone 2 snapshots (the temporary copy, once promoted): the original never was.
      expect(account.rds.listSnapshots().filter((x) => x.instanceIdentifier === ordersDb(account, SAMPLE_STACK).identifier)).toHaveLength(0);
      // The new environment's database is a standalone instance, and no replica is left anywhere.
      expect(ordersDb(account, SAMPLE_STACK).replicaOf).toBeUndefined();
      expect(account.rds.listInstances().filter((i) => i.replicaOf !== undefined)).toEqual([]);
      expect(outputOf(account, executionArn).liveSync).toEqual({ requested: true, possible: true, reasons: [] });
    });
    expect(result.violations).toEqual([]);
    expect(result.outcome).toBe('succeeded');
    expect(result.dataIntact).toBe(true);
    expect(result.snapshotsMade).toBe(1);
    expect(result.report.notifications[0]!.message).toContain('Live sync: the copy was made while the environment served');
  });

  it('blue/green: the idle slot is prepared with a read replica while the live slot serves; after the switch its database is promoted and the previous slot keeps no replica', async () => {
    const result = await rehearseAndInspect(withLiveSync(blueGreenScenario('happy')), ({ account, executionArn }) => {
      expect(clones(account, executionArn).get('live')).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'PREPARED' } });
      expect(ordersDb(account, SAMPLE_SLOT_B).replicaOf).toBeUndefined();
      expect(ordersDb(account, SAMPLE_STACK).replicas).toEqual([]);
      expect(outputOf(account, executionArn).stackName).toBe(SAMPLE_SLOT_B);
    });
    expect(result.violations).toEqual([]);
    expect(result.outcome).toBe('succeeded');
    expect(result.snapshotsMade).toBe(0);
  });

  it('a database that cannot be a replica, liveSyncFallback "refuse": LiveSyncNotPossible before the standby, naming it; nothing touched', async () => {
    const result = await rehearseAndInspect(withoutBackups(scenario('happy'), 'refuse'), ({ account, executionArn }) => {
      expect(clones(account, executionArn).size).toBe(0);
    });
    expect(result.violations).toEqual([]);
    expect(result.outcome).toBe('failed');
    expect(result.error).toBe('LiveSyncNotPossible');
    expect(result.downtime).toBeUndefined();
    expect(result.snapshotsMade).toBe(0);
    expect(result.report.notifications[0]!.message).toMatch(/OrdersDb.*automated backups/i);
  });

  it('a database that cannot be a replica, liveSyncFallback "snapshots": migrated by snapshots, the output and the notification saying live sync was not used and why', async () => {
    const result = await rehearseAndInspect(withoutBackups(scenario('happy'), 'snapshots'), ({ account, executionArn }) => {
      expect(clones(account, executionArn).has('live')).toBe(false);
      const live = outputOf(account, executionArn).liveSync;
      expect(live).toMatchObject({ requested: true, possible: false });
      expect(live.reasons.join(' ')).toMatch(/OrdersDb/);
    });
    expect(result.violations).toEqual([]);
    expect(result.outcome).toBe('succeeded');
    expect(result.snapshotsMade).toBe(2);
    expect(result.report.notifications[0]!.message).toContain('Live sync NOT used: the copy was made by snapshots');
  });
});
