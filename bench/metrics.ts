/**
 * The figures of a run, from what ./observe.ts recorded: the critical path of AWS work inside a
 * window (downtime or the whole run) with our overhead between its segments, the Lambda and Step
 * Functions usage, the cost at list prices, and the bucket copy rates against their bound.
 */
import type { CopyTotals } from '../lambdas/shared/contracts';
import { clientCpuMsOf, cpuShare } from '../local/sim/client-cpu';
import type { TimingProfile } from '../local/sim/core';
import { STEPS, type StepName } from '../lambdas/steps';
import type { LabelledInterval } from './baseline';
import type { AwsOperation, Interval, Invocation, S3Request, StateEvent } from './observe';
import { PRICES, s3RequestClass } from './prices';

// ---------------------------------------------------------------------------------------------
// Intervals
// ---------------------------------------------------------------------------------------------

/** Sorted, non-overlapping union. */
export function union(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

export function total(intervals: readonly Interval[]): number {
  return union(intervals).reduce((n, i) => n + (i.end - i.start), 0);
}

export function clip(intervals: readonly Interval[], window: Interval): Interval[] {
  return intervals.map((i) => ({ start: Math.max(i.start, window.start), end: Math.min(i.end, window.end) })).filter((i) => i.end > i.start);
}

/** `a` minus every interval of `b`. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const cut = union(b);
  const out: Interval[] = [];
  for (const piece of union(a)) {
    let start = piece.start;
    for (const c of cut) {
      if (c.end <= start || c.start >= piece.end) continue;
      if (c.start > start) out.push({ start, end: c.start });
      start = Math.max(start, c.end);
    }
    if (start < piece.end) out.push({ start, end: piece.end });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Critical path
// ---------------------------------------------------------------------------------------------

export interface PathSegment extends Interval {
  /** What AWS was doing ("snapshot", "create stack + discover"...). */
  label: string;
  awsSeconds: number;
  /** Our time before this segment started: noticing the previous one finished, Lambda, transitions. */
  oursBeforeSeconds: number;
}

export interface CriticalPath {
  window: Interval;
  segments: PathSegment[];
  /** Our time after the last segment, up to the window's end. */
  oursAfterSeconds: number;
  awsSeconds: number;
  overheadSeconds: number;
  overheadPercent: number;
  /** Where our time went: sleeping before the next check, in Lambda functions, in orchestration. */
  breakdown: { pollWaitSeconds: number; lambdaSeconds: number; orchestrationSeconds: number };
}

/**
 * Lays the AWS work of a window end to end: overlapping work merges into one segment, and the gaps
 * between segments are ours. `waits` are the state machine's (or script's) sleeps between checks
 * and `lambdas` every invocation, to say where the gaps went.
 */
export function criticalPath(window: Interval, work: readonly LabelledInterval[], waits: readonly Interval[], lambdas: readonly Interval[]): CriticalPath {
  const inWindow = work
    .map((w) => ({ ...w, start: Math.max(w.start, window.start), end: Math.min(w.end, window.end) }))
    .filter((w) => w.end > w.start)
    .sort((a, b) => a.start - b.start);
  const segments: PathSegment[] = [];
  let cursor = window.start;
  let current: (Interval & { labels: string[] }) | undefined;
  const close = (): void => {
    if (!current) return;
    segments.push({ start: current.start, end: current.end, label: current.labels.join(' + '), awsSeconds: (current.end - current.start) / 1000, oursBeforeSeconds: 0 });
    current = undefined;
  };
  for (const w of inWindow) {
    if (current && w.start <= current.end) {
      current.end = Math.max(current.end, w.end);
      if (!current.labels.includes(w.label)) current.labels.push(w.label);
      continue;
    }
    close();
    current = { start: w.start, end: w.end, labels: [w.label] };
  }
  close();
  for (const s of segments) {
    s.oursBeforeSeconds = Math.max(0, s.start - cursor) / 1000;
    cursor = s.end;
  }
  const gaps = subtract([window], segments);
  const sleeping = union(waits);
  const inLambda = union(lambdas);
  const pollWaitInGaps = total(gaps.flatMap((g) => clip(sleeping, g)));
  const lambdaInGaps = total(subtract(gaps, sleeping).flatMap((g) => clip(inLambda, g)));
  const overheadMs = total(gaps);
  const windowMs = window.end - window.start;
  return {
    window,
    segments,
    oursAfterSeconds: Math.max(0, window.end - cursor) / 1000,
    awsSeconds: (windowMs - overheadMs) / 1000,
    overheadSeconds: overheadMs / 1000,
    overheadPercent: windowMs > 0 ? (100 * overheadMs) / windowMs : 0,
    breakdown: {
      pollWaitSeconds: pollWaitInGaps / 1000,
      lambdaSeconds: lambdaInGaps / 1000,
      orchestrationSeconds: (overheadMs - pollWaitInGaps - lambdaInGaps) / 1000,
    },
  };
}

/** Steps whose time is AWS work on the path (the rest only look: status checks, probes). */
const WORK_LABEL: Partial<Record<StepName, string>> = {
  'validate-input': 'validate',
  discover: 'discover',
  'standby-enter': 'enter standby',
  'standby-exit': 'exit standby',
  snapshot: 'snapshot',
  'create-stack': 'create stack',
  'copy-bucket': 'copy buckets',
  'verify-bucket': 'verify buckets',
  'compare-statistics': 'compare statistics',
  'delete-stack': 'delete stack',
  'delete-snapshots': 'delete snapshots',
  'compose-notification': 'notify',
  // Blue/green: the change batch; Route 53 propagating it is the 'switch entry point' operation (observe.ts).
  'switch-entry-point': 'switch entry point',
  // Live sync: the change set's creation and ExecuteChangeSet; CloudFormation promoting the replicas is
  // the 'promote replicas' operation, the replicas catching up 'replica catch-up' (observe.ts).
  'plan-promotion': 'plan promotion',
  'promote-replicas': 'promote replicas',
};

/**
 * The critical path's label of a long operation: its kind, and for an S3 Batch Operations checksum
 * job the bucket and side it proves ("checksum job <bucket> source"), so the two jobs of a pair and
 * the jobs of two buckets read apart when they overlap.
 */
export function operationLabel(o: Pick<AwsOperation, 'kind' | 'subject'>): string {
  return o.kind === 'checksum job' ? `${o.kind} ${o.subject}` : o.kind;
}

/**
 * The workflow's AWS work: the long operations, and the work steps' invocations without their cold
 * start. `relabel` may rename an invocation's label (live sync: the copy after the standby is the
 * delta copy, its pre-copy before it).
 */
export function workflowWork(operations: readonly AwsOperation[], invocations: readonly Invocation[], relabel?: (i: Invocation, label: string) => string): LabelledInterval[] {
  const work: LabelledInterval[] = operations.map((o) => ({ label: operationLabel(o), start: o.start, end: o.end }));
  for (const i of invocations) {
    const label = WORK_LABEL[i.step];
    if (label) work.push({ label: relabel ? relabel(i, label) : label, start: i.start + i.coldStartMs, end: i.end });
  }
  return work;
}

/** Intervals the executions spent in Wait states. */
export function waitStates(states: readonly StateEvent[]): Interval[] {
  const open = new Map<string, number>();
  const out: Interval[] = [];
  for (const s of states) {
    if (s.stateType !== 'Wait') continue;
    const key = `${s.executionName}/${s.stateName ?? ''}`;
    if (s.type === 'StateEntered') open.set(key, s.at);
    else if (s.type === 'StateExited') {
      const start = open.get(key);
      if (start !== undefined) out.push({ start, end: s.at });
      open.delete(key);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Usage and cost
// ---------------------------------------------------------------------------------------------

export interface Usage {
  stateTransitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  lambdaByStep: Partial<Record<StepName, StepUsage>>;
  s3Requests: { tier1: number; tier2: number; free: number; throttled: number };
}

export interface Cost {
  stepFunctionsUsd: number;
  lambdaUsd: number;
  s3Usd: number;
  totalUsd: number;
}

/** Step Functions bills every state entered, and every retry (Step Functions pricing page). */
export function stateTransitions(states: readonly StateEvent[]): number {
  return states.filter((s) => s.type === 'StateEntered' || s.type === 'StateRetried').length;
}

export interface StepUsage {
  invocations: number;
  gbSeconds: number;
}

export function lambdaUsage(invocations: readonly Invocation[]): StepUsage & { byStep: Partial<Record<StepName, StepUsage>> } {
  let gbSeconds = 0;
  const byStep: Partial<Record<StepName, StepUsage>> = {};
  for (const i of invocations) {
    const gbs = ((i.end - i.start) / 1000) * (STEPS[i.step].memoryMb / 1024);
    gbSeconds += gbs;
    const step = (byStep[i.step] ??= { invocations: 0, gbSeconds: 0 });
    step.invocations++;
    step.gbSeconds += gbs;
  }
  return { invocations: invocations.length, gbSeconds, byStep };
}

/** Requests S3 answered (a SlowDown answer is counted apart: it did no work). */
export function s3Usage(requests: Iterable<S3Request>): Usage['s3Requests'] {
  const out = { tier1: 0, tier2: 0, free: 0, throttled: 0 };
  for (const r of requests) {
    if (r.error === 'SlowDown') out.throttled++;
    else out[s3RequestClass(r.operation)]++;
  }
  return out;
}

export function cost(usage: Usage): Cost {
  const stepFunctionsUsd = usage.stateTransitions * PRICES.stepFunctionsPerTransition;
  const lambdaUsd = usage.lambdaGbSeconds * PRICES.lambdaArmPerGbSecond + usage.lambdaInvocations * PRICES.lambdaPerRequest;
  const s3Usd = usage.s3Requests.tier1 * PRICES.s3Tier1PerRequest + usage.s3Requests.tier2 * PRICES.s3Tier2PerRequest;
  return { stepFunctionsUsd, lambdaUsd, s3Usd, totalUsd: stepFunctionsUsd + lambdaUsd + s3Usd };
}

// ---------------------------------------------------------------------------------------------
// Bucket copy
// ---------------------------------------------------------------------------------------------

/** S3 requests that hold one of the copy's concurrency slots (listings run beside them). */
const SLOT_REQUESTS = new Set(['CopyObject', 'UploadPartCopy', 'HeadObject', 'GetObjectTagging', 'CreateMultipartUpload', 'CompleteMultipartUpload', 'PutObjectTagging']);

export interface BucketCopy extends Interval {
  clone: number;
  /** Live sync: the pre-copy before the standby, or the delta copy after it (absent: a full copy). */
  stage?: 'pre-copy' | 'delta';
  /** The copy step's own totals (its last invocation's): copied, skipped as identical, removed (mirror). */
  totals?: CopyTotals;
  logicalId: string;
  sourceBucket: string;
  destinationBucket: string;
  objects: number;
  /** Requests S3 received for this copy (retries and SlowDown answers included). */
  requests: number;
  invocations: number;
  objectsPerSecond: number;
  /**
   * What one function could reach: the lower of the latency bound (`concurrency` slots kept busy all
   * the time with the latencies measured) and the CPU bound (its client's CPU per object at its
   * memory's vCPU share); the latency bound alone without a CPU model.
   */
  boundObjectsPerSecond: number;
  latencyBoundObjectsPerSecond: number;
  meanRequestMs: number;
  /** The requests in flight the latency bound assumes (the copy step's concurrency), per function. */
  concurrency: number;
  /** Key ranges the bucket was split into: one function each, in parallel (the bounds count them all). */
  ranges: number;
  /** What S3's write rate per prefix allows: objects ÷ the busiest prefix's writes at that rate (with a timing model that rates them). */
  s3BoundObjectsPerSecond?: number;
  /** With a CPU model: the client CPU of the copy's requests per object (ms at one vCPU), and its bound. */
  cpu?: CopyCpu;
}

/** One function's CPU bound on a copy (../local/sim/client-cpu.ts charges it on the simulated clock). */
export interface CopyCpu {
  memoryMb: number;
  /** min(1, memory ÷ the memory of one full vCPU). */
  share: number;
  /** Client CPU of the copy's requests (listings, copies, heads, tags, parts...) ÷ objects, in ms at one vCPU. */
  msPerObject: number;
  /** 1000 × share ÷ msPerObject. */
  boundObjectsPerSecond: number;
}

/** What a copy's CPU costs one function: its requests' client CPU (the timing model's) per object, and the rate it allows. */
export type CopyCpuModel = { timing: Pick<TimingProfile, 'clientCpuMs' | 'defaultClientCpuMs' | 'fullVcpuMemoryMb' | 's3WritesPerSecondPerPrefix'>; memoryMb: number };

/**
 * Rate of one bucket copy against its bound: objects ÷ elapsed, and concurrency × objects ÷ the sum
 * of the latencies of the requests that hold a slot (the copy could not be faster with that many
 * requests in flight). Requests are those S3 received for the destination bucket (copies) or the
 * source bucket (listings, heads) during the copy. With `cpuModel`, the bound is also no more than
 * one function's CPU allows: 1000 × its vCPU share ÷ the client CPU of those requests per object.
 */
export function bucketCopy(
  clone: number,
  pair: { logicalId: string; sourceBucket: string; destinationBucket: string },
  span: Interval,
  objects: number,
  invocations: number,
  requests: Iterable<S3Request>,
  concurrency: number,
  cpuModel?: CopyCpuModel,
  ranges = 1,
): BucketCopy {
  let mine = 0;
  let slotted = 0;
  let busyMs = 0;
  let cpuMs = 0;
  const cpuOf = new Map<string, number>();
  const writesByPrefix = new Map<string, number>();
  for (const r of requests) {
    if ((r.bucket !== pair.destinationBucket && r.bucket !== pair.sourceBucket) || r.start < span.start || r.start > span.end) continue;
    mine++;
    if (cpuModel) {
      let c = cpuOf.get(r.operation);
      if (c === undefined) cpuOf.set(r.operation, (c = clientCpuMsOf(cpuModel.timing, 'S3', r.operation)));
      cpuMs += c;
    }
    if (r.prefix !== undefined && r.bucket === pair.destinationBucket) writesByPrefix.set(r.prefix, (writesByPrefix.get(r.prefix) ?? 0) + 1);
    if (!SLOT_REQUESTS.has(r.operation)) continue;
    slotted++;
    busyMs += r.end - r.start;
  }
  const seconds = Math.max(0.001, (span.end - span.start) / 1000);
  // S3's own bound: "at least 3,500 PUT/COPY/POST/DELETE ... requests per second per partitioned
  // prefix" (S3 user guide, "optimizing Amazon S3 performance"). The copy cannot end before its busiest
  // prefix has taken its writes at that rate: objects ÷ (that prefix's writes ÷ the rate). Key ranges
  // copied in parallel share a prefix's rate; beyond it S3 answers SlowDown and the copies back off.
  const perPrefix = cpuModel?.timing.s3WritesPerSecondPerPrefix ?? 0;
  const busiest = Math.max(0, ...writesByPrefix.values());
  const s3Bound = perPrefix > 0 && busiest > 0 ? (objects * perPrefix) / busiest : undefined;
  // Key ranges (split-bucket) are copied by one function each, in parallel: `ranges` times the slots and the CPU.
  const latencyBound = busyMs > 0 ? (ranges * concurrency * objects) / (busyMs / 1000) : 0;
  let cpu: CopyCpu | undefined;
  if (cpuModel && objects > 0 && cpuMs > 0) {
    const share = cpuShare(cpuModel.timing, cpuModel.memoryMb);
    const msPerObject = cpuMs / objects;
    cpu = { memoryMb: cpuModel.memoryMb, share, msPerObject, boundObjectsPerSecond: (ranges * 1000 * share) / msPerObject };
  }
  return {
    clone,
    ...pair,
    ...span,
    objects,
    requests: mine,
    invocations,
    objectsPerSecond: objects / seconds,
    boundObjectsPerSecond: Math.min(cpu && latencyBound > 0 ? Math.min(latencyBound, cpu.boundObjectsPerSecond) : latencyBound, s3Bound ?? Number.POSITIVE_INFINITY),
    latencyBoundObjectsPerSecond: latencyBound,
    meanRequestMs: slotted > 0 ? busyMs / slotted : 0,
    concurrency,
    ranges,
    ...(s3Bound !== undefined ? { s3BoundObjectsPerSecond: s3Bound } : {}),
    ...(cpu ? { cpu } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Blue/green: the downtime ends at the switch, plus the resolvers' caches
// ---------------------------------------------------------------------------------------------

/**
 * The TTL Route 53 gives an alias record to a load balancer: "If an alias record points to an AWS
 * resource, you can't set the time to live (TTL); Route 53 uses the default TTL for the resource"
 * (Route 53 developer guide, "Choosing between alias and non-alias records"; AWS Cloud Map API
 * reference, DnsRecord TTL: "Alias records don't include a TTL because Route 53 uses the TTL for the
 * AWS resource that an alias record routes traffic to"), and for ELB that is 60 s: "ELB and S3
 * website endpoints ... alias records that have a fixed TTL of 60 seconds" (Amazon Route 53 FAQs,
 * https://aws.amazon.com/route53/faqs/, "Do I need to adjust the TTL of my records in order to use
 * DNS Failover?", as quoted in https://qiita.com/AWS11/items/8627c9c42bc5fdf2b8cb). The simulated
 * Route 53 (local/sim/route53.ts) caches alias answers for the same 60 s.
 */
export const ELB_ALIAS_TTL_SECONDS = 60;

/**
 * How long resolvers may keep serving the entry point's previous answer after a switch: a CNAME's
 * own TTL; an alias's is its target's (the slots' load balancers: 60 s). `record` is the record as
 * it was before the switch (EntryPointResult.record, or as listed by ListResourceRecordSets).
 */
export function entryPointTtlSeconds(record: { TTL?: number; AliasTarget?: unknown }): number {
  return record.AliasTarget ? ELB_ALIAS_TTL_SECONDS : (record.TTL ?? 0);
}

/** When a blue/green run passed the states that bound its downtime (epoch ms; absent: never). */
export interface BlueGreenMarks {
  /** STANDBY_STATE first entered: the live slot stops serving. */
  standby: number;
  /** SWITCH_STATE ("Switch the entry point") first entered. */
  switchEntered?: number;
  /** SWITCHED_STATE first entered: the switch seen INSYNC. */
  switched?: number;
  /**
   * The new slot serves: it answered through the entry point (SERVED_STATE entered), even if the run
   * failed after (its retire schedule). A switch followed by a switch back is not the end of the
   * downtime: the window then runs to `end`.
   */
  served: boolean;
  /** The end of the execution (or now): where the window ends when the new slot never served. */
  end: number;
}

export interface BlueGreenDowntime {
  window: Interval;
  /** `switched`: the window ends at the switch INSYNC + the TTL; `ended`: at the end of the run. */
  until: 'switched' | 'ended';
  ttlSeconds: number;
  /** From entering SWITCH_STATE to INSYNC plus the TTL (only when `switched`). */
  switch?: Interval;
  /** The resolvers' caches after INSYNC, as AWS time on the critical path (only when `switched`). */
  dnsCaches?: LabelledInterval;
}

/** The label of the resolvers' caches on the critical path and in the reports. */
export const DNS_CACHES_LABEL = 'DNS caches (TTL)';

/**
 * The downtime of a blue/green run: from the standby to the switch seen INSYNC (the first entry of
 * SWITCHED_STATE) plus the TTL of the record's previous answer, which resolvers may keep serving
 * that long (the previous slot is in standby then). Pure: bench, rehearse and report share it.
 */
export function blueGreenDowntime(marks: BlueGreenMarks, ttlSeconds: number): BlueGreenDowntime {
  const { standby, switchEntered, switched } = marks;
  if (!marks.served || switched === undefined || switched < standby) return { window: { start: standby, end: marks.end }, until: 'ended', ttlSeconds };
  const end = switched + ttlSeconds * 1000;
  return {
    window: { start: standby, end },
    until: 'switched',
    ttlSeconds,
    switch: { start: switchEntered ?? switched, end },
    dnsCaches: { label: DNS_CACHES_LABEL, start: switched, end },
  };
}

/** The first time a state of one execution was entered, from recorded state events. */
export function firstEntered(states: readonly StateEvent[], executionName: string, stateName: string): number | undefined {
  return states.find((s) => s.executionName === executionName && s.type === 'StateEntered' && s.stateName === stateName)?.at;
}
