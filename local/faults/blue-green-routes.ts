/**
 * The routes of the blue/green fault matrix (issue 11): migrations of the sample with strategy
 * blue-green (orders-prod live behind the sample's entry point, orders-prod-b the idle slot), each
 * entering a part of Migrate's blue/green path: the switch and what follows it, the compensation
 * before the switch (the idle slot deleted, the live slot back in service) and after it (the record
 * switched back, the previous slot returned to service, the new slot kept in standby).
 */
import { SWITCH_STATE } from '../../statemachine/blue-green';
import { SAMPLE_RECORD_NAME } from '../sample-environment';
import { denyFirstCall, FAULT_KINDS, type MatrixOptions, type Route, SILENT_LOSS_STATES } from './matrix';
import { FAULT_SLOT_B, outsideState } from './runner';
import { taskHooks } from './state-context';

/** The routes, in order of preference: a state's cells use the first route that enters it. */
export const BLUE_GREEN_ROUTES: Route[] = [
  { name: 'bg-happy', description: 'orders-prod cloned into orders-prod-b, the entry point switched to it, the retire scheduled', spec: { blueGreen: true } },
  {
    name: 'bg-new-differs',
    description: 'the copy in orders-prod-b restores with rows missing: the record is never switched, the copy deleted, orders-prod back in service',
    spec: { blueGreen: true },
    arm: ({ account }) => {
      account.faults.silent.restoreDropsRows = { rows: 1, onlyInstancesOfStack: FAULT_SLOT_B };
    },
  },
  {
    name: 'bg-smoke-fails-through-record',
    description: "after the switch the new slot's statistics answer HTTP 500 through the entry point: the record switched back, orders-prod back in service, orders-prod-b kept in standby",
    spec: { blueGreen: true },
    arm: ({ account }) => {
      taskHooks.beforeTask = (state) => {
        if (state.state === 'Smoke test through the entry point') account.faults.silent.statisticsErrorForStack = FAULT_SLOT_B;
        if (state.state === 'Switch the entry point back') account.faults.silent.statisticsErrorForStack = undefined;
      };
    },
  },
  {
    name: 'bg-record-changed-before-switch',
    description: 'someone changes the record between its reading and the switch: the switch refused (nothing overwritten), the switch record marked not made, phase A',
    spec: { blueGreen: true },
    arm: ({ account, blueGreen }) => {
      taskHooks.beforeTask = async (state) => {
        if (state.state !== SWITCH_STATE || state.invocation !== 1 || !blueGreen) return;
        const zone = blueGreen.entryPoint.hostedZoneId;
        const current = account.route53.recordSets(zone).find((r) => r.Name === `${SAMPLE_RECORD_NAME}.` && r.Type === 'A');
        if (!current?.AliasTarget) return;
        await outsideState(() =>
          account.dispatch('Route53', 'ChangeResourceRecordSets', {
            HostedZoneId: zone,
            ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: current }, { Action: 'CREATE', ResourceRecordSet: { ...current, AliasTarget: { ...current.AliasTarget!, EvaluateTargetHealth: false } } }] },
          }),
        );
      };
    },
  },
  {
    name: 'bg-clone-fails',
    description: "the clone into orders-prod-b fails at its bucket verification: phase A deletes the idle slot this run created",
    spec: { blueGreen: true },
    arm: ({ account }) => void account.faults.add(denyFirstCall('Clone c1: Verify the bucket copy', 'verify-bucket')),
  },
  {
    name: 'bg-slot-locked',
    description: 'a double clone of orders-prod-b holds its lock: the blue/green run ends at once, nothing touched',
    spec: { blueGreen: true },
    arm: ({ account, lockTable, executionArn }) => {
      account.dynamodb.putItemDirect(lockTable, {
        stackName: { S: FAULT_SLOT_B },
        owner: { S: executionArn.replace(/:[^:]+$/, ':double-clone-of-b') },
        startedAt: { S: new Date(account.now()).toISOString() },
        targetVersion: { S: '1.3.1' },
        expiresAt: { N: String(Math.floor(account.now() / 1000) + 3600) },
      });
    },
  },
];

/**
 * The blue/green matrix: every Migrate state a blue/green route enters × every kind, and silent loss
 * in the clone into the idle slot (the Clone machine the double clone's matrix faults state by state;
 * here it loses data silently, which only its verification can catch before the switch).
 */
export const BLUE_GREEN_MATRIX: MatrixOptions = {
  machines: ['Migrate', 'Clone'],
  routes: BLUE_GREEN_ROUTES,
  reachedOnly: true,
  filter: (t) => t.machine === 'Migrate' || (t.clone === 'c1' && SILENT_LOSS_STATES.includes(t.state)),
  kindsFor: (t) => (t.machine === 'Clone' ? ['silent-loss'] : FAULT_KINDS),
};
