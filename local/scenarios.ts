/**
 * Rehearsal scenarios: the sample migration, and the ways it can go wrong that the workflow must
 * survive. Each scenario arms faults in the simulated account and says how it must end.
 */
import { tempStackNameOf } from '../lambdas/shared/naming';
import type { MigrationInputRaw } from '../lambdas/shared/contracts';
import type { SimAccount } from './sim/account';
import { SAMPLE_STACK, type SampleVariant, SPECIAL_KEYS, TARGET_VERSION, TEMPLATE_KEYS, templateUrl } from './sample-environment';

export interface ScenarioContext {
  account: SimAccount;
  executionArn: string;
  tempStackName: string;
}

export interface Scenario {
  name: string;
  description: string;
  input: MigrationInputRaw;
  /** The sample environment to seed (default: the standard one). */
  environment?: SampleVariant;
  arm: (ctx: ScenarioContext) => void;
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
    name: 'stack-create-fails',
    description: 'the 1.4.0 template fails to create after the original was deleted: the failed stack is removed, the temporary copy keeps the data',
    input: { ...baseInput, templateUrl: templateUrl(TEMPLATE_KEYS.broken) },
    arm: () => undefined,
    expected: { outcome: 'failed', survivor: 'temp' },
  },
  {
    name: 'stack-owned-kms-key',
    description:
      "orders-prod's database is encrypted with a KMS key of its own stack, which deleting the stack would schedule for deletion: every restored copy keeps that key, so the preflight refuses before anything is touched",
    input: baseInput,
    environment: 'stack-owned-kms-key',
    arm: () => undefined,
    expected: { outcome: 'failed', survivor: 'original-name' },
  },
  {
    name: 'retained-kms-key',
    description: "orders-prod's database is encrypted with a key of its stack kept by DeletionPolicy Retain: the key outlives the stack, the migration succeeds",
    input: baseInput,
    environment: 'retained-kms-key',
    arm: () => undefined,
    expected: { outcome: 'succeeded', survivor: 'original-name' },
  },
];

export function scenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`Unknown scenario "${name}". Scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}

export { tempStackNameOf };
