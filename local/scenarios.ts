/**
 * Rehearsal scenarios: the sample migration, and the ways it can go wrong that the workflow must
 * survive. Each scenario arms faults in the simulated account and says how it must end.
 */
import { tempStackNameOf } from '../lambdas/shared/naming';
import type { MigrationInputRaw } from '../lambdas/shared/contracts';
import type { SimAccount } from './sim/account';
import { SAMPLE_STACK, SPECIAL_KEYS, TARGET_VERSION, TEMPLATE_KEYS, templateUrl } from './sample-environment';

export interface ScenarioContext {
  account: SimAccount;
  executionArn: string;
  tempStackName: string;
}

export interface Scenario {
  name: string;
  description: string;
  input: MigrationInputRaw;
  arm: (ctx: ScenarioContext) => void;
  /** Adds to the sample environment before its baseline is taken (data the run must carry). */
  prepare?: (account: SimAccount) => void;
  expected: {
    outcome: 'succeeded' | 'failed';
    /** Which stack must hold the data at the end. */
    survivor: 'original-name' | 'temp';
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
    expected: { outcome: 'failed', survivor: 'temp' },
  },
];

export function scenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`Unknown scenario "${name}". Scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}

export { tempStackNameOf };
