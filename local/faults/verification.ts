/**
 * Faults that attack the verification itself (issue 9, item 7): the copy went wrong in ways object
 * counts do not show. Each damages the temporary copy's buckets just as clone 1's verification
 * starts listing them (after the copy, before the comparison), and each must end with the original
 * keeping the data, back in service, and one notification naming what differs.
 */
import type { SimAccount } from '../sim/account';
import { type ArmContext, type RunOutcome, TINY_SIZE, isRunning, runFaulted, runInOrder } from './runner';
import { LARGE_OBJECT_KEY, SAMPLE_STACK } from '../sample-environment';
import type { SampleSize } from '../sample-environment';

const VERIFY_STATE = 'Clone c1: Verify the bucket copy';

export interface VerificationAttack {
  name: string;
  description: string;
  /** The problem the verification must name in the notification. */
  expectedProblem: string;
  /**
   * The error Migrate must end with: BucketsDiffer when only the bucket verification can see the
   * damage (the statistics count the same objects), StatisticsMismatch when the counts differ too.
   */
  expectedError: 'BucketsDiffer' | 'StatisticsMismatch';
  /** Words the notification must hold too (which check found it). */
  expectedDetail?: string;
  size?: SampleSize;
  /** Damages the copy; `bucketOf(logicalId)` names the temporary copy's bucket. */
  damage: (account: SimAccount, bucketOf: (logicalId: string) => string) => void;
}

type VersionEntries = Map<string, { versionId: string; deleteMarker: boolean }[]>;

/** The simulated S3's own record of a bucket's keys (as local/sim/environment-data.ts reads it). */
function keysOf(account: SimAccount, bucket: string): VersionEntries {
  return (account.s3 as unknown as { buckets: Map<string, { keys: VersionEntries }> }).buckets.get(bucket)?.keys ?? new Map();
}

const sortedKeys = (account: SimAccount, bucket: string) => [...keysOf(account, bucket).keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

export const VERIFICATION_ATTACKS: VerificationAttack[] = [
  {
    name: 'same-size-corruption',
    description: 'one copied report holds other bytes of the same size',
    expectedProblem: 'CONTENT_DIFFERS',
    expectedError: 'BucketsDiffer',
    damage: (account, bucketOf) => {
      const bucket = bucketOf('ReportsBucket');
      const record = account.s3.listAll(bucket).find((o) => o.body !== undefined)!;
      const body = Buffer.from(record.body!);
      body[0] = body[0] === 0x58 ? 0x59 : 0x58;
      account.s3.putObjectDirect(bucket, record.key, { body, contentType: record.contentType, metadata: record.metadata, tags: record.tags });
    },
  },
  {
    name: 'extra-object',
    description: 'the copy holds an object the original does not',
    expectedProblem: 'EXTRA_AT_DESTINATION',
    expectedError: 'StatisticsMismatch',
    damage: (account, bucketOf) => void account.s3.putObjectDirect(bucketOf('ReportsBucket'), 'reports/zz-not-in-the-original.csv', { body: 'stray\n' }),
  },
  {
    name: 'missing-beyond-first-page',
    description: 'an object past the first 1,000 of the listing never arrived',
    expectedProblem: 'MISSING_AT_DESTINATION',
    expectedError: 'StatisticsMismatch',
    // 40 % of the objects go to ReportsBucket: over 1,000 keys there.
    size: { ...TINY_SIZE, objects: 2_600, largeObject: false },
    damage: (account, bucketOf) => {
      const bucket = bucketOf('ReportsBucket');
      const key = sortedKeys(account, bucket)[1_010]!;
      void account.s3.operations.DeleteObject!({ Bucket: bucket, Key: key });
    },
  },
  {
    name: 'missing-noncurrent-version',
    description: 'a noncurrent version of an overwritten upload is missing from the copy',
    expectedProblem: 'VERSION_MISSING',
    expectedError: 'BucketsDiffer',
    damage: (account, bucketOf) => {
      const bucket = bucketOf('UploadsBucket');
      const [key, versions] = [...keysOf(account, bucket)].find(([, v]) => v.length > 1 && !v[0]!.deleteMarker)!;
      void account.s3.operations.DeleteObject!({ Bucket: bucket, Key: key, VersionId: versions[0]!.versionId });
    },
  },
  {
    name: 'metadata-lost',
    description: "one copied report lost its content type and user metadata (a copy with MetadataDirective REPLACE and nothing given)",
    expectedProblem: 'METADATA_DIFFERS',
    expectedError: 'BucketsDiffer',
    damage: (account, bucketOf) => {
      const bucket = bucketOf('ReportsBucket');
      const record = account.s3.listAll(bucket).find((o) => o.body !== undefined && Object.keys(o.metadata).length > 0)!;
      account.s3.putObjectDirect(bucket, record.key, { body: record.body!, tags: record.tags });
    },
  },
  {
    name: 'tags-lost',
    description: 'one copied report lost its tags (a copy with TaggingDirective REPLACE and none given); content and metadata intact',
    expectedProblem: 'TAGS_DIFFERS',
    expectedError: 'BucketsDiffer',
    damage: (account, bucketOf) => {
      const bucket = bucketOf('ReportsBucket');
      const record = account.s3.listAll(bucket).find((o) => o.body !== undefined && Object.keys(o.tags).length > 0)!;
      account.s3.putObjectDirect(bucket, record.key, { body: record.body!, contentType: record.contentType, metadata: record.metadata });
    },
  },
  {
    name: 'checksum-task-failed',
    description:
      "the 6 GiB video has no checksum and a multipart ETag, so S3 Batch Operations must prove its copy; the job's task on it fails (AccessDenied: the job's role may not read it) while the job completes",
    expectedProblem: 'NOT_COMPARABLE',
    expectedError: 'BucketsDiffer',
    // Named by the second pass, from the job's report (not by the step giving up on the object).
    expectedDetail: "the checksum job's task failed (AccessDenied, HTTP 403)",
    size: { ...TINY_SIZE, largeObject: true, largeObjectWithoutChecksum: true },
    damage: (account) => {
      account.faults.silent.checksumTaskFails = (_bucket, key) => key === LARGE_OBJECT_KEY;
    },
  },
];

export interface VerificationAttackResult {
  name: string;
  description: string;
  held: boolean;
  /** Why it did not hold: broken invariants, a different outcome, the problem not named. */
  problems: string[];
  outcome: RunOutcome;
}

/** Runs one attack: the migration must stop at clone 1 with the original preserved and the problem named. */
export async function runVerificationAttack(attack: VerificationAttack): Promise<VerificationAttackResult> {
  let damaged = false;
  const arm = ({ account, tempStackName }: ArmContext) => {
    const bucketOf = (logicalId: string) => account.cloudformation.resourcesOf(tempStackName).find((r) => r.logicalId === logicalId)!.physicalId;
    // Before the verification's first request reaches S3 (the copy of every bucket is done by then:
    // verify-bucket runs after its own bucket's copy, and the damage lands in a bucket it names).
    // An S3 request: the step reads the environment's lock first (a cancel request), while another
    // bucket's copy may still be writing.
    account.faults.add({
      kind: 'error',
      service: 'S3',
      match: () => {
        if (!damaged && isRunning(VERIFY_STATE)) {
          damaged = true;
          attack.damage(account, bucketOf);
        }
        return false;
      },
    });
  };
  const outcome = await runFaulted({ name: `verification attack ${attack.name}`, size: attack.size, arm });
  const problems = [...outcome.violations];
  if (!damaged) problems.push('the damage was never done (the verification did not run)');
  if (outcome.execution.status === 'SUCCEEDED') problems.push('the migration succeeded over a damaged copy');
  const message = outcome.report?.notifications[0]?.message ?? '';
  if (outcome.report?.survivor !== SAMPLE_STACK) problems.push(`the data is said to be in ${outcome.report?.survivor ?? 'no stack'}, not in the original`);
  if (!message.includes(attack.expectedProblem)) problems.push(`the notification does not name ${attack.expectedProblem}`);
  if (outcome.execution.error !== attack.expectedError) problems.push(`it ended with ${outcome.execution.error ?? 'no error'}, not ${attack.expectedError}`);
  if (!message.includes(`Error: ${attack.expectedError}`)) problems.push(`the notification does not give the error as ${attack.expectedError}`);
  if (attack.expectedDetail && !message.includes(attack.expectedDetail)) problems.push(`the notification does not say "${attack.expectedDetail}"`);
  return { name: attack.name, description: attack.description, held: problems.length === 0, problems, outcome };
}

export async function runVerificationAttacks(onResult?: (r: VerificationAttackResult) => void): Promise<VerificationAttackResult[]> {
  return runInOrder(VERIFICATION_ATTACKS, runVerificationAttack, onResult);
}
