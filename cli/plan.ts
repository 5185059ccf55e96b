/**
 * `env-migrator plan`: the dry run of a migration (issue 14, "Plan"). Builds the input as `start`
 * does (--input, flags over it), then runs Migrate's checks before the standby with read-only calls
 * (cli/plan-core.ts) and prints what the migration would create, copy, delete and leave behind, or
 * every refusal. Exit 0 when the migration can start, 3 when the input is rejected, 1 when a preflight
 * check refuses, 6 when an AWS call fails for another reason (credentials, permissions).
 */
import { EXIT, type ExitCode } from './exit-codes';
import { AwsCallFailed, type Io, humanOf } from './io';
import { shortDuration } from './durations';
import { costLines, estimateCost } from './plan-cost';
import { estimateDurations } from './plan-estimate';
import { ARCHIVE_STORAGE_TYPES } from './plan-metrics';
import { type MigrationPlan, type PlanClients, type PlanOutcome, type PlannedBucket, RUN_ID_PLACEHOLDER, planClientsWith, planMigration } from './plan-core';
import { CLI_OUTCOME, awsFailure, resultLine } from './result';
import { buildInput } from './start';
import { lockTableOf } from './unlock';

/** What `plan` was given, parsed (cli/program.ts). */
export interface PlanOptions {
  stack?: string;
  targetVersion?: string;
  templateUrl?: string;
  parameter: string[];
  input?: string;
  /** --strategy: double-clone (the default) or blue-green (the input's entryPoint and slots then required); anything else is a rejected input. */
  strategy?: string;
  /** --table: the lock table; else the LockTableName output of --migrator-stack. */
  table?: string;
  migratorStack: string;
  json: boolean;
}

/** The outcomes `plan` reports (the JSON result's `outcome`). */
export const PLAN_OUTCOME = { READY: 'READY', REFUSED: 'REFUSED', REJECTED_INPUT: CLI_OUTCOME.REJECTED_INPUT } as const;

/** Clients on the standard AWS SDK configuration; the CloudFormation one is the Io's (tests inject it). */
function clientsOf(io: Io): PlanClients {
  return planClientsWith(io.cloudformation());
}

/**
 * Plans the migration and prints it. Returns the exit code: 0 ready, 3 input rejected, 1 refused, 6
 * for a failed AWS call. Throws UsageError for an unusable --input file or --parameter.
 */
export async function planCommand(io: Io, o: PlanOptions, clients: PlanClients = clientsOf(io)): Promise<ExitCode> {
  const input = buildInput(o);
  let outcome: PlanOutcome;
  try {
    outcome = await planMigration(clients, input, { strategy: o.strategy, lockTable: () => lockTableOf(io, o.table, o.migratorStack) });
  } catch (err) {
    if (err instanceof AwsCallFailed) return awsFailure(io, err, o.json);
    const e = err instanceof Error ? err : new Error(String(err));
    return awsFailure(io, new AwsCallFailed('plan (read-only preflight calls)', e.name, e.message), o.json);
  }
  const say = humanOf(io, o.json);
  const base = { survivor: null, executionArn: null };
  if (outcome.verdict === 'INPUT_REJECTED') {
    say('Input rejected, nothing was checked in AWS:');
    for (const issue of outcome.issues) say(`  ${issue.field}: ${issue.problem}`);
    const cause = outcome.issues.map((i) => `${i.field}: ${i.problem}`).join('; ');
    if (o.json) io.out(resultLine({ outcome: PLAN_OUTCOME.REJECTED_INPUT, exitCode: EXIT.INPUT_REJECTED, ...base, error: { name: 'InputInvalid', cause }, issues: outcome.issues }));
    return EXIT.INPUT_REJECTED;
  }
  if (outcome.verdict === 'REFUSED') {
    say(`The migration of ${outcome.stackName} would be refused before the standby (nothing was touched):`);
    for (const r of outcome.refusals) say(`  - ${r}`);
    if (o.json) {
      io.out(
        resultLine({
          outcome: PLAN_OUTCOME.REFUSED,
          exitCode: EXIT.FAILED,
          ...base,
          survivor: outcome.survivor ?? outcome.stackName,
          error: { name: outcome.errorName, cause: outcome.refusals.join('; ') },
          refusals: outcome.refusals,
          ...(outcome.lock ? { lock: outcome.lock } : {}),
          ...(outcome.locks ? { locks: outcome.locks } : {}),
        }),
      );
    }
    return EXIT.FAILED;
  }
  const estimate = estimateDurations(outcome.plan);
  const cost = estimateCost(outcome.plan, estimate);
  for (const line of planLines(outcome.plan)) say(line);
  say('');
  say(`Expected downtime (standby → new environment verified): ${shortDuration(estimate.downtimeSeconds)}; whole run: ${shortDuration(estimate.totalSeconds)}`);
  for (const s of estimate.segments) say(`  ${shortDuration(s.seconds).padStart(14)}  ${s.what}`);
  say(`  (estimate from ${estimate.model})`);
  say('');
  for (const line of costLines(cost)) say(line);
  if (o.json) io.out(resultLine({ outcome: PLAN_OUTCOME.READY, exitCode: EXIT.SUCCEEDED, ...base, survivor: outcome.plan.stackName, error: null, plan: outcome.plan, estimate, cost }));
  return EXIT.SUCCEEDED;
}

/** Bytes for people: 1,234 B, 12.3 MiB, 6.0 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes.toLocaleString('en-US')} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The plan, for people. */
export function planLines(p: MigrationPlan): string[] {
  const lines = [
    `Plan: ${p.stackName} from ${p.currentVersion} to ${p.targetVersion} (${p.strategy}). Every preflight check passed: the migration can start.`,
    `New template: ${p.template}`,
    ...(p.blueGreen
      ? [
          `Locks (Migrate takes all three in one transaction, in ${p.lock.table}): ${p.blueGreen.locks.map((l) => `${l.key} ${l.state === 'FREE' ? 'free' : `expired (${l.holder?.owner ?? 'an unnamed execution'}), taken over`}`).join('; ')}`,
          entryPointLine(p.blueGreen),
        ]
      : [
          p.lock.state === 'FREE'
            ? `Lock: free (no migration holds ${p.stackName} in ${p.lock.table})`
            : `Lock: an expired lock of ${p.lock.holder?.owner ?? 'an unnamed execution'} is in ${p.lock.table}; Migrate takes it over`,
        ]),
    `(${RUN_ID_PLACEHOLDER} in names below: the first 8 hex digits of the SHA-256 of the execution's ARN)`,
    '',
    `Standby during the downtime: ${p.standby.join(', ') || 'no Auto Scaling group'}`,
    '',
    `Databases (snapshotted and restored ${p.strategy === 'blue-green' ? 'once' : 'twice'}): ${p.databases.length}, ${p.totals.databasesAllocatedGb} GiB allocated`,
    ...p.databases.map(
      (d) =>
        `  ${d.logicalId.padEnd(24)} ${d.dbInstanceIdentifier} (${[d.engine, d.instanceClass, d.multiAz === undefined ? undefined : d.multiAz ? 'Multi-AZ' : 'Single-AZ', d.storageType].filter(Boolean).join(', ')}), ${d.allocatedStorageGb} GiB allocated`,
    ),
    '',
    `Buckets (copied ${p.strategy === 'blue-green' ? 'once' : 'twice'}, objectVersions "${p.objectVersions}"): ${p.buckets.length}, ${p.totals.versions} versions, ${formatBytes(p.totals.bytes)}`,
    ...liveSyncLines(p),
    ...p.buckets.flatMap((b) => [
      `  ${b.logicalId.padEnd(24)} ${b.bucketName}: ${b.currentObjects} objects, ${b.noncurrentVersions} noncurrent versions, ${b.deleteMarkers} delete markers, ${formatBytes(b.bytes)} (versioning ${b.versioning}; listed now)`,
      `  ${''.padEnd(24)} ${metricsLine(b)}`,
    ]),
    '',
    'Will be created:',
    ...p.created.map((s) => `  - ${s.what} [${s.when}]`),
    '',
    'Will be deleted:',
    ...p.deleted.map((s) => `  - ${s.what} [${s.when}]`),
    '',
    p.notCarried.length ? 'Will not be carried:' : 'Will not be carried: nothing (every version of every bucket and every database is copied)',
    ...p.notCarried.map((s) => `  - ${s.what} [${s.when}]`),
  ];
  return lines;
}

/**
 * What live sync will do, or why it will not (the input's fallback then copies by snapshots). The
 * downtime and cost estimates below are the snapshot copy's: with live sync the downtime holds the
 * replicas' catch-up, their promotion and what changed instead (npm run bench -- --live-sync).
 */
function liveSyncLines(p: MigrationPlan): string[] {
  if (!p.liveSync.requested) return [];
  if (p.liveSync.possible) {
    return [
      '',
      'Live sync: every database can start as a read replica; the copy is made while the environment serves, the downtime holds the catch-up, the promotion and what changed (the estimates below are for a snapshot copy: an upper bound)',
    ];
  }
  return ['', 'Live sync NOT possible: the migration copies by snapshots (liveSyncFallback "snapshots"). Why:', ...p.liveSync.reasons.map((r) => `  - ${r}`)];
}

/** Blue/green: the record as read, the slot it points at, the idle slot free, and how long resolvers keep it. */
function entryPointLine(bg: NonNullable<MigrationPlan['blueGreen']>): string {
  const { record } = bg;
  const kind = record.AliasTarget ? `A alias to ${record.AliasTarget.DNSName}` : `CNAME to ${record.ResourceRecords?.[0]?.Value ?? '?'}`;
  const ttl = record.AliasTarget ? `TTL ${bg.ttlSeconds} s, the load balancer's` : `TTL ${bg.ttlSeconds} s`;
  return `Entry point: ${bg.recordName} (${kind}, ${ttl}) points at ${bg.liveSlot}, the live slot; the idle slot ${bg.idleSlot} does not exist`;
}

/**
 * The bucket's CloudWatch figures beside its listing. NumberOfObjects counts versions and the parts of
 * unfinished multipart uploads, not delete markers; both are as of a past midnight.
 */
function metricsLine(b: PlannedBucket): string {
  const m = b.cloudwatch;
  if (!m) return 'CloudWatch: no daily storage metrics yet (a bucket less than a day old, or not measured yet): the listing above is the only figure';
  const listed = b.currentObjects + b.noncurrentVersions;
  const archived = Object.entries(m.bytesByStorageType).filter(([type]) => ARCHIVE_STORAGE_TYPES.has(type));
  const parts = [`CloudWatch, as of ${m.asOf.slice(0, 10)}: ${m.numberOfObjects} objects and parts, ${formatBytes(m.bytes)}`];
  if (m.numberOfObjects !== listed) parts.push(`the listing finds ${listed} versions now (changes since, or parts of unfinished multipart uploads)`);
  if (archived.length) parts.push(`archived then: ${archived.map(([type, bytes]) => `${type} ${formatBytes(bytes)}`).join(', ')}`);
  return parts.join('; ');
}
