/**
 * env-migrator plan --strategy blue-green refuses what Migrate's blue/green path refuses at once
 * (statemachine/blue-green.ts blueGreenStart: the three locks of its transaction, the entry point as
 * "Read the entry point" reads it, "Is the stack the live slot?", "Is the idle slot free?"), on the
 * sample environment and its entry point in one simulated account, seeded once for the file. The tests
 * run in order: each leaves the account as it found it, but the last one creates the idle slot.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationPlan } from '../../cli/plan-core';
import { type DurationEstimate } from '../../cli/plan-estimate';
import { runCli } from '../../cli/program';
import { entryPointLockKey } from '../../lambdas/shared/naming';
import type { MigrationInputRaw } from '../../lambdas/shared/contracts';
import { SAMPLE_STACK, TEMPLATE_KEYS, TEST_SIZE, seedEntryPoint, seedSampleEnvironment, templateUrl } from '../../local/sample-environment';
import { SAMPLE_SLOT_B, blueGreenInput } from '../../local/scenarios';
import { SimAccount } from '../../local/sim/account';
import { installSimulatedAccount } from '../../local/sim/install';

const LOCK_TABLE = 'EnvMigrator-EnvironmentLocks';
/** Reads only: what a plan may call. */
const READ_ONLY = /^(Describe|Get|List|Head|Validate)/;
const HOLDER = 'arn:aws:states:us-east-1:123456789012:execution:Rollback:orders-rollback-20261205T030000Z';

let account: SimAccount;
let entryPoint: { hostedZoneId: string; recordName: string };
let uninstall: () => void;
const dir = mkdtempSync(join(tmpdir(), 'plan-bg-'));

beforeAll(() => {
  account = new SimAccount();
  seedSampleEnvironment(account, TEST_SIZE);
  account.dynamodb.createTable(LOCK_TABLE, 'stackName');
  entryPoint = seedEntryPoint(account);
  uninstall = installSimulatedAccount(account);
});
afterAll(() => uninstall());

interface PlanRun {
  code: number;
  result: { outcome: string; exitCode: number; survivor: string; error: { name: string; cause: string } | null; refusals?: string[]; lock?: { stackName: string; owner?: string }; locks?: { stackName: string }[]; plan?: MigrationPlan; estimate?: DurationEstimate };
  text: string;
  /** The calls this plan made. */
  calls: SimAccount['calls'];
}

/** Runs `env-migrator plan --json` on a blue/green input (the sample's, with the seeded zone) changed by `change`. */
async function plan(change: Partial<MigrationInputRaw> = {}): Promise<PlanRun> {
  const file = join(dir, `input-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ ...blueGreenInput(SAMPLE_STACK), entryPoint, templateUrl: templateUrl(TEMPLATE_KEYS.target), ...change }));
  const out: string[] = [];
  const err: string[] = [];
  const before = account.calls.length;
  const code = await runCli(['plan', '--input', file, '--table', LOCK_TABLE, '--json'], { out: (l) => out.push(l), err: (l) => err.push(l) });
  const calls = account.calls.slice(before);
  expect(calls.filter((c) => !READ_ONLY.test(c.operation)).map((c) => `${c.service}.${c.operation}`)).toEqual([]);
  return { code, result: JSON.parse(out[0]!) as PlanRun['result'], text: err.join('\n'), calls };
}

describe('env-migrator plan --strategy blue-green', () => {
  it('is READY when the record points at stackName, the idle slot does not exist and no key is held: the three keys read, an expired one taken over, the record TTL in the switch segment', async () => {
    // A lock of the idle slot's name left by an execution that timed out: Migrate's condition lets it be taken.
    account.dynamodb.putItemDirect(LOCK_TABLE, { stackName: { S: SAMPLE_SLOT_B }, owner: { S: HOLDER }, expiresAt: { N: String(Math.floor(Date.now() / 1000) - 60) } });
    const { code, result, text, calls } = await plan();
    expect(code).toBe(0);
    expect(result).toMatchObject({ outcome: 'READY', survivor: SAMPLE_STACK, error: null });
    const bg = result.plan!.blueGreen!;
    expect(bg).toMatchObject({ liveSlot: SAMPLE_STACK, idleSlot: SAMPLE_SLOT_B, ttlSeconds: 60, record: { Type: 'A' } });
    expect(bg.locks.map((l) => [l.key, l.state])).toEqual([
      [SAMPLE_STACK, 'FREE'],
      [SAMPLE_SLOT_B, 'EXPIRED'],
      [entryPointLockKey(entryPoint), 'FREE'],
    ]);
    // Every key of Migrate's transaction read consistently; the record read as the entry-point step does.
    const gets = calls.filter((c) => c.operation === 'GetItem');
    expect(gets).toHaveLength(3);
    expect(calls.filter((c) => c.operation === 'ListResourceRecordSets').length).toBeGreaterThanOrEqual(1);
    expect(result.estimate!.segments.at(-1)!.what).toContain("record's TTL: 60 s");
    expect(text).toContain(`Entry point: ${entryPoint.recordName} (A alias to dualstack.`);
    expect(text).toContain(`points at ${SAMPLE_STACK}, the live slot; the idle slot ${SAMPLE_SLOT_B} does not exist`);
    expect(text).toContain(`${SAMPLE_SLOT_B} expired (${HOLDER}), taken over`);
  });

  it('refuses NotTheLiveSlot when stackName is the idle slot, naming the slot the record points at as the one holding the data, before any discovery', async () => {
    const { code, result, calls } = await plan({ stackName: SAMPLE_SLOT_B });
    expect(code).toBe(1);
    expect(result).toMatchObject({ outcome: 'REFUSED', survivor: SAMPLE_STACK, error: { name: 'NotTheLiveSlot' } });
    expect(result.refusals).toHaveLength(1);
    expect(result.refusals![0]).toMatch(new RegExp(`^stackName: the entry point ${entryPoint.recordName} points at ${SAMPLE_STACK}, not at ${SAMPLE_SLOT_B}: ${SAMPLE_STACK} is the live slot and holds the data`));
    // Migrate stops at "Is the stack the live slot?": no template read, no bucket listed.
    expect(calls.map((c) => c.operation)).not.toContain('GetTemplate');
    expect(calls.map((c) => c.operation)).not.toContain('ListObjectVersions');
  });

  it("refuses MigrationInProgress naming the entry point's lock and its holder when another execution holds the record, and reads nothing else", async () => {
    const key = entryPointLockKey(entryPoint);
    account.dynamodb.putItemDirect(LOCK_TABLE, {
      stackName: { S: key },
      owner: { S: HOLDER },
      startedAt: { S: '2026-12-05T03:00:00Z' },
      expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
    });
    try {
      const { code, result, calls } = await plan();
      expect(code).toBe(1);
      expect(result).toMatchObject({ outcome: 'REFUSED', survivor: SAMPLE_STACK, error: { name: 'MigrationInProgress' }, lock: { stackName: key, owner: HOLDER }, locks: [{ stackName: key }] });
      expect(result.refusals).toHaveLength(1);
      expect(result.refusals![0]).toContain(`the entry point ${entryPoint.recordName} (lock key ${key}`);
      expect(result.refusals![0]).toContain(`locked by execution ${HOLDER}`);
      expect(result.refusals![0]).toContain(`env-migrator unlock --stack ${key}`);
      expect(calls.map((c) => `${c.service}.${c.operation}`)).toEqual(['DynamoDB.GetItem', 'DynamoDB.GetItem', 'DynamoDB.GetItem']);
    } finally {
      await new DynamoDBClient({}).send(new DeleteItemCommand({ TableName: LOCK_TABLE, Key: { stackName: { S: key } } }));
    }
  });

  it('refuses NoSuchHostedZone naming entryPoint.hostedZoneId, and EntryPointInvalid naming a record that does not exist', async () => {
    const noZone = await plan({ entryPoint: { hostedZoneId: 'ZNOSUCHZONE0000', recordName: entryPoint.recordName } });
    expect(noZone.code).toBe(1);
    expect(noZone.result).toMatchObject({ outcome: 'REFUSED', error: { name: 'NoSuchHostedZone' } });
    expect(noZone.result.refusals![0]).toMatch(/^entryPoint\.hostedZoneId: there is no hosted zone ZNOSUCHZONE0000/);
    const noRecord = await plan({ entryPoint: { hostedZoneId: entryPoint.hostedZoneId, recordName: 'shop.example.internal' } });
    expect(noRecord.code).toBe(1);
    expect(noRecord.result).toMatchObject({ outcome: 'REFUSED', error: { name: 'EntryPointInvalid' } });
    expect(noRecord.result.refusals![0]).toMatch(/^entryPoint: there is no A or CNAME record shop\.example\.internal/);
  });

  // Last: creates the idle slot, which no later test could undo.
  it('refuses IdleSlotOccupied naming the idle slot and its status when it exists (a previous slot not yet retired)', async () => {
    const live = account.cloudformation.stackByName(SAMPLE_STACK)!;
    const template = readFileSync(new URL('../../examples/environment-v1.4.0.yaml', import.meta.url), 'utf8');
    account.cloudformation.createStackNow(SAMPLE_SLOT_B, template, { ...live.parameters, OrdersDbSnapshotIdentifier: '' });
    const { code, result } = await plan();
    expect(code).toBe(1);
    expect(result).toMatchObject({ outcome: 'REFUSED', survivor: SAMPLE_STACK, error: { name: 'IdleSlotOccupied' } });
    expect(result.refusals![0]).toMatch(new RegExp(`^slots: the idle slot ${SAMPLE_SLOT_B} exists \\(CREATE_COMPLETE\\): a previous slot not yet retired`));
    expect(result.refusals![0]).toContain(`env-migrator rollback --environment ${entryPoint.recordName}`);
  });
});
