/**
 * env-migrator plan: Migrate's checks before the standby, read-only, on the sample environment in the
 * simulated account (installed behind the SDK's default configuration, which is what the command's own
 * clients meet), and on two of the preflight refusals as local/scenarios.ts sets them up.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CostEstimate } from '../../cli/plan-cost';
import { runCli } from '../../cli/program';
import type { MigrationPlan } from '../../cli/plan-core';
import { type DurationEstimate, estimateDurations } from '../../cli/plan-estimate';
import { SAMPLE_STACK, SAMPLE_VERSION, TARGET_VERSION, TEMPLATE_KEYS, TEST_SIZE, seedEntryPoint, seedSampleEnvironment, templateUrl } from '../../local/sample-environment';
import { RENAMED_BUCKET_TEMPLATE_KEY, SAMPLE_SLOT_B, blueGreenInput, scenario } from '../../local/scenarios';
import { SimAccount } from '../../local/sim/account';
import { installSimulatedAccount } from '../../local/sim/install';

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

/** The lock table the plan reads (given with --table: the sample account has no migrator stack). */
const LOCK_TABLE = 'EnvMigrator-EnvironmentLocks';

function sampleAccount(): SimAccount {
  const account = new SimAccount();
  seedSampleEnvironment(account, TEST_SIZE);
  account.dynamodb.createTable(LOCK_TABLE, 'stackName');
  return account;
}

async function plan(account: SimAccount, args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  uninstall = installSimulatedAccount(account);
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['plan', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const TARGET = ['--stack', SAMPLE_STACK, '--target-version', TARGET_VERSION, '--template-url', templateUrl(TEMPLATE_KEYS.target), '--table', LOCK_TABLE];
/** Reads only: what a plan may call (Describe*, Get*, List*, Head*, ValidateTemplate). */
const READ_ONLY = /^(Describe|Get|List|Head|Validate)/;

describe('env-migrator plan', () => {
  it('plans the sample environment with read-only calls: exit 0, every bucket counted, the database, what is created and deleted', async () => {
    const account = sampleAccount();
    const { code, out, err } = await plan(account, [...TARGET, '--json']);

    expect(err.join('\n')).toContain('the migration can start');
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0]!) as { outcome: string; exitCode: number; error: unknown; plan: MigrationPlan };
    expect(result).toMatchObject({ outcome: 'READY', exitCode: 0, error: null, survivor: SAMPLE_STACK });
    const p = result.plan;
    expect(p).toMatchObject({ stackName: SAMPLE_STACK, currentVersion: SAMPLE_VERSION, targetVersion: TARGET_VERSION, objectVersions: 'all' });
    // The same buckets and database the stack holds, each bucket's counts those of its listing.
    const stackBuckets = account.cloudformation.resourcesOf(SAMPLE_STACK).filter((r) => r.type === 'AWS::S3::Bucket');
    expect(p.buckets.map((b) => b.logicalId).sort()).toEqual(stackBuckets.map((r) => r.logicalId).sort());
    for (const b of p.buckets) expect(b.currentObjects).toBe(account.s3.objectCount(b.bucketName));
    expect(p.totals.bytes).toBeGreaterThan(6 * 1024 ** 3); // the modelled object over 5 GB
    expect(p.buckets.find((b) => b.logicalId === 'UploadsBucket')).toMatchObject({ versioning: 'Enabled' });
    expect(p.buckets.find((b) => b.logicalId === 'UploadsBucket')!.deleteMarkers).toBeGreaterThan(0);
    expect(p.databases).toEqual([expect.objectContaining({ logicalId: 'OrdersDb', allocatedStorageGb: expect.any(Number) as number })]);
    expect(p.databases[0]!.allocatedStorageGb).toBeGreaterThan(0);
    expect(p.created.map((s) => s.what).join('\n')).toContain(`${SAMPLE_STACK}-tmp-<runId>`);
    expect(p.created.map((s) => s.what).join('\n')).toContain('em-<runId>-c1-ordersdb');
    expect(p.deleted[0]!.when).toContain('after clone 1 is verified');
    expect(p.notCarried).toEqual([]);
    // The estimate printed is the benchmark model's for this plan.
    expect((result as unknown as { estimate: DurationEstimate }).estimate).toEqual(estimateDurations(p));
    // Nothing written: every call a read, no stack, snapshot or object added.
    const writes = account.calls.filter((c) => !READ_ONLY.test(c.operation)).map((c) => `${c.service}.${c.operation}`);
    expect(writes).toEqual([]);
    expect(account.cloudformation.stackByName(`${SAMPLE_STACK}-tmp-<runId>`)).toBeUndefined();
  });

  it("shows CloudWatch's figures as of their day for a bucket older than a day, never the bucket as it is now, and lists a new bucket without any", async () => {
    const account = sampleAccount();
    const uploads = account.cloudformation.resourcesOf(SAMPLE_STACK).find((r) => r.logicalId === 'UploadsBucket')!.physicalId;
    const measuredVersions = account.s3.versionCount(uploads) - account.s3.storageMeasurement(uploads).numberOfObjects; // delete markers
    // UploadsBucket has existed for days and S3 measured it last night; ReportsBucket is new.
    const day = 86_400_000;
    const lastNight = Math.floor(Date.now() / day) * day - day;
    account.s3.backdateBucket(uploads, new Date(Date.now() - 3 * day));
    account.cloudwatch.recordDailyMeasurement(new Date(lastNight));
    account.s3.putObjectDirect(uploads, 'written-after-the-measurement.txt', { body: 'new' });

    const { code, out, err } = await plan(account, [...TARGET, '--json']);
    expect(code).toBe(0);
    const p = (JSON.parse(out[0]!) as { plan: MigrationPlan }).plan;
    const u = p.buckets.find((b) => b.logicalId === 'UploadsBucket')!;
    expect(u.cloudwatch).toMatchObject({ asOf: new Date(lastNight).toISOString(), numberOfObjects: account.s3.versionCount(uploads) - 1 - measuredVersions });
    expect(u.cloudwatch!.bytes).toBeGreaterThan(6 * 1024 ** 3);
    // The listing is the bucket now: one more object than CloudWatch measured.
    expect(u.currentObjects + u.noncurrentVersions).toBe(u.cloudwatch!.numberOfObjects + 1);
    expect(p.buckets.find((b) => b.logicalId === 'ReportsBucket')!.cloudwatch).toBeNull();
    const text = err.join('\n');
    expect(text).toContain(`CloudWatch, as of ${new Date(lastNight).toISOString().slice(0, 10)}`);
    expect(text).toContain('CloudWatch: no daily storage metrics yet');
  });

  it('exits 1 naming the execution that holds the lock, as start would fail, and checks nothing else', async () => {
    const account = sampleAccount();
    const holder = 'arn:aws:states:us-east-1:123456789012:execution:Migrate:orders-prod-1-4-0-20261205T030000Z';
    account.dynamodb.putItemDirect(LOCK_TABLE, {
      stackName: { S: SAMPLE_STACK },
      owner: { S: holder },
      startedAt: { S: '2026-12-05T03:00:00Z' },
      targetVersion: { S: TARGET_VERSION },
      expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
    });
    const { code, out } = await plan(account, [...TARGET, '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(out[0]!) as { outcome: string; error: { name: string; cause: string }; lock: { owner: string } };
    expect(result).toMatchObject({ outcome: 'REFUSED', error: { name: 'MigrationInProgress' }, lock: { owner: holder } });
    expect(result.error.cause).toContain(holder);
    expect(result.error.cause).toContain(`env-migrator unlock --stack ${SAMPLE_STACK}`);
    expect(account.countCalls('DynamoDB', 'GetItem')).toBe(1);
    expect(account.countCalls('CloudFormation')).toBe(0);
  });

  it('exits 3 naming what blue-green lacks (entryPoint, slots), and strategy for an unknown one, before any AWS call', async () => {
    const account = sampleAccount();
    const blueGreen = await plan(account, [...TARGET, '--strategy', 'blue-green', '--json']);
    expect(blueGreen.code).toBe(3);
    const issues = (JSON.parse(blueGreen.out[0]!) as { issues: { field: string }[] }).issues.map((i) => i.field);
    expect(issues).toEqual(['entryPoint', 'slots']);
    uninstall?.();
    uninstall = undefined;
    const unknown = await plan(account, [...TARGET, '--strategy', 'big-bang']);
    expect(unknown.code).toBe(3);
    expect(unknown.out.join('\n')).toContain('strategy: must be one of double-clone, blue-green');
    expect(account.calls).toEqual([]);
  });

  it('plans a blue/green migration with one clone into the idle slot and prices it so: the previous slot kept keepPreviousHours after the switch, no temporary stack, read-only calls', async () => {
    const account = sampleAccount();
    const { hostedZoneId } = seedEntryPoint(account);
    const file = join(mkdtempSync(join(tmpdir(), 'plan-bg-')), 'input.json');
    writeFileSync(file, JSON.stringify({ ...blueGreenInput(SAMPLE_STACK), entryPoint: { hostedZoneId, recordName: 'orders.example.internal' }, keepPreviousHours: 48, templateUrl: templateUrl(TEMPLATE_KEYS.target) }));
    const { code, out } = await plan(account, ['--input', file, '--table', LOCK_TABLE, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out[0]!) as { plan: MigrationPlan; estimate: DurationEstimate; cost: CostEstimate };
    expect(result.plan).toMatchObject({ strategy: 'blue-green', blueGreen: { liveSlot: SAMPLE_STACK, idleSlot: SAMPLE_SLOT_B, keepPreviousHours: 48 } });
    expect(result.estimate).toEqual(estimateDurations(result.plan));
    const what = result.cost.lines.map((l) => l.what);
    expect(what.join('\n')).not.toContain('temporary');
    expect(what).toContain(`previous slot ${SAMPLE_STACK} (kept as the rollback point): OrdersDb: instance db.t4g.micro`);
    expect(result.cost.lines.find((l) => l.what.includes('OrdersDb: instance'))!.basis).toContain('keepPreviousHours 48 h after the switch');
    const writes = account.calls.filter((c) => !READ_ONLY.test(c.operation)).map((c) => `${c.service}.${c.operation}`);
    expect(writes).toEqual([]);
  });

  it('prints the plan on stdout without --json', async () => {
    const { code, out, err } = await plan(sampleAccount(), TARGET);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    const text = out.join('\n');
    expect(text).toContain('UploadsBucket');
    expect(text).toContain('ReportsBucket');
    expect(text).toContain('OrdersDb');
    expect(text).toContain('Will be deleted:');
  });

  it('exits 1 naming termination protection when the original could not be deleted', async () => {
    const account = sampleAccount();
    scenario('termination-protected').arm({ account, executionArn: '', tempStackName: '' });
    const { code, out } = await plan(account, [...TARGET, '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(out[0]!) as { outcome: string; refusals: string[]; error: { name: string } };
    expect(result.outcome).toBe('REFUSED');
    expect(result.error.name).toBe('PreflightFailed');
    expect(result.refusals.join('\n')).toMatch(/termination protection/i);
  });

  it('with liveSync: says every database can be a read replica, or refuses (exit 1, LiveSyncNotPossible) naming the one that cannot when the input does not fall back to snapshots', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'plan-live-')), 'input.json');
    writeFileSync(file, JSON.stringify({ stackName: SAMPLE_STACK, targetVersion: TARGET_VERSION, templateUrl: templateUrl(TEMPLATE_KEYS.target), liveSync: true }));
    const live = await plan(sampleAccount(), ['--input', file, '--table', LOCK_TABLE, '--json']);
    expect(live.code).toBe(0);
    expect((JSON.parse(live.out[0]!) as { plan: MigrationPlan }).plan.liveSync).toEqual({ requested: true, possible: true, reasons: [] });
    uninstall?.();

    const account = sampleAccount();
    const db = account.cloudformation.resourcesOf(SAMPLE_STACK).find((r) => r.logicalId === 'OrdersDb')!.physicalId;
    account.rds.setBackupRetention(db, 0);
    const refused = await plan(account, ['--input', file, '--table', LOCK_TABLE, '--json']);
    expect(refused.code).toBe(1);
    const result = JSON.parse(refused.out[0]!) as { outcome: string; refusals: string[]; error: { name: string } };
    expect(result).toMatchObject({ outcome: 'REFUSED', error: { name: 'LiveSyncNotPossible' } });
    expect(result.refusals.join('\n')).toMatch(/OrdersDb/);
  });

  it('exits 1 naming the bucket without a partner when the new template renames it', async () => {
    const account = sampleAccount();
    scenario('new-template-renamed-bucket').prepare!(account);
    const { code, out } = await plan(account, ['--stack', SAMPLE_STACK, '--target-version', TARGET_VERSION, '--template-url', templateUrl(RENAMED_BUCKET_TEMPLATE_KEY), '--table', LOCK_TABLE]);
    expect(code).toBe(1);
    expect(out.join('\n')).toContain('ReportsBucket');
  });

  it('exits 3 naming the field when the input is rejected, before any AWS call', async () => {
    const account = sampleAccount();
    const { code, out, err } = await plan(account, ['--stack', 'orders prod', '--target-version', TARGET_VERSION, '--json']);
    expect(code).toBe(3);
    expect(err.join('\n')).toContain('stackName');
    expect(JSON.parse(out[0]!)).toMatchObject({ outcome: 'REJECTED_INPUT', exitCode: 3, error: { name: 'InputInvalid' } });
    expect(account.calls).toEqual([]);
  });

  it('exits 2 with one line for a usage error, as the other commands', async () => {
    const account = sampleAccount();
    const { code, err } = await plan(account, [...TARGET, '--parameter', 'NoEqualsSign']);
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^env-migrator plan: option '--parameter <Key=Value>' argument 'NoEqualsSign' is invalid/);
    expect(account.calls).toEqual([]);
  });
});

describe('the estimate of a plan (the benchmark timing model)', () => {
  it("lays the model's figures along the critical path: standby, snapshot, two stack creations with restores, the deletion, two copies", () => {
    const plan = {
      databases: [
        { logicalId: 'OrdersDb', dbInstanceIdentifier: 'db-1', engine: 'postgres', allocatedStorageGb: 100 },
        { logicalId: 'ArchiveDb', dbInstanceIdentifier: 'db-2', engine: 'postgres', allocatedStorageGb: 20 },
      ],
      buckets: [
        { logicalId: 'Big', bucketName: 'b', versioning: 'Enabled', currentObjects: 60_000, noncurrentVersions: 3_000, deleteMarkers: 1_000, bytes: 0, notCarried: 0 },
        { logicalId: 'Small', bucketName: 's', versioning: 'Never', currentObjects: 10, noncurrentVersions: 0, deleteMarkers: 0, bytes: 0, notCarried: 0 },
      ],
    } as unknown as MigrationPlan;
    const e = estimateDurations(plan);
    // bench/README.md "Timing model": standby 300 s; snapshot 120 s + 4 s/GB of the largest (520 s);
    // create 300 s after the restore 600 s + 3 s/GB (1,200 s); delete 180 s + the database's 420 s.
    // The larger bucket sets the copy, and one function's CPU bounds it (clientCpuMs at one vCPU, 1,769 MB):
    // copy max(64,000 versions × (15 + 45 ms) ÷ 128 slots = 30 s, 64,000 × 0.9 ms + 2 × 64 pages × 25 ms
    // = 60.8 s); verification max(2 × 64 pages × 90 ms = 11.5 s, 2 × 64,000 HeadObject × 0.65 ms + 3.2 s
    // = 86.4 s): 147 s. Emptying before the deletion: 64 + 1 pages × 250 ms.
    expect(e.segments.map((s) => s.seconds)).toEqual([300, 520, 1200, 147, 616, 1200, 147]);
    expect(e.downtimeSeconds).toBe(4130);
    expect(e.totalSeconds).toBe(4130 + 616);
  });
});
