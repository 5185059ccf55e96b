/**
 * What the benchmark records of a run, without changing it: every S3 request (bucket, timing,
 * outcome), the long AWS operations with the moment the simulated account finished them (a
 * snapshot's readyAt, a stack's CREATE_COMPLETE, instances reaching Standby, an S3 Batch Operations
 * checksum job's end), every Lambda
 * invocation and every state the executions entered. The figures (./metrics.ts) are computed from
 * these records afterwards.
 */
import type { DescribeStackEventsCommandOutput } from '@aws-sdk/client-cloudformation';
import type { ReplicaStatusEvent, ReplicaStatusResult } from '../lambdas/shared/contracts';
import { caughtUp } from '../lambdas/replica-status/core';
import { RDS_PUBLICATION_DELAY_MS } from '../local/sim/cloudwatch';
import type { ProgressEvent } from '../local/executor';
import type { LambdaInvoker } from '../local/lambda-invoker';
import type { SimAccount } from '../local/sim/account';
import { S3RequestLog } from './request-log';
import type { StepName } from '../lambdas/steps';

/** [start, end] in simulated epoch ms. */
export interface Interval {
  start: number;
  end: number;
}

export interface S3Request extends Interval {
  operation: string;
  bucket: string;
  error?: string;
  /** A write's partitioned prefix, as the simulator rates it (the key's first path segment): copies only. */
  prefix?: string;
}

/** The prefix S3 rates a copy's writes by in the simulator (local/sim/s3.ts checkRate); undefined for other requests. */
function writePrefix(operation: string, input: Record<string, unknown>): string | undefined {
  if (operation !== 'CopyObject' && operation !== 'UploadPartCopy') return undefined;
  const key = String(input.Key ?? '');
  const slash = key.indexOf('/');
  return slash >= 0 ? key.slice(0, slash + 1) : '';
}

export type OperationKind =
  | 'enter standby'
  | 'exit standby'
  | 'snapshot'
  | 'create stack'
  | 'delete stack'
  | 'switch entry point'
  | 'checksum job'
  | 'replica catch-up'
  | 'promote replicas';

/** A long AWS operation: started by one call, finished when the simulated account says so. */
export interface AwsOperation extends Interval {
  kind: OperationKind;
  /** The stack, snapshot or group it acts on; a checksum job's bucket and side ("<bucket> source"). */
  subject: string;
}

/**
 * What a CreateJob of the content proof acts on (lambdas/start-checksum-job): the bucket its
 * description names ("...: checksums of <bucket>"), else the manifest's bucket, and the side its
 * report prefix ends with (verify-bucket writes `source-report` / `destination-report`).
 */
export function checksumJobSubject(input: { Description?: string; Manifest?: { Location?: { ObjectArn?: string } }; Report?: { Prefix?: string } }): string {
  const described = /checksums of (\S+)$/.exec(input.Description ?? '')?.[1];
  const bucket = described ?? /^arn:[^:]+:s3:::([^/]+)\//.exec(input.Manifest?.Location?.ObjectArn ?? '')?.[1] ?? 'unknown bucket';
  const side = /(source|destination)-report\/?$/.exec(input.Report?.Prefix ?? '')?.[1];
  return side ? `${bucket} ${side}` : bucket;
}

export interface Invocation extends Interval {
  step: StepName;
  /** Part of the invocation spent in the cold start (first invocation of a function). */
  coldStartMs: number;
  /** copy-bucket, verify-bucket and replica-status only: its event and result, for the per-bucket copy and live-sync figures. */
  event?: unknown;
  result?: unknown;
  error?: string;
}

export interface StateEvent {
  machine: string;
  executionName: string;
  type: string;
  stateName?: string;
  stateType?: string;
  at: number;
}

interface PendingStack {
  operation: AwsOperation;
  stackId: string;
  stackName: string;
  status: 'CREATE_COMPLETE' | 'DELETE_COMPLETE' | 'UPDATE_COMPLETE';
}

/** Steps whose event and result the recorder keeps (Invocation.event/result). */
const KEEP_PAYLOAD = new Set<StepName>(['copy-bucket', 'verify-bucket', 'replica-status']);
const MINUTE_MS = 60_000;

export class Recorder {
  readonly s3 = new S3RequestLog();
  readonly operations: AwsOperation[] = [];
  readonly invocations: Invocation[] = [];
  readonly states: StateEvent[] = [];
  private readonly pendingStacks: PendingStack[] = [];
  /** Checksum jobs by JobId: a retried CreateJob (same ClientRequestToken) answers the same job, one operation. */
  private readonly pendingJobs = new Map<string, AwsOperation>();

  constructor(private readonly account: SimAccount) {}

  /**
   * Records every call the account answers; returns the function that stops recording. `s3: false`
   * leaves the S3 requests out (the rehearsal's downtime needs only the long operations).
   */
  watchAccount(options: { s3?: boolean } = {}): () => void {
    const logS3 = options.s3 ?? true;
    const account = this.account;
    const original = account.dispatch;
    const dispatch = original.bind(account);
    account.dispatch = async (service, operation, input) => {
      const start = account.now();
      // Read before the call: a deleted stack's name no longer resolves afterwards.
      const deletedStack = service === 'CloudFormation' && operation === 'DeleteStack' ? this.liveStack(String(input.StackName)) : undefined;
      if (service === 'S3' && !logS3) return dispatch(service, operation, input);
      try {
        const output = await dispatch(service, operation, input);
        this.after(service, operation, input, output, start, deletedStack);
        return output;
      } catch (err) {
        if (service === 'S3' && logS3) this.s3.push({ operation, bucket: String(input.Bucket), start, end: account.now(), error: err instanceof Error ? err.name : String(err), prefix: writePrefix(operation, input) });
        throw err;
      }
    };
    return () => {
      account.dispatch = original;
    };
  }

  /** DeleteStack accepts a name or an ID; a stack already deleted is not an operation. */
  private liveStack(nameOrId: string): { stackId: string; stackName: string } | undefined {
    const cfn = this.account.cloudformation;
    const stack = nameOrId.startsWith('arn:') ? cfn.stackById(nameOrId) : cfn.stackByName(nameOrId);
    return stack && stack.status !== 'DELETE_COMPLETE' ? stack : undefined;
  }

  private after(service: string, operation: string, input: Record<string, unknown>, output: unknown, start: number, deletedStack: { stackId: string; stackName: string } | undefined): void {
    const end = this.account.now();
    const key = `${service}.${operation}`;
    if (service === 'S3') {
      this.s3.push({ operation, bucket: String(input.Bucket), start, end, prefix: writePrefix(operation, input) });
      return;
    }
    if (key === 'RDS.CreateDBSnapshot') {
      const id = String(input.DBSnapshotIdentifier);
      const snapshot = this.account.rds.snapshot(id);
      this.operations.push({ kind: 'snapshot', subject: id, start, end: snapshot?.readyAt ?? end });
    } else if (key === 'AutoScaling.EnterStandby' || key === 'AutoScaling.ExitStandby') {
      const transition = this.account.timing.standbyTransitionSeconds * 1000;
      this.operations.push({ kind: operation === 'EnterStandby' ? 'enter standby' : 'exit standby', subject: String(input.AutoScalingGroupName), start, end: end + transition });
    } else if (key === 'Route53.ChangeResourceRecordSets') {
      // Blue/green's switch: from the change batch to INSYNC, when the simulated Route 53 says it is
      // (PENDING for route53PropagationSeconds after it was submitted: local/sim/route53.ts).
      const submitted = (output as { ChangeInfo?: { SubmittedAt?: Date | string } }).ChangeInfo?.SubmittedAt;
      const insyncAt = (submitted !== undefined ? new Date(submitted).getTime() : end) + this.account.timing.route53PropagationSeconds * 1000;
      this.operations.push({ kind: 'switch entry point', subject: String(input.HostedZoneId), start, end: Math.max(end, insyncAt) });
    } else if (key === 'S3Control.CreateJob') {
      // The content proof's S3 Batch Operations job: AWS works from CreateJob until the job ends
      // (Complete or Failed), which the simulated S3 Control fixes only once the job is read past its
      // end: resolved after the run (resolveStackOperations), like a stack's events.
      const jobId = (output as { JobId?: string }).JobId;
      if (jobId && !this.pendingJobs.has(jobId)) {
        const job: AwsOperation = { kind: 'checksum job', subject: checksumJobSubject(input), start, end };
        this.operations.push(job);
        this.pendingJobs.set(jobId, job);
      }
    } else if (key === 'CloudFormation.CreateStack') {
      const stackId = (output as { StackId?: string }).StackId;
      if (stackId) this.trackStack({ kind: 'create stack', subject: String(input.StackName), start, end }, stackId, 'CREATE_COMPLETE');
    } else if (key === 'CloudFormation.ExecuteChangeSet') {
      // Live sync's promotion: the change set removes SourceDBInstanceIdentifier, CloudFormation
      // promotes each replica in place; AWS works until the stack's UPDATE_COMPLETE (resolved after the run).
      const stack = this.liveStack(String(input.StackName ?? /:stack\/([^/]+)\//.exec(String(input.ChangeSetName))?.[1] ?? ''));
      if (stack) this.trackStack({ kind: 'promote replicas', subject: stack.stackName, start, end }, stack.stackId, 'UPDATE_COMPLETE');
    } else if (key === 'CloudFormation.DeleteStack' && deletedStack) {
      this.trackStack({ kind: 'delete stack', subject: deletedStack.stackName, start, end }, deletedStack.stackId, 'DELETE_COMPLETE');
    }
  }

  private trackStack(operation: AwsOperation, stackId: string, status: PendingStack['status']): void {
    this.operations.push(operation);
    this.pendingStacks.push({ operation, stackId, stackName: operation.subject, status });
  }

  /** Times every Lambda invocation (cold starts included, as Lambda bills them since August 2025). */
  watchInvoker(invoker: LambdaInvoker, coldStartMs: number): () => void {
    const original = invoker.invoke;
    const invoke = original.bind(invoker);
    const warm = new Set<StepName>();
    invoker.invoke = async (step, payload) => {
      const start = Date.now();
      const cold = !warm.has(step);
      warm.add(step);
      const record: Invocation = { step, start, end: start, coldStartMs: cold ? coldStartMs : 0 };
      if (KEEP_PAYLOAD.has(step)) record.event = payload;
      this.invocations.push(record);
      try {
        const result = await invoke(step, payload);
        if (KEEP_PAYLOAD.has(step)) record.result = result;
        if (step === 'replica-status') this.replicasCaughtUp(payload as ReplicaStatusEvent, result as ReplicaStatusResult, start);
        return result;
      } catch (err) {
        record.error = err instanceof Error ? err.name : String(err);
        throw err;
      } finally {
        record.end = Date.now();
      }
    };
    return () => {
      invoker.invoke = original;
    };
  }

  /**
   * Live sync's catch-up, as AWS does it: from `since` (the source takes no writes: the event's, else
   * the wait's first check, as replica-status reads it) to the moment
   * CloudWatch could first show, for every replica, a ReplicaLag reading that proves it caught up
   * (the rule replica-status applies, lambdas/replica-status/core.ts caughtUp, on the minute's
   * reading as the simulated CloudWatch publishes it: taken at the minute's end, readable
   * RDS_PUBLICATION_DELAY_MS later). Computed when a check first says READY, while the replicas
   * still replicate (their lag is gone once promoted); the wait from there to that check is ours.
   */
  private replicasCaughtUp(event: ReplicaStatusEvent, result: ReplicaStatusResult, invokedAt: number): void {
    const sinceIso = event.since ?? event.wait?.startedAt ?? new Date(invokedAt).toISOString();
    const since = Date.parse(sinceIso);
    if (result.status !== 'READY' || this.operations.some((o) => o.kind === 'replica catch-up' && o.start === since)) return;
    const now = this.account.now();
    let end = since;
    for (const db of event.dbInstances) {
      let readable = now;
      for (let minute = Math.ceil(since / MINUTE_MS) * MINUTE_MS; minute + MINUTE_MS + RDS_PUBLICATION_DELAY_MS <= now; minute += MINUTE_MS) {
        const lag = this.account.rds.replicaLag(db.dbInstanceIdentifier, minute + MINUTE_MS);
        if (lag !== undefined && caughtUp({ lagSeconds: lag, at: new Date(minute).toISOString() }, sinceIso)) {
          readable = minute + MINUTE_MS + RDS_PUBLICATION_DELAY_MS;
          break;
        }
      }
      end = Math.max(end, readable);
    }
    this.operations.push({ kind: 'replica catch-up', subject: event.dbInstances.map((d) => d.dbInstanceIdentifier).join(', '), start: since, end });
  }

  /** For LocalHarness's onEvent. */
  onEvent = (e: ProgressEvent): void => {
    this.states.push({ machine: e.machine, executionName: e.executionName, type: e.type, stateName: e.stateName, stateType: e.stateType, at: e.timestamp });
  };

  /**
   * After the run: the end of each stack operation from the stack's events (CREATE_COMPLETE,
   * DELETE_COMPLETE or, for the promotion, the first UPDATE_COMPLETE after it started, of the stack itself), and of each checksum job from the simulated S3 Control (the
   * moment the job completed or failed). An operation that never finished keeps its call's end.
   */
  async resolveStackOperations(): Promise<void> {
    for (const [jobId, job] of this.pendingJobs) {
      const endedAt = this.account.s3control.jobEndedAt(jobId);
      if (endedAt !== undefined) job.end = Math.max(job.end, endedAt);
    }
    const describe = this.account.cloudformation.operations.DescribeStackEvents;
    if (!describe) return;
    for (const pending of this.pendingStacks) {
      const out = (await describe({ StackName: pending.stackId })) as DescribeStackEventsCommandOutput;
      const done = (out.StackEvents ?? [])
        .filter((e) => e.LogicalResourceId === pending.stackName && e.ResourceType === 'AWS::CloudFormation::Stack' && e.ResourceStatus === pending.status)
        .map((e) => (e.Timestamp ? new Date(e.Timestamp).getTime() : undefined))
        .filter((t): t is number => t !== undefined && t >= pending.operation.start)
        .sort((a, b) => a - b)[0];
      if (done !== undefined) pending.operation.end = done;
    }
  }
}
