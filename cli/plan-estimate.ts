/**
 * The expected downtime and total time of a planned migration, from the benchmark's timing model
 * (bench/timing.json, each figure sourced in bench/README.md "Timing model"), laid along the critical
 * path the benchmark measures (bench/README.md "What the figures mean"): standby → clone 1 (snapshot,
 * stack creation with the restores, copy and verification) → the original's deletion, with clone 2's
 * snapshots taken meanwhile → clone 2 (stack creation, copy, verification). The workflow's own time
 * (noticing that an operation finished, Lambda, orchestration: about 2 % in the benchmark) is not in
 * it. An estimate from a model: AWS publishes no durations for most of these operations.
 */
import timing from '../bench/timing.json' with { type: 'json' };
import { ELB_ALIAS_TTL_SECONDS } from '../bench/metrics';
import type { TimingProfile } from '../local/sim/core';
import type { MigrationPlan } from './plan-core';
import { DEFAULT_COPY_CONCURRENCY, STEPS } from '../lambdas/steps';
import { clientCpuMsOf, cpuShare } from '../local/sim/client-cpu';

/** The benchmark's profile (the JSON is bundled into the CLI: no file is read at runtime). */
export const BENCH_TIMING: TimingProfile = timing.profile;

/** CopyObject requests in flight per bucket: the copy step's own default. */
const COPY_CONCURRENCY = DEFAULT_COPY_CONCURRENCY;
/** ListObjectVersions returns up to 1,000 versions a page. */
const PAGE = 1000;

/** The versions a bucket's copy carries: every version and delete marker listed. */
export function versionsOf(b: MigrationPlan['buckets'][number]): number {
  return b.currentObjects + b.noncurrentVersions + b.deleteMarkers;
}

/** ListObjectVersions pages of a listing of the bucket (at least one, for an empty bucket). */
export function pagesOf(b: MigrationPlan['buckets'][number]): number {
  return Math.ceil(Math.max(versionsOf(b), 1) / PAGE);
}

/**
 * One clone's work on one bucket, in seconds, with `profile`: the longer of what S3's latency allows
 * and what one function's CPU allows, as the benchmark bounds a copy (bench/metrics.ts bucketCopy).
 * Latency: every version copied through COPY_CONCURRENCY slots (request + fixed copy time + bytes at
 * the copy rate); the verification's listing of both sides. CPU: the client CPU of those requests
 * (a CopyObject per version, or two HeadObject for the verification, plus the pages of both sides)
 * at the step's memory's vCPU share (local/sim/client-cpu.ts). Returns the two figures; throws nothing.
 */
export function bucketWorkSeconds(b: MigrationPlan['buckets'][number], profile: TimingProfile = BENCH_TIMING): { copySeconds: number; verifySeconds: number } {
  const latency = (operation: string) => (profile.latencyMs[operation] ?? profile.defaultLatencyMs) / 1000;
  const cpu = (operation: string) => clientCpuMsOf(profile, 'S3', operation) / 1000;
  const versions = versionsOf(b);
  const listingCpu = 2 * pagesOf(b) * cpu('ListObjectVersions');
  const copyLatency = (versions * (latency('S3.CopyObject') + profile.copyFixedMs / 1000) + b.bytes / profile.copyBytesPerSecond) / COPY_CONCURRENCY;
  const copyCpu = (versions * cpu('CopyObject') + listingCpu) / cpuShare(profile, STEPS['copy-bucket'].memoryMb);
  const verifyLatency = 2 * pagesOf(b) * latency('S3.ListObjectVersions');
  const verifyCpu = (2 * versions * cpu('HeadObject') + listingCpu) / cpuShare(profile, STEPS['verify-bucket'].memoryMb);
  return { copySeconds: Math.max(copyLatency, copyCpu), verifySeconds: Math.max(verifyLatency, verifyCpu) };
}

export interface DurationEstimate {
  /** Standby → the new environment verified, in seconds. */
  downtimeSeconds: number;
  /** Start → end of a successful execution (the temporary stack's deletion included), in seconds. */
  totalSeconds: number;
  /** The critical path, segment by segment, in seconds. */
  segments: { what: string; seconds: number }[];
  /** Where the figures come from. */
  model: string;
}

/** Where the figures come from. */
const MODEL = "bench/timing.json (bench/README.md \"Timing model\"); the workflow's own time (about 2 % in the benchmark) not included";

/**
 * Estimates a planned migration's downtime and total time with `profile` (the benchmark's by
 * default). Databases are snapshotted and restored in parallel (the largest allocated storage sets the
 * pace), as are the buckets' copies; a stack is created with its databases restored first, and deleted
 * with its databases last, as the simulated account's model has it. Blue/green: one clone and the
 * switch (Route 53's propagation and the record's TTL); no deletion. Returns the figures; throws nothing.
 */
export function estimateDurations(plan: MigrationPlan, profile: TimingProfile = BENCH_TIMING): DurationEstimate {
  const latency = (operation: string) => (profile.latencyMs[operation] ?? profile.defaultLatencyMs) / 1000;
  const hasDb = plan.databases.length > 0;
  const largestGb = Math.max(0, ...plan.databases.map((d) => d.allocatedStorageGb));
  const snapshot = hasDb ? profile.snapshotFixedSeconds + profile.snapshotSecondsPerGb * largestGb : 0;
  const create = profile.stackCreateSeconds + (hasDb ? profile.restoreFixedSeconds + profile.restoreSecondsPerGb * largestGb : 0);
  const remove = profile.stackDeleteSeconds + (hasDb ? profile.dbDeleteSeconds : 0);
  // The buckets are copied and verified side by side: the slowest sets the pace.
  const bucketSeconds = plan.buckets.map((b) => {
    const w = bucketWorkSeconds(b, profile);
    return w.copySeconds + w.verifySeconds;
  });
  const copy = Math.max(0, ...bucketSeconds);
  const emptying = plan.buckets.reduce((n, b) => n + Math.ceil((b.currentObjects + b.noncurrentVersions + b.deleteMarkers) / PAGE) * latency('S3.DeleteObjects'), 0);

  if (plan.strategy === 'blue-green') {
    const ttl = plan.blueGreen?.ttlSeconds ?? ELB_ALIAS_TTL_SECONDS;
    // One clone into the idle slot, then the switch: Route 53's propagation, and the record's TTL as the
    // plan read it (a CNAME's own; an alias's is its target's, 60 s for a load balancer) before clients
    // see the new slot. No deletion in the downtime.
    const segments = [
      { what: 'enter standby (the live slot)', seconds: profile.standbyTransitionSeconds },
      { what: 'clone: snapshot the databases', seconds: snapshot },
      { what: 'clone: create the idle slot at the target version (databases restored)', seconds: create },
      { what: 'clone: copy and verify the buckets', seconds: copy },
      { what: `switch the entry point (propagation, then the record's TTL: ${ttl} s${plan.blueGreen?.record?.AliasTarget ? ", an alias's to a load balancer" : ''})`, seconds: profile.route53PropagationSeconds + ttl },
    ].map((x) => ({ what: x.what, seconds: Math.round(x.seconds) }));
    const downtimeSeconds = segments.reduce((n, x) => n + x.seconds, 0);
    return { downtimeSeconds, totalSeconds: downtimeSeconds, segments, model: `${MODEL}. Blue/green: one clone and the switch; the previous slot's deletion (its retire run) is outside the downtime.` };
  }
  const segments = [
    { what: 'enter standby', seconds: profile.standbyTransitionSeconds },
    { what: 'clone 1: snapshot the databases', seconds: snapshot },
    { what: 'clone 1: create the temporary stack (databases restored)', seconds: create },
    { what: 'clone 1: copy and verify the buckets', seconds: copy },
    { what: "delete the original (buckets emptied), clone 2's snapshots meanwhile", seconds: Math.max(emptying + remove, snapshot) },
    { what: 'clone 2: create the stack at the target version (databases restored)', seconds: create },
    { what: 'clone 2: copy and verify the buckets', seconds: copy },
  ].map((s) => ({ what: s.what, seconds: Math.round(s.seconds) }));
  const downtimeSeconds = segments.reduce((n, s) => n + s.seconds, 0);
  // After the downtime: the temporary stack deleted (its buckets emptied first).
  const totalSeconds = downtimeSeconds + Math.round(emptying + remove);
  return {
    downtimeSeconds,
    totalSeconds,
    segments,
    model: MODEL,
  };
}
