/**
 * The benchmark's timing model: bench/timing.json loaded into the simulator's TimingProfile. Every
 * number must name its source (bench/README.md, "Timing model"), so a field without one is an error
 * here rather than an unexplained constant in a figure.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_TIMING, type TimingProfile } from '../local/sim/core';

export const TIMING_FILE = fileURLToPath(new URL('./timing.json', import.meta.url));

const finite = z.number().finite().nonnegative();
const ProfileSchema = z
  .object({
    defaultLatencyMs: finite,
    latencyMs: z.record(z.string().regex(/^[A-Za-z0-9]+\.[A-Za-z0-9]+$/), finite),
    copyFixedMs: finite,
    copyBytesPerSecond: z.number().positive(),
    snapshotFixedSeconds: finite,
    snapshotSecondsPerGb: finite,
    restoreFixedSeconds: finite,
    restoreSecondsPerGb: finite,
    stackCreateSeconds: finite,
    stackDeleteSeconds: finite,
    dbDeleteSeconds: finite,
    instanceLaunchSeconds: finite,
    standbyTransitionSeconds: finite,
    s3WritesPerSecondPerPrefix: finite,
    s3ReadsPerSecondPerPrefix: finite,
    lambdaColdStartMs: finite,
    route53PropagationSeconds: finite,
    replicaLagSeconds: finite,
    replicaCatchUpRate: z.number().min(1),
    promoteSeconds: finite,
    clientCpuMs: z.record(z.string().regex(/^[A-Za-z0-9]+\.[A-Za-z0-9]+$/), finite),
    defaultClientCpuMs: finite,
    fullVcpuMemoryMb: z.number().positive(),
  })
  .strict() satisfies z.ZodType<TimingProfile>;

const FileSchema = z.object({
  description: z.string(),
  profile: ProfileSchema,
  /** Field (or `latencyMs.<Service>.<Operation>`, `latencyMs.<Service>.*`, likewise `clientCpuMs.`) → source id in README. */
  sources: z.record(z.string(), z.string().regex(/^[a-z0-9-]+$/)),
});

export interface LoadedProfile {
  timing: TimingProfile;
  /** Source id of every number, keyed like `copyFixedMs` or `latencyMs.S3.CopyObject`. */
  sourceOf: Map<string, string>;
}

/**
 * Reads and checks a timing profile file (default bench/timing.json). Throws when a field is
 * missing, unknown or negative, or when a number has no source.
 */
export function loadTimingProfile(file: string = TIMING_FILE): LoadedProfile {
  const parsed = FileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  const timing: TimingProfile = parsed.profile;
  const sourceOf = new Map<string, string>();
  const missing: string[] = [];
  const source = (field: string, wildcard?: string): void => {
    const id = parsed.sources[field] ?? (wildcard ? parsed.sources[wildcard] : undefined);
    if (id) sourceOf.set(field, id);
    else missing.push(field);
  };
  for (const field of Object.keys(DEFAULT_TIMING) as (keyof TimingProfile)[]) {
    if (field !== 'latencyMs' && field !== 'clientCpuMs') source(field);
  }
  for (const api of Object.keys(timing.latencyMs)) source(`latencyMs.${api}`, `latencyMs.${api.split('.')[0]}.*`);
  for (const api of Object.keys(timing.clientCpuMs)) source(`clientCpuMs.${api}`, `clientCpuMs.${api.split('.')[0]}.*`);
  if (missing.length > 0) throw new Error(`${file}: no source for ${missing.join(', ')}`);
  return { timing, sourceOf };
}
