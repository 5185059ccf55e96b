/**
 * The baseline: the seed flow (docs/design.md) as the original hand-run script ran it, on the same
 * simulated account and timing model as the workflow. Every step strictly after the previous one
 * (databases and buckets one at a time), every wait a fixed 15-second poll, buckets copied the way
 * `aws s3 sync` does by default (10 concurrent requests; objects of 8 MB or more copied in 8 MB
 * parts) and checked by listing both sides. It calls the simulated account directly (no SDK, no
 * Step Functions): a script's own overhead is nil next to its polls.
 *
 * The AWS CLI defaults it follows: "AWS CLI S3 Configuration" (max_concurrent_requests 10,
 * multipart_threshold 8MB, multipart_chunksize 8MB), https://docs.aws.amazon.com/cli/latest/topic/s3-config.html;
 * standard retry mode (3 attempts, exponential backoff with jitter capped at 20 s),
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html.
 */
import type {
  CreateStackCommandOutput,
  DescribeStacksCommandOutput,
  GetTemplateCommandOutput,
  ListStackResourcesCommandOutput,
} from '@aws-sdk/client-cloudformation';
import type { DescribeDBSnapshotsMessage, DBSnapshotMessage } from '@aws-sdk/client-rds';
import type { DescribeAutoScalingGroupsCommandOutput } from '@aws-sdk/client-auto-scaling';
import type {
  CreateMultipartUploadCommandOutput,
  GetObjectTaggingCommandOutput,
  HeadObjectCommandOutput,
  ListObjectVersionsCommandOutput,
  ListObjectsV2CommandOutput,
  UploadPartCopyCommandOutput,
} from '@aws-sdk/client-s3';
import { createLimiter, mapConcurrent } from '../lambdas/shared/concurrency';
import { copySource } from '../lambdas/shared/s3-objects';
import type { SimAccount } from '../local/sim/account';
import { sleep } from '../local/sim/core';
import type { Interval } from './observe';

export const POLL_SECONDS = 15;
/** aws s3 sync defaults. */
export const SYNC_CONCURRENCY = 10;
const SYNC_MULTIPART_THRESHOLD = 8 * 1024 * 1024;
const SYNC_CHUNK = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;
const CLI_MAX_ATTEMPTS = 3;

export interface BaselineInput {
  stackName: string;
  targetVersion: string;
  templateUrl: string;
  parameters: Record<string, string>;
  smokeTestPath: string;
}

export interface LabelledInterval extends Interval {
  label: string;
}

export interface BucketSync extends Interval {
  clone: 1 | 2;
  logicalId: string;
  sourceBucket: string;
  destinationBucket: string;
  objects: number;
  requests: number;
}

export interface BaselineRun {
  start: number;
  end: number;
  /** Standby entered → the new environment's copy checked. */
  downtime: Interval;
  /** Synchronous work the script did itself (copies, listings, HTTP checks). */
  work: LabelledInterval[];
  /** The script sleeping between two polls. */
  polls: Interval[];
  syncs: BucketSync[];
  succeeded: boolean;
  failure?: string;
}

type Out = Record<string, unknown>;

/** Runs the baseline to its end on `account` (which holds the environment); call it on the simulated clock. */
export async function runBaseline(account: SimAccount, input: BaselineInput, tempStackName: string): Promise<BaselineRun> {
  const script = new Script(account);
  const start = account.now();
  let downtimeStart = start;
  let downtimeEnd = start;
  try {
    const current = await script.describeStack(input.stackName);
    const template = (await script.call<GetTemplateCommandOutput>('CloudFormation', 'GetTemplate', { StackName: input.stackName })).TemplateBody ?? '';
    downtimeStart = account.now();
    await script.enterStandby(input.stackName);

    // Clone 1: the current environment to the temporary stack, same template.
    await script.clone({ source: input.stackName, destination: tempStackName, clone: 1, template: { TemplateBody: template }, version: param(current, 'EnvironmentVersion'), overrides: {}, smokeTestPath: input.smokeTestPath, carried: current });
    await script.deleteStack(input.stackName);
    // Clone 2: the temporary stack to the environment's name, at the target version.
    const temp = await script.describeStack(tempStackName);
    await script.clone({ source: tempStackName, destination: input.stackName, clone: 2, template: { TemplateURL: input.templateUrl }, version: input.targetVersion, overrides: input.parameters, smokeTestPath: input.smokeTestPath, carried: temp });
    downtimeEnd = account.now();
    await script.deleteStack(tempStackName);
    await script.deleteSnapshots();
    return { start, end: account.now(), downtime: { start: downtimeStart, end: downtimeEnd }, work: script.work, polls: script.polls, syncs: script.syncs, succeeded: true };
  } catch (err) {
    const end = account.now();
    return { start, end, downtime: { start: downtimeStart, end }, work: script.work, polls: script.polls, syncs: script.syncs, succeeded: false, failure: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

type StackDescription = NonNullable<DescribeStacksCommandOutput['Stacks']>[number];

function param(stack: StackDescription, key: string): string {
  return stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue ?? '';
}

interface CloneSpec {
  source: string;
  destination: string;
  clone: 1 | 2;
  template: { TemplateBody: string } | { TemplateURL: string };
  version: string;
  overrides: Record<string, string>;
  smokeTestPath: string;
  carried: StackDescription;
}

class Script {
  readonly work: LabelledInterval[] = [];
  readonly polls: Interval[] = [];
  readonly syncs: BucketSync[] = [];
  private readonly snapshots: string[] = [];
  /** S3 requests sent so far, retries included. */
  private requests = 0;

  constructor(private readonly account: SimAccount) {}

  /** One CLI call: the CLI's standard retry of throttling and 5xx errors, nothing else. */
  async call<T = Out>(service: string, operation: string, input: Out): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (service === 'S3') this.requests++;
      try {
        return ((await this.account.dispatch(service, operation, input)) ?? {}) as T;
      } catch (err) {
        const e = err as { $fault?: string; name?: string };
        const retryable = e.$fault === 'server' || ['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded'].includes(e.name ?? '');
        if (!retryable || attempt >= CLI_MAX_ATTEMPTS) throw err;
        await sleep(Math.random() * Math.min(20_000, 1000 * 2 ** (attempt - 1)));
      }
    }
  }

  private async timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const start = this.account.now();
    try {
      return await fn();
    } finally {
      this.work.push({ label, start, end: this.account.now() });
    }
  }

  /** Sleeps 15 s between two checks until `done` answers true. */
  private async pollUntil(done: () => Promise<boolean>): Promise<void> {
    while (!(await done())) {
      const start = this.account.now();
      await sleep(POLL_SECONDS * 1000);
      this.polls.push({ start, end: this.account.now() });
    }
  }

  async describeStack(name: string): Promise<StackDescription> {
    const out = await this.call<DescribeStacksCommandOutput>('CloudFormation', 'DescribeStacks', { StackName: name });
    const stack = out.Stacks?.[0];
    if (!stack) throw new Error(`stack ${name} not found`);
    return stack;
  }

  private async groupsOf(stackName: string): Promise<string[]> {
    return (await this.resources(stackName)).filter((r) => r.ResourceType === 'AWS::AutoScaling::AutoScalingGroup').map((r) => r.PhysicalResourceId ?? '');
  }

  private async resources(stackName: string): Promise<NonNullable<ListStackResourcesCommandOutput['StackResourceSummaries']>> {
    return (await this.call<ListStackResourcesCommandOutput>('CloudFormation', 'ListStackResources', { StackName: stackName })).StackResourceSummaries ?? [];
  }

  async enterStandby(stackName: string): Promise<void> {
    for (const group of await this.groupsOf(stackName)) {
      const described = await this.call<DescribeAutoScalingGroupsCommandOutput>('AutoScaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [group] });
      const ids = (described.AutoScalingGroups?.[0]?.Instances ?? []).filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId ?? '');
      await this.call('AutoScaling', 'UpdateAutoScalingGroup', { AutoScalingGroupName: group, MinSize: 0 });
      for (let i = 0; i < ids.length; i += 20) {
        await this.call('AutoScaling', 'EnterStandby', { AutoScalingGroupName: group, InstanceIds: ids.slice(i, i + 20), ShouldDecrementDesiredCapacity: true });
      }
      await this.pollUntil(async () => {
        const out = await this.call<DescribeAutoScalingGroupsCommandOutput>('AutoScaling', 'DescribeAutoScalingGroups', { AutoScalingGroupNames: [group] });
        return (out.AutoScalingGroups?.[0]?.Instances ?? []).every((i) => i.LifecycleState !== 'EnteringStandby');
      });
    }
  }

  async clone(spec: CloneSpec): Promise<void> {
    // Databases one after the other: snapshot, wait.
    const snapshotParameters: Record<string, string> = {};
    for (const db of (await this.resources(spec.source)).filter((r) => r.ResourceType === 'AWS::RDS::DBInstance')) {
      const id = `baseline-c${spec.clone}-${(db.LogicalResourceId ?? 'db').toLowerCase()}`;
      await this.call('RDS', 'CreateDBSnapshot', { DBSnapshotIdentifier: id, DBInstanceIdentifier: db.PhysicalResourceId });
      this.snapshots.push(id);
      await this.pollUntil(async () => {
        const out = await this.call<DBSnapshotMessage>('RDS', 'DescribeDBSnapshots', { DBSnapshotIdentifier: id } satisfies DescribeDBSnapshotsMessage);
        return out.DBSnapshots?.[0]?.Status === 'available';
      });
      snapshotParameters[`${db.LogicalResourceId}SnapshotIdentifier`] = id;
    }
    const parameters = (spec.carried.Parameters ?? []).map((p) => ({ ParameterKey: p.ParameterKey, ParameterValue: p.ParameterValue }));
    const values: Record<string, string> = Object.fromEntries(parameters.map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']));
    Object.assign(values, spec.overrides, snapshotParameters, { EnvironmentVersion: spec.version });
    const created = await this.call<CreateStackCommandOutput>('CloudFormation', 'CreateStack', {
      StackName: spec.destination,
      ...spec.template,
      Parameters: Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    });
    await this.pollUntil(async () => {
      const status = (await this.describeStack(created.StackId ?? spec.destination)).StackStatus;
      if (status?.endsWith('FAILED') || status?.startsWith('ROLLBACK')) throw new Error(`stack ${spec.destination}: ${status}`);
      return status === 'CREATE_COMPLETE';
    });

    // Buckets one after the other: sync, then check the listings match.
    const sourceBuckets = await this.buckets(spec.source);
    const destinationBuckets = await this.buckets(spec.destination);
    for (const [logicalId, sourceBucket] of sourceBuckets) {
      const destinationBucket = destinationBuckets.get(logicalId);
      if (!destinationBucket) throw new Error(`no bucket ${logicalId} in ${spec.destination}`);
      await this.timed('copy buckets (s3 sync)', () => this.sync(spec.clone, logicalId, sourceBucket, destinationBucket));
    }
    for (const [logicalId, sourceBucket] of sourceBuckets) {
      await this.timed('verify buckets', () => this.check(sourceBucket, destinationBuckets.get(logicalId) ?? ''));
    }
    // One curl of the health check, one of each statistics endpoint.
    const outputs = Object.fromEntries(((await this.describeStack(spec.destination)).Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    const sourceOutputs = Object.fromEntries(((await this.describeStack(spec.source)).Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    await this.timed('smoke test + compare statistics', async () => {
      await this.http(`${(outputs.ServiceUrl ?? '').replace(/\/$/, '')}${spec.smokeTestPath}`);
      const [a, b] = await Promise.all([this.http(sourceOutputs.StatisticsUrl ?? ''), this.http(outputs.StatisticsUrl ?? '')]);
      // The numbers, not the document's own statement of which environment answered (it differs by design).
      const data = (doc: unknown) => JSON.stringify((doc as { data?: unknown } | null)?.data ?? doc);
      if (data(a) !== data(b)) throw new Error(`statistics differ after clone ${spec.clone}`);
    });
  }

  private async buckets(stackName: string): Promise<Map<string, string>> {
    return new Map((await this.resources(stackName)).filter((r) => r.ResourceType === 'AWS::S3::Bucket').map((r) => [r.LogicalResourceId ?? '', r.PhysicalResourceId ?? '']));
  }

  private async http(url: string): Promise<unknown> {
    const response = await this.account.fetch(new Request(url));
    if (!response || !response.ok) throw new Error(`GET ${url}: ${response?.status ?? 'no answer'}`);
    const text = await response.text();
    return text ? (JSON.parse(text) as unknown) : null;
  }

  private async list(bucket: string): Promise<{ key: string; size: number; etag?: string }[]> {
    const objects: { key: string; size: number; etag?: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.call<ListObjectsV2CommandOutput>('S3', 'ListObjectsV2', { Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) });
      for (const o of page.Contents ?? []) objects.push({ key: o.Key ?? '', size: o.Size ?? 0, etag: o.ETag });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /**
   * `aws s3 sync`: list both sides, copy what is missing or differs in size, 10 requests in flight;
   * small objects with CopyObject, the others as multipart copies of 8 MB parts whose metadata comes
   * from HeadObject and tags from GetObjectTagging/PutObjectTagging (CLI --copy-props default).
   */
  private async sync(clone: 1 | 2, logicalId: string, sourceBucket: string, destinationBucket: string): Promise<void> {
    const start = this.account.now();
    const before = this.requests;
    const [source, destination] = [await this.list(sourceBucket), await this.list(destinationBucket)];
    const present = new Map(destination.map((o) => [o.key, o.size]));
    const limit = createLimiter(SYNC_CONCURRENCY);
    const todo = source.filter((o) => present.get(o.key) !== o.size);
    // The CLI's transfer manager keeps its 10 threads busy with requests: those of small copies and
    // the parts of large ones share them.
    await mapConcurrent(todo, SYNC_CONCURRENCY, async (o) => {
      if (o.size >= SYNC_MULTIPART_THRESHOLD) await this.copyInParts(limit, sourceBucket, destinationBucket, o.key, o.size);
      else await limit(() => this.call('S3', 'CopyObject', { Bucket: destinationBucket, Key: o.key, CopySource: copySource(sourceBucket, o.key) }));
    });
    this.syncs.push({ clone, logicalId, sourceBucket, destinationBucket, objects: todo.length, requests: this.requests - before, start, end: this.account.now() });
  }


  private async copyInParts(limit: <T>(task: () => Promise<T>) => Promise<T>, sourceBucket: string, destinationBucket: string, key: string, size: number): Promise<void> {
    const head = await limit(() => this.counted<HeadObjectCommandOutput>('HeadObject', { Bucket: sourceBucket, Key: key }));
    const tags = await limit(() => this.counted<GetObjectTaggingCommandOutput>('GetObjectTagging', { Bucket: sourceBucket, Key: key }));
    const created = await limit(() =>
      this.counted<CreateMultipartUploadCommandOutput>('CreateMultipartUpload', { Bucket: destinationBucket, Key: key, ContentType: head.ContentType, Metadata: head.Metadata }),
    );
    const chunk = Math.max(SYNC_CHUNK, Math.ceil(size / MAX_PARTS));
    const parts: { ETag?: string; PartNumber: number }[] = [];
    const uploads: Promise<void>[] = [];
    for (let n = 1, startByte = 0; startByte < size; n++, startByte += chunk) {
      const range = `bytes=${startByte}-${Math.min(startByte + chunk, size) - 1}`;
      const partNumber = n;
      uploads.push(
        limit(() =>
          this.counted<UploadPartCopyCommandOutput>('UploadPartCopy', {
            Bucket: destinationBucket,
            Key: key,
            UploadId: created.UploadId,
            PartNumber: partNumber,
            CopySource: copySource(sourceBucket, key),
            CopySourceRange: range,
          }),
        ).then((out) => {
          parts.push({ ETag: out.CopyPartResult?.ETag, PartNumber: partNumber });
        }),
      );
    }
    await Promise.all(uploads);
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    await limit(() => this.counted('CompleteMultipartUpload', { Bucket: destinationBucket, Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: parts } }));
    if ((tags.TagSet ?? []).length > 0) await limit(() => this.counted('PutObjectTagging', { Bucket: destinationBucket, Key: key, Tagging: { TagSet: tags.TagSet } }));
  }

  private counted<T = Out>(operation: string, input: Out): Promise<T> {
    return this.call<T>('S3', operation, input);
  }

  /** The script's check after a sync: both listings have the same keys, sizes and (single-part) ETags. */
  private async check(sourceBucket: string, destinationBucket: string): Promise<void> {
    const [source, destination] = [await this.list(sourceBucket), await this.list(destinationBucket)];
    const byKey = new Map(destination.map((o) => [o.key, o.size]));
    const missing = source.filter((o) => byKey.get(o.key) !== o.size).length;
    if (missing > 0 || source.length !== destination.length) throw new Error(`${missing} objects of ${sourceBucket} missing in ${destinationBucket}`);
  }

  /** Empties the stack's buckets (every version, 1,000 keys per DeleteObjects), deletes it, waits. */
  async deleteStack(stackName: string): Promise<void> {
    const stackId = (await this.describeStack(stackName)).StackId ?? stackName;
    for (const bucket of (await this.buckets(stackName)).values()) {
      await this.timed('empty buckets', async () => {
        let keyMarker: string | undefined;
        let versionIdMarker: string | undefined;
        for (;;) {
          const page = await this.call<ListObjectVersionsCommandOutput>('S3', 'ListObjectVersions', { Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker });
          const batch = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
          if (batch.length > 0) await this.call('S3', 'DeleteObjects', { Bucket: bucket, Delete: { Objects: batch, Quiet: true } });
          if (!page.IsTruncated) break;
          keyMarker = page.NextKeyMarker;
          versionIdMarker = page.NextVersionIdMarker;
        }
      });
    }
    await this.call('CloudFormation', 'DeleteStack', { StackName: stackName });
    await this.pollUntil(async () => (await this.describeStack(stackId)).StackStatus === 'DELETE_COMPLETE');
  }

  async deleteSnapshots(): Promise<void> {
    for (const id of this.snapshots) await this.call('RDS', 'DeleteDBSnapshot', { DBSnapshotIdentifier: id });
  }
}
