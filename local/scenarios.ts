/**
 * Rehearsal scenarios: the sample migration, and the ways it can go wrong that the workflow must
 * survive. Each scenario arms faults in the simulated account and says how it must end.
 */
import { recordKey } from './sim/environment-data';
import { tempStackNameOf } from '../lambdas/shared/naming';
import type { MigrationInputRaw } from '../lambdas/shared/contracts';
import { templateKey, WORKFLOW_BUCKET_ENV } from '../lambdas/shared/documents';
import type { Baseline } from './invariants';
import { armLateWrites, lateObject, lateRow } from './late-writes';
import { STANDBY_STATE } from '../statemachine/downtime-states';
import type { SimAccount } from './sim/account';
import type { LocalHarness } from './harness';
import { checkRetireInvariants, switchRecordOf } from './invariants-blue-green';
import { slotRunFacts } from './blue-green-fixture';
import { taskHooks } from './faults/state-context';
import { sleep } from './sim/core';
import { ARTIFACTS_BUCKET, NOECHO_PARAMETER, NOECHO_SECRET_ARN, NOECHO_VALUE, type SampleSize, SAMPLE_RECORD_NAME, SAMPLE_STACK, type SampleVariant, SPECIAL_KEYS, TARGET_VERSION, TEMPLATE_KEYS, templateUrl } from './sample-environment';

export interface ScenarioContext {
  account: SimAccount;
  executionArn: string;
  tempStackName: string;
  /** The original as it was before the run: a scenario that writes to it later records the write here. */
  baseline?: Baseline;
}

export interface Scenario {
  name: string;
  description: string;
  input: MigrationInputRaw;
  /** What the environment holds besides the sample's (merged over the rehearsal's size). */
  environment?: Partial<SampleSize>;
  /** The sample environment's template variant (default: the standard one). */
  variant?: SampleVariant;
  arm: (ctx: ScenarioContext) => void;
  /** Adds to the sample environment before its baseline is taken (data the run must carry). */
  prepare?: (account: SimAccount) => void;
  /**
   * Migrations of the same environment after the first, each started when the one before it ended
   * and held to `expected` with every invariant (its baseline: the environment as the one before
   * left it); the first baseline's data must be in the last survivor.
   */
  then?: MigrationInputRaw[];
  /**
   * Strategy blue-green: the rehearsal seeds the sample's entry point (seedEntryPoint, an alias to
   * orders-prod) and gives every input its hosted zone id (the input's own is a placeholder).
   */
  blueGreen?: boolean;
  /** Between two migrations of `then`, on the simulated clock: what happens to the environment meanwhile (the harness runs every machine). */
  betweenRuns?: (account: SimAccount, harness: LocalHarness, next: MigrationInputRaw) => Promise<void>;
  /** Checks of this scenario beyond the invariants, on the account after the run: each problem found, [] when none. */
  verify?: (ctx: ScenarioContext) => string[];
  expected: {
    outcome: 'succeeded' | 'failed';
    /** Which stack must hold the data at the end (`new-slot`: blue-green's other slot, `slots[1]`). */
    survivor: 'original-name' | 'temp' | 'new-slot';
    /** The error the execution must end with, where the scenario is about what it names. */
    error?: string;
  };
}

const baseInput: MigrationInputRaw = {
  stackName: SAMPLE_STACK,
  targetVersion: TARGET_VERSION,
  templateUrl: templateUrl(TEMPLATE_KEYS.target),
  parameters: { InstanceType: 't3.medium' },
  smokeTest: { outputKey: 'ServiceUrl', path: '/health', expectedStatus: 200, timeoutSeconds: 5 },
};

/**
 * A key of the versioned bucket with a long history. 900, not more than a listing page: emptying the
 * original (delete-stack) resumes ListObjectVersions after versions it has just deleted, and the
 * simulated S3 then skips the rest of that key, leaving the bucket undeletable; a history spanning
 * pages is covered by test/unit/copy-bucket-versions.test.ts until the emptying reads the manifest.
 */
export const LONG_HISTORY_KEY = 'uploads/ledger.json';
export const LONG_HISTORY_VERSIONS = 900;

export const SCENARIOS: Scenario[] = [
  {
    name: 'happy',
    description: 'orders-prod from 1.3.0 to 1.4.0, nothing goes wrong',
    input: baseInput,
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
  {
    name: 'stats-mismatch-first-clone',
    description: 'the temporary copy restores with rows missing: its statistics differ, the original is kept and brought back into service',
    input: baseInput,
    arm: ({ account, tempStackName }) => {
      account.faults.silent.restoreDropsRows = { rows: 2, onlyInstancesOfStack: tempStackName };
    },
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'statistics-endpoint-error',
    description: "the temporary copy's statistics endpoint answers HTTP 500: an endpoint that cannot be read is never a match, the original is kept and back in service",
    input: baseInput,
    arm: ({ account, tempStackName }) => {
      account.faults.silent.statisticsErrorForStack = tempStackName;
    },
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'statistics-empty-document',
    description: "the temporary copy's statistics endpoint answers an empty document: nothing counted is never a match, the original is kept and back in service",
    input: baseInput,
    arm: ({ account, tempStackName }) => {
      account.faults.silent.emptyStatisticsForStack = tempStackName;
    },
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'stats-mismatch-second-clone',
    description: 'the new environment restores with rows missing after the original was deleted: the temporary copy, the only complete one, is kept',
    input: baseInput,
    arm: ({ account }) => {
      account.faults.silent.restoreDropsRows = { rows: 2, onlyInstancesOfStack: SAMPLE_STACK };
    },
    expected: { outcome: 'failed', survivor: 'temp' },
  },
  {
    name: 'lost-object',
    description: 'the copy to the temporary stack silently skips one object: the bucket verification catches it, the original is kept',
    input: baseInput,
    arm: ({ account }) => {
      const lost = SPECIAL_KEYS[1];
      account.faults.silent.copySkipsKey = (key) => key === lost;
    },
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'batch-proof',
    description:
      "orders-prod's 6 GiB video was uploaded in parts before S3 gave objects checksums: no checksum, a multipart ETag, over what the verification reads itself; both clones prove its copy with S3 Batch Operations Compute checksum jobs (one per side) and the migration succeeds",
    input: baseInput,
    environment: { largeObject: true, largeObjectWithoutChecksum: true },
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
  {
    name: 'versioned-history',
    description:
      "orders-prod's versioned UploadsBucket holds a long history: one key with 900 versions and delete markers among them, soft-deleted and restored keys; every version and delete marker must be in the survivor, in order, with metadata and tags",
    input: baseInput,
    prepare: (account) => {
      const uploads = account.cloudformation.resourcesOf(SAMPLE_STACK).find((r) => r.logicalId === 'UploadsBucket')?.physicalId;
      if (!uploads) throw new Error('The sample environment has no UploadsBucket');
      for (let v = 1; v <= LONG_HISTORY_VERSIONS; v++) {
        account.s3.putObjectDirect(uploads, LONG_HISTORY_KEY, { body: `revision ${v}\n`, contentType: 'text/plain', metadata: { revision: String(v) }, tags: v % 100 === 0 ? { milestone: String(v) } : undefined });
        if (v % 250 === 0) void account.s3.operations.DeleteObject!({ Bucket: uploads, Key: LONG_HISTORY_KEY });
      }
    },
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
  {
    name: 'stack-create-fails',
    description: 'the 1.4.0 template fails to create after the original was deleted: the failed stack is removed, the temporary copy keeps the data',
    input: { ...baseInput, templateUrl: templateUrl(TEMPLATE_KEYS.broken) },
    arm: () => undefined,
    // Clone's own error, not the States.TaskFailed its .sync task wraps it in.
    expected: { outcome: 'failed', survivor: 'temp', error: 'StackCreateFailed' },
  },
  {
    name: 'large-statistics',
    description: 'the statistics endpoint answers a 1 MB document (28,000 tables): it is compared in full and kept in the workflow bucket, never in the 256 KiB state',
    input: baseInput,
    environment: { extraTables: 28_000 },
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
  {
    name: 'many-resources',
    description: 'an environment of 50 buckets and 10 databases (a few objects and rows each): every state stays bounded',
    input: baseInput,
    environment: { extraBuckets: 48, objectsPerExtraBucket: 3, extraDatabases: 9 },
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
  {
    name: 'late-write',
    description:
      "a background job PUTs an object into the original's UploadsBucket after clone 1's verification: the original no longer equals its copy, so it is kept, back in service, the temporary copy deleted",
    input: baseInput,
    arm: ({ account, baseline }) => armLateWrites(account, baseline, [lateObject(SAMPLE_STACK, 'UploadsBucket', 'uploads/late/job-output.json', '{"job":"nightly-export","rows":42}\n')]),
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'live-sync-write-after-precopy',
    description:
      'liveSync: while orders-prod still serves, after its buckets were pre-copied and its database replicated, a job writes an upload and an order; the replica applies the row, the delta copy carries the object, and the migration succeeds with both',
    input: { ...baseInput, liveSync: true },
    arm: ({ account, baseline }) => armWritesAfterPrecopy(account, baseline, SAMPLE_STACK),
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
  {
    name: 'live-sync-replica-stalls',
    description:
      "liveSync: the temporary copy's read replica stops applying the source's changes and never catches up; past waits.replicaCatchUpSeconds the migration is undone before anything of orders-prod is deleted: the copy is deleted, orders-prod back in service",
    input: { ...baseInput, liveSync: true, waits: { replicaCatchUpSeconds: 900 } },
    arm: ({ account, tempStackName }) => {
      account.faults.silent.replicaStalls = { onlyInstancesOfStack: tempStackName };
    },
    expected: { outcome: 'failed', survivor: 'original-name', error: 'WaitTimedOut' },
  },
  {
    name: 'archived-object',
    description: 'an object of the original sits in Glacier Deep Archive: it cannot be copied without a restore, so the preflight refuses before the standby and nothing is touched',
    input: baseInput,
    arm: ({ account, baseline }) => {
      const uploads = account.cloudformation.resourcesOf(SAMPLE_STACK).find((r) => r.logicalId === 'UploadsBucket')!.physicalId;
      const key = 'uploads/archive/2019-ledger.csv';
      account.s3.putObjectDirect(uploads, key, { body: 'ledger 2019\n', contentType: 'text/csv', storageClass: 'DEEP_ARCHIVE' });
      // Part of the original's data from the start: the survivor must still hold it.
      if (baseline) recordKey(account, baseline.data, 'UploadsBucket', uploads, key);
    },
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'stack-owned-kms-key',
    description:
      "orders-prod's database is encrypted with a KMS key of its own stack, which deleting the stack would schedule for deletion: every restored copy keeps that key, so the preflight refuses before anything is touched",
    input: baseInput,
    variant: 'stack-owned-kms-key',
    arm: () => undefined,
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'retained-kms-key',
    description: "orders-prod's database is encrypted with a key of its stack kept by DeletionPolicy Retain: the key outlives the stack, the migration succeeds",
    input: baseInput,
    variant: 'retained-kms-key',
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
  {
    name: 'termination-protected',
    description:
      "orders-prod has stack termination protection on: DeleteStack would refuse it after the copy, with the instances already in standby, so the preflight refuses before the standby and nothing is touched",
    input: baseInput,
    arm: ({ account }) => {
      void account.cloudformation.operations.UpdateTerminationProtection!({ StackName: SAMPLE_STACK, EnableTerminationProtection: true });
    },
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'deletion-protected',
    description:
      "orders-prod's database has RDS deletion protection: CloudFormation's deletion would fail on it after the buckets were emptied, so the preflight refuses before the standby and nothing is touched",
    input: baseInput,
    arm: ({ account }) => account.rds.setDeletionProtection(physicalIdOf(account, 'OrdersDb'), true),
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'object-locked',
    description: "orders-prod's UploadsBucket has S3 Object Lock: its locked versions could never be emptied, so the preflight refuses before the standby and nothing is touched",
    input: baseInput,
    arm: ({ account }) => account.s3.setObjectLock(physicalIdOf(account, 'UploadsBucket'), { mode: 'COMPLIANCE', days: 365 }),
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'mfa-delete',
    description: "orders-prod's UploadsBucket has MFA delete: only the root user could empty it, so the preflight refuses before the standby and nothing is touched",
    input: baseInput,
    arm: ({ account }) => account.s3.setMfaDelete(physicalIdOf(account, 'UploadsBucket'), true),
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'snapshot-quota-full',
    description: 'the account has room for one more manual DB snapshot, the migration needs two: the preflight refuses before the standby and nothing is touched',
    input: baseInput,
    arm: ({ account }) => void (account.rds.manualSnapshotQuota = 1),
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'uncopied-table',
    description: 'orders-prod holds a DynamoDB table the workflow does not copy: the preflight refuses before the standby, naming it and the option that accepts it',
    input: baseInput,
    variant: 'dynamodb-table',
    arm: () => undefined,
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'uncopied-table-accepted',
    description: 'the same table, accepted with acceptUncopiedResources: the migration succeeds and names the table, not copied, in its output and notification',
    input: { ...baseInput, acceptUncopiedResources: ['SessionsTable'] },
    variant: 'dynamodb-table',
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
];

/** A 1.5.0 template for migrate-three-times: the 1.4.0 one, described as 1.5.0. */
export const TEMPLATE_1_5_0_KEY = 'templates/environment-1.5.0.yaml';

function seedTemplate150(account: SimAccount): void {
  const target = account.s3.getObjectRecord(ARTIFACTS_BUCKET, TEMPLATE_KEYS.target)?.body;
  if (!target) throw new Error(`The artifacts bucket has no ${TEMPLATE_KEYS.target}`);
  const body = target.toString('utf8').replace('env-migrator sample environment 1.4.0', 'env-migrator sample environment 1.5.0');
  account.s3.putObjectDirect(ARTIFACTS_BUCKET, TEMPLATE_1_5_0_KEY, { body, contentType: 'application/x-yaml' });
}

SCENARIOS.push({
  name: 'migrate-three-times',
  description:
    'orders-prod migrated 1.3.0 → 1.4.0, then 1.4.0 → 1.5.0, then 1.5.0 → 1.5.0 again (the monthly rebuild): the tags each run leaves on the stack it created never block the next one',
  input: baseInput,
  // Three migrations: few objects keep it quick; what it shows does not grow with the data.
  environment: { objects: 60 },
  prepare: seedTemplate150,
  then: [
    { ...baseInput, targetVersion: '1.5.0', templateUrl: templateUrl(TEMPLATE_1_5_0_KEY) },
    { ...baseInput, targetVersion: '1.5.0', templateUrl: templateUrl(TEMPLATE_1_5_0_KEY) },
  ],
  arm: () => undefined,
  expected: { outcome: 'succeeded', survivor: 'original-name' },
});
/**
 * Publishes an edited copy of the sample's 1.4.0 template beside it in the artifacts bucket, under
 * `key`: what an operator's build would have published as the new version.
 */
function publishTarget(account: SimAccount, key: string, edit: (template: string) => string): void {
  const target = account.s3.getObjectRecord(ARTIFACTS_BUCKET, TEMPLATE_KEYS.target)?.body?.toString('utf8');
  if (!target) throw new Error('The sample environment has no 1.4.0 template');
  const edited = edit(target);
  if (edited === target) throw new Error(`the edit for ${key} changed nothing in the 1.4.0 template`);
  account.s3.putObjectDirect(ARTIFACTS_BUCKET, key, { body: edited, contentType: 'application/x-yaml' });
}

/** Issue 10 items 1 and 4: the new template checked before the standby, NoEcho parameters, templates over 51,200 bytes. */
export const RENAMED_BUCKET_TEMPLATE_KEY = 'templates/environment-1.4.0-renamed-bucket.yaml';
export const MISSING_PARAMETER_TEMPLATE_KEY = 'templates/environment-1.4.0-alert-email.yaml';
/** The parameter the 1.4.0-alert-email template adds, without a default. */
export const NEW_REQUIRED_PARAMETER = 'AlertEmail';

SCENARIOS.push(
  {
    name: 'new-template-renamed-bucket',
    description:
      "the 1.4.0 template renames ReportsBucket to ReportArchiveBucket: the bucket's data would have no partner in the new stack, so the preflight refuses before the standby, naming it, and nothing is touched",
    input: { ...baseInput, templateUrl: templateUrl(RENAMED_BUCKET_TEMPLATE_KEY) },
    prepare: (account) => publishTarget(account, RENAMED_BUCKET_TEMPLATE_KEY, (t) => t.replaceAll('ReportsBucket', 'ReportArchiveBucket')),
    arm: () => undefined,
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'new-template-missing-parameter',
    description: `the 1.4.0 template adds a parameter ${NEW_REQUIRED_PARAMETER} without a default and the input gives it no value: the preflight refuses before the standby, naming it, and nothing is touched`,
    input: { ...baseInput, templateUrl: templateUrl(MISSING_PARAMETER_TEMPLATE_KEY) },
    prepare: (account) =>
      publishTarget(account, MISSING_PARAMETER_TEMPLATE_KEY, (t) =>
        t.replace('Parameters:\n', `Parameters:\n  ${NEW_REQUIRED_PARAMETER}:\n    Type: String\n    Description: Where the 1.4.0 alarms send their email\n`),
      ),
    arm: () => undefined,
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'noecho-parameter',
    description: `both templates declare ${NOECHO_PARAMETER}, NoEcho without a default: CloudFormation shows it as ****, so both clones read it from the Secrets Manager secret the input names (secretParameters); the migration succeeds`,
    input: { ...baseInput, secretParameters: { [NOECHO_PARAMETER]: NOECHO_SECRET_ARN } },
    variant: 'noecho-parameter',
    arm: () => undefined,
    verify: ({ account }) => {
      const problems: string[] = [];
      // The value CloudFormation holds (the simulator's own record, never shown by DescribeStacks).
      const value = account.cloudformation.stackByName(SAMPLE_STACK)?.parameters[NOECHO_PARAMETER];
      if (value !== NOECHO_VALUE) problems.push(`the migrated stack's ${NOECHO_PARAMETER} is not the secret's value`);
      // Never in any execution's input, states' outputs, task parameters or output, nor in a notification.
      const executions = [...account.sfn.executions.values()].map((e) => JSON.stringify(e)).join('\n');
      if (executions.includes(NOECHO_VALUE)) problems.push(`the value of ${NOECHO_PARAMETER} appears in the executions' state`);
      if (JSON.stringify(account.sns.messages()).includes(NOECHO_VALUE)) problems.push(`the value of ${NOECHO_PARAMETER} appears in a notification`);
      return problems;
    },
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
  {
    name: 'large-template',
    description: 'both templates are over the 51,200 bytes CreateStack takes as TemplateBody: clone 1 creates the copy from the current template through the workflow bucket (TemplateURL), clone 2 from the new template\'s URL; the migration succeeds',
    input: baseInput,
    variant: 'large-template',
    arm: () => undefined,
    verify: ({ account, executionArn, tempStackName }) => {
      // Clone 1's template went through the workflow bucket (the harness sets WORKFLOW_BUCKET as the construct does).
      const key = templateKey({ id: executionArn, name: executionArn.split(':').pop() ?? '' }, `${tempStackName}.template`);
      const stored = account.s3.getObjectRecord(process.env[WORKFLOW_BUCKET_ENV] ?? '', key);
      return stored && stored.size > 51_200 ? [] : [`the temporary copy's template is not in the workflow bucket under ${key}`];
    },
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
);

function physicalIdOf(account: SimAccount, logicalId: string): string {
  const r = account.cloudformation.resourcesOf(SAMPLE_STACK).find((x) => x.logicalId === logicalId);
  if (!r) throw new Error(`The sample environment has no ${logicalId}`);
  return r.physicalId;
}

export function scenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`Unknown scenario "${name}". Scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}

export { tempStackNameOf };

// ---------------------------------------------------------------------------------------------
// Blue/green (issue 11): the Retire and Rollback runs after a switch (local/rehearse-slot-operation.ts)
// ---------------------------------------------------------------------------------------------

/** One run of a slot operation scenario, and how it must end. */
export type SlotOperationRun =
  | { operation: 'rollback'; acceptDiscardingWrites?: boolean; expected: { outcome: 'succeeded' | 'failed'; error?: string } }
  /** `schedule`: the retire schedule fires on the simulated clock; `hand`: started after the retention, the schedule removed. */
  | { operation: 'retire'; by: 'schedule' | 'hand'; expected: { outcome: 'succeeded' | 'failed'; error?: string } };

/**
 * A rehearsal of what follows a blue/green switch: the account set up as a migration A → B leaves it
 * (local/blue-green-fixture.ts), `arm` changes it as the scenario says, then each run in order, each
 * held to its expected end, one notification and the blue/green invariants.
 */
export interface SlotOperationScenario {
  name: string;
  description: string;
  /** Hours the previous slot is kept (the retire schedule's time). */
  keepPreviousHours?: number;
  arm?: (account: SimAccount, env: { entryPoint: { hostedZoneId: string; recordName: string }; previousDnsName: string; live: string }) => Promise<void> | void;
  runs: SlotOperationRun[];
}

/** A new order written to the live slot B after the switch: its statistics no longer equal those at the switch. */
function writeAfterSwitch(account: SimAccount, live: string): void {
  const uploads = account.cloudformation.resourcesOf(live).find((r) => r.logicalId === 'UploadsBucket')?.physicalId;
  if (!uploads) throw new Error(`${live} has no UploadsBucket`);
  account.s3.putObjectDirect(uploads, 'uploads/after-the-switch/order-1001.json', { body: '{"order":1001,"total":"42.00"}\n', contentType: 'application/json' });
}

export const SLOT_OPERATION_SCENARIOS: SlotOperationScenario[] = [
  {
    name: 'bg-rollback-no-writes',
    description: 'after orders.example.internal switched from orders-prod to orders-prod-b, nothing was written: the rollback switches it back, orders-prod back in service, orders-prod-b in standby, the retire schedule deleted',
    runs: [{ operation: 'rollback', expected: { outcome: 'succeeded' } }],
  },
  {
    name: 'bg-rollback-after-writes',
    description: 'an order was written to orders-prod-b after the switch: the rollback refuses, naming the difference, nothing changed; run again with --accept-discarding-writes it switches back and names what it discarded',
    arm: (account, env) => writeAfterSwitch(account, env.live),
    runs: [
      { operation: 'rollback', expected: { outcome: 'failed', error: 'WritesSinceSwitch' } },
      { operation: 'rollback', acceptDiscardingWrites: true, expected: { outcome: 'succeeded' } },
    ],
  },
  {
    name: 'bg-retire-after-retention',
    description: 'the retire schedule fires 24 hours after the switch (simulated clock) and starts the retire run, which deletes orders-prod (its verified copy orders-prod-b serves the record)',
    runs: [{ operation: 'retire', by: 'schedule', expected: { outcome: 'succeeded' } }],
  },
  {
    name: 'bg-retire-record-points-at-slot',
    description: 'someone switched orders.example.internal back to orders-prod by hand: the retire run refuses, nothing deleted (the slot the record points at is never deleted)',
    arm: async (account, env) => {
      const zone = env.entryPoint.hostedZoneId;
      const current = account.route53.recordSets(zone).find((r) => r.Name === `${env.entryPoint.recordName}.` && r.Type === 'A');
      if (!current?.AliasTarget) throw new Error('the entry point is not an alias record');
      await account.dispatch('Route53', 'ChangeResourceRecordSets', {
        HostedZoneId: zone,
        ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: current }, { Action: 'CREATE', ResourceRecordSet: { ...current, AliasTarget: { ...current.AliasTarget, DNSName: `dualstack.${env.previousDnsName}` } } }] },
      });
    },
    runs: [{ operation: 'retire', by: 'hand', expected: { outcome: 'failed', error: 'RetireRefused' } }],
  },
];

export function slotOperationScenario(name: string): SlotOperationScenario | undefined {
  return SLOT_OPERATION_SCENARIOS.find((s) => s.name === name);
}

// ---------------------------------------------------------------------------------------------
// Blue/green (strategy blue-green, `rehearse --strategy blue-green`)
// ---------------------------------------------------------------------------------------------

/** The sample's second slot: orders-prod adopts the scheme as the first (and live) one. */
export const SAMPLE_SLOT_B = 'orders-prod-b';

/** The blue/green input of the sample: its entry point's zone id is filled in by the rehearsal, once seeded. */
export function blueGreenInput(live: string, targetVersion: string = TARGET_VERSION): MigrationInputRaw {
  return {
    ...baseInput,
    stackName: live,
    targetVersion,
    strategy: 'blue-green',
    slots: [SAMPLE_STACK, SAMPLE_SLOT_B],
    entryPoint: { hostedZoneId: 'ZSEEDEDBYTHEREHEARSAL', recordName: SAMPLE_RECORD_NAME },
    keepPreviousHours: 24,
  };
}

/**
 * The retire of the previous slot between two runs, as in production: the simulated clock runs on
 * (minute by minute, as Scheduler evaluates at() schedules) until the retire schedule the migration
 * created fires, and the real Retire machine runs on what the migration wrote (its switch record,
 * the clone output in the retire input). Throws unless it succeeded, deleted the previous slot and
 * held the retire invariants (after the retention, the record pointing at the live slot, one
 * notification, no lock of its own).
 */
async function retireBySchedule(account: SimAccount, harness: LocalHarness, previous: string, next: MigrationInputRaw): Promise<void> {
  const { deployment } = harness;
  if (!next.entryPoint) throw new Error('the next migration names no entry point');
  const entryPoint = next.entryPoint;
  const switchRecord = switchRecordOf(account, deployment.workflowBucketName, entryPoint);
  if (!switchRecord) throw new Error(`no switch record of ${SAMPLE_RECORD_NAME}: the first migration wrote none`);
  const since = account.now();
  const notificationsBefore = account.sns.messages(deployment.topicArn).length;
  const fired = () => account.scheduler.invocations.find((x) => x.executionArn && x.at >= since);
  while (!fired()) {
    await sleep(60_000);
    await account.scheduler.fireDue();
  }
  const execution = await harness.finished(fired()!.executionArn!);
  if (execution.status !== 'SUCCEEDED') throw new Error(`the retire run ${execution.executionArn} ended ${execution.status}: ${execution.error}: ${execution.cause}`);
  if (account.cloudformation.stackByName(previous)) throw new Error(`the retire run succeeded but ${previous} still exists`);
  const { violations } = checkRetireInvariants(account, slotRunFacts(harness, { switchRecord, slots: [SAMPLE_STACK, SAMPLE_SLOT_B] }, execution, notificationsBefore));
  if (violations.length) throw new Error(`the retire run broke its invariants: ${violations.join('; ')}`);
}

/**
 * Live sync: an upload and an order written to `stackName` while it still serves, once the live
 * copy was prepared (its buckets pre-copied, its database replicated): just before the standby.
 * The copy must carry both (the delta copy, the replica), and the baseline says so.
 */
function armWritesAfterPrecopy(account: SimAccount, baseline: Baseline | undefined, stackName: string): void {
  armLateWrites(
    account,
    baseline,
    [
      lateObject(stackName, 'UploadsBucket', 'uploads/after-precopy/invoice-9001.pdf', 'written while the live copy was being prepared\n'),
      lateRow(stackName, 'OrdersDb', 'orders', { id: 900_001, name: 'order-after-precopy', updatedAt: '2026-12-05T00:00:00Z' }),
    ],
    undefined,
    new Set([STANDBY_STATE]),
  );
}

/** The scenario with every migration of it asking for liveSync (`rehearse --live-sync`); its run is named `<name>-live-sync`. */
export function withLiveSync(scenario: Scenario): Scenario {
  return {
    ...scenario,
    name: `${scenario.name}-live-sync`,
    input: { ...scenario.input, liveSync: true },
    ...(scenario.then ? { then: scenario.then.map((input) => ({ ...input, liveSync: true })) } : {}),
  };
}

export const BLUE_GREEN_SCENARIOS: Scenario[] = [
  {
    name: 'happy',
    description: 'orders-prod (live) cloned into orders-prod-b at 1.4.0, the entry point switched to it; orders-prod kept in standby until its retire run',
    blueGreen: true,
    input: blueGreenInput(SAMPLE_STACK),
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'new-slot' },
  },
  {
    name: 'live-sync-write-after-precopy',
    description:
      'liveSync: orders-prod-b is created with a read replica and pre-copied buckets while orders-prod serves; an upload and an order written after that are carried by the delta copy and the replica; the record switches to orders-prod-b',
    blueGreen: true,
    input: { ...blueGreenInput(SAMPLE_STACK), liveSync: true },
    arm: ({ account, baseline }) => armWritesAfterPrecopy(account, baseline, SAMPLE_STACK),
    expected: { outcome: 'succeeded', survivor: 'new-slot' },
  },
  {
    name: 'stats-mismatch',
    description: 'the copy in orders-prod-b restores with rows missing: its statistics differ before the switch, so the record is never switched; the copy is deleted and orders-prod serves again',
    blueGreen: true,
    input: blueGreenInput(SAMPLE_STACK),
    arm: ({ account }) => {
      account.faults.silent.restoreDropsRows = { rows: 2, onlyInstancesOfStack: SAMPLE_SLOT_B };
    },
    expected: { outcome: 'failed', survivor: 'original-name', error: 'StatisticsMismatch' },
  },
  {
    name: 'smoke-fails-through-record',
    description: 'after the switch, the statistics endpoint answers HTTP 500 through the entry point: the record is switched back, orders-prod returns to service, orders-prod-b is kept for inspection',
    blueGreen: true,
    input: blueGreenInput(SAMPLE_STACK),
    arm: ({ account }) => {
      const previous = taskHooks.beforeTask;
      taskHooks.beforeTask = async (state) => {
        await previous?.(state);
        if (state.state === 'Smoke test through the entry point') account.faults.silent.statisticsErrorForStack = SAMPLE_SLOT_B;
        // Back to normal once the record points at orders-prod again.
        if (state.state === 'Switch the entry point back') account.faults.silent.statisticsErrorForStack = undefined;
      };
    },
    expected: { outcome: 'failed', survivor: 'original-name', error: 'WaitTimedOut' },
  },
  {
    name: 'retire-not-scheduled',
    description: 'EventBridge Scheduler refuses the retire schedule after the switch: orders-prod-b serves, orders-prod stays the rollback point, the notification says to retire it by hand',
    blueGreen: true,
    input: blueGreenInput(SAMPLE_STACK),
    arm: ({ account }) => {
      account.faults.add({ service: 'Scheduler', operation: 'CreateSchedule', kind: 'error', times: Infinity, error: { code: 'AccessDeniedException', message: 'not authorized to perform scheduler:CreateSchedule', httpStatusCode: 403 } });
    },
    expected: { outcome: 'failed', survivor: 'new-slot', error: 'AwsAccessDenied' },
  },
  {
    name: 'a-b-a',
    description: 'orders-prod → orders-prod-b at 1.4.0, orders-prod retired by its Retire run (started by the retire schedule 24 hours later), then orders-prod-b → orders-prod again (a rebuild at 1.4.0): the second run migrates back into the first slot',
    blueGreen: true,
    input: blueGreenInput(SAMPLE_STACK),
    then: [blueGreenInput(SAMPLE_SLOT_B)],
    betweenRuns: (account, harness, next) => retireBySchedule(account, harness, SAMPLE_STACK, next),
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
];

export function blueGreenScenario(name: string): Scenario {
  const found = BLUE_GREEN_SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`Unknown blue/green scenario "${name}". Scenarios: ${BLUE_GREEN_SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}
