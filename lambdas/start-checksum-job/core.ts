import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, type S3ControlClient } from '@aws-sdk/client-s3-control';
import { checksumJobToken } from '../shared/checksum-job';
import type { StartChecksumJobEvent, StartChecksumJobResult } from '../shared/contracts';
import { InputInvalid } from '../shared/errors';

export interface StartChecksumJobDeps {
  s3: S3Client;
  s3control: S3ControlClient;
  /** The role S3 Batch Operations assumes to read the objects and write the report (env CHECKSUM_JOB_ROLE_ARN). */
  roleArn: string;
}

/** `arn:<partition>:iam::<account>:role/<name>` → partition and account (the job runs in the role's account). */
function roleParts(roleArn: string): { partition: string; account: string } {
  const m = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/.+$/.exec(roleArn);
  if (!m?.[1] || !m[2]) throw new InputInvalid([{ field: 'CHECKSUM_JOB_ROLE_ARN', problem: `not an IAM role ARN: "${roleArn}"` }]);
  return { partition: m[1], account: m[2] };
}

/**
 * Start checksum job — content proof by S3 Batch Operations "Compute checksum" over the object
 * versions of a manifest (written beforehand, `bucket,key,versionId` rows), for a bucket too large
 * to read through a Lambda (lambdas/shared/content-proof.ts). Reads the manifest's ETag (CreateJob
 * requires it, and S3 refuses to run a job whose manifest changed since), then creates the job with
 * a token derived from the execution, bucket, manifest and report location: a retry returns the same
 * job instead of starting a second one. Returns the job id; checksum-job-status follows it.
 * Throws InputInvalid for a role ARN that is not one, and AWS errors classified by the handler
 * (a missing manifest, CreateJob refusing the request).
 */
export async function startChecksumJob(deps: StartChecksumJobDeps, event: StartChecksumJobEvent): Promise<StartChecksumJobResult> {
  const { partition, account } = roleParts(deps.roleArn);
  const algorithm = event.algorithm ?? 'CRC64NVME';
  const head = await deps.s3.send(new HeadObjectCommand({ Bucket: event.manifest.bucket, Key: event.manifest.key }));
  const etag = head.ETag ?? '';
  const token = checksumJobToken({
    executionId: event.execution.id,
    bucket: event.bucket,
    manifestBucket: event.manifest.bucket,
    manifestKey: event.manifest.key,
    manifestETag: etag,
    reportPrefix: event.reportPrefix,
    algorithm,
  });
  const out = await deps.s3control.send(
    new CreateJobCommand({
      AccountId: account,
      ClientRequestToken: token,
      ConfirmationRequired: false,
      Description: `env-migrator ${event.execution.name}: checksums of ${event.bucket}`.slice(0, 256),
      Priority: 10,
      RoleArn: deps.roleArn,
      Operation: { S3ComputeObjectChecksum: { ChecksumAlgorithm: algorithm, ChecksumType: 'FULL_OBJECT' } },
      Manifest: {
        Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key', 'VersionId'] },
        Location: { ObjectArn: `arn:${partition}:s3:::${event.manifest.bucket}/${event.manifest.key}`, ETag: etag },
      },
      Report: {
        Enabled: true,
        Bucket: `arn:${partition}:s3:::${event.manifest.bucket}`,
        Prefix: event.reportPrefix.replace(/\/$/, ''),
        Format: 'Report_CSV_20180820',
        ReportScope: 'AllTasks',
      },
    }),
  );
  if (!out.JobId) throw new Error('CreateJob answered without a JobId');
  return { jobId: out.JobId };
}
