/**
 * Which engine proves the content of the objects that neither an ETag nor a stored checksum can
 * compare: reading and hashing them in the verify step (lambdas/shared/object-hash.ts) or an S3 Batch
 * Operations Compute checksum job (start-checksum-job, checksum-job-status). Reading costs time per
 * object and per byte inside a Lambda; a job costs minutes of start-up whatever its size, then runs at
 * S3's pace, and is priced per job, per object and per GB. The model below is small on purpose: it
 * decides, and `npm run bench` prints its figures for the reference buckets.
 *
 * Every figure says where it comes from; ESTIMATE marks the ones no published source gives.
 */

export const CONTENT_PROOF_MODEL = {
  hash: {
    /** GetObject time to first byte, s (bench/timing.json latencyMs.S3.GetObject, 30 ms). */
    firstByteSeconds: 0.03,
    /** Objects read at once by one invocation (the verify step's concurrency, as the copy's: 16). ESTIMATE of what it will use. */
    concurrency: 16,
    /** Bytes/s one invocation reads and hashes: ESTIMATE, a 1 GB Lambda's network share (~100 MB/s); the SDK's JS CRC64NVME hashes faster. */
    bytesPerSecond: 100 * 1024 ** 2,
    /** Invocations of the verify step at once for one bucket (one, like the copy). */
    invocations: 1,
    /** Lambda memory of the verify step, GB (lambdas/steps.ts). */
    memoryGb: 1,
    /** https://aws.amazon.com/lambda/pricing/ — Arm, per GB-s (bench/prices.ts). */
    lambdaPerGbSecond: 0.0000133334,
    /** https://aws.amazon.com/s3/pricing/ — GET requests (bench/prices.ts). */
    getPerRequest: 0.0004 / 1000,
    /** A 15-minute invocation re-invoked by the state machine: each costs ~ a second of orchestration (ESTIMATE). */
    invocationSeconds: 900,
  },
  batch: {
    /** From CreateJob to the first task: New, Preparing, Ready. ESTIMATE (no published figure): 3 min, as local/sim/s3-control.ts. */
    startupSeconds: 180,
    /** Tasks per second of one job. ESTIMATE (no published figure), as local/sim/s3-control.ts. */
    objectsPerSecond: 1000,
    /** Data read at rest per second. ESTIMATE, as local/sim/s3-control.ts. */
    bytesPerSecond: 2 * 1024 ** 3,
    /** The wait loop sees the end up to this late (checksum-job-status backoff maximum, 300 s; half on average). */
    detectionSeconds: 150,
    /** https://aws.amazon.com/s3/pricing/ (Management & insights, S3 Batch Operations): per job. */
    perJob: 0.25,
    /** Same page: per million objects processed. */
    perMillionObjects: 1.0,
    /** Compute checksum, per GB processed. ESTIMATE: not confirmed from the pricing page here. */
    perGb: 0.004,
  },
} as const;

export interface ContentProofEstimate {
  engine: 'hash' | 'batch';
  seconds: number;
  dollars: number;
}

/** Time and list price of proving `objects` objects of `bytes` bytes in total with each engine (one side of a pair). */
export function estimateContentProof(input: { objects: number; bytes: number }): { hash: ContentProofEstimate; batch: ContentProofEstimate } {
  const h = CONTENT_PROOF_MODEL.hash;
  const b = CONTENT_PROOF_MODEL.batch;
  const objects = Math.max(0, input.objects);
  const bytes = Math.max(0, input.bytes);
  // Reading: the object latencies overlap `concurrency` at a time; the bytes go through one pipe.
  const hashSeconds = Math.max((objects * h.firstByteSeconds) / h.concurrency, bytes / h.bytesPerSecond) / h.invocations;
  const hashDollars = hashSeconds * h.invocations * h.memoryGb * h.lambdaPerGbSecond + objects * h.getPerRequest;
  const batchSeconds = objects === 0 ? 0 : b.startupSeconds + objects / b.objectsPerSecond + bytes / b.bytesPerSecond + b.detectionSeconds;
  const batchDollars = objects === 0 ? 0 : b.perJob + (objects / 1e6) * b.perMillionObjects + (bytes / 1024 ** 3) * b.perGb;
  return { hash: { engine: 'hash', seconds: hashSeconds, dollars: hashDollars }, batch: { engine: 'batch', seconds: batchSeconds, dollars: batchDollars } };
}

/**
 * The engine for one bucket's objects that need a content proof: the faster one, since the proof
 * runs inside the downtime; within 10 % of each other, the cheaper one. Used by whoever plans the
 * verification (a bucket's count and bytes come from the listing). Returns 'hash' for nothing to prove.
 */
export function chooseContentProof(input: { objects: number; bytes: number }): 'hash' | 'batch' {
  if (input.objects <= 0) return 'hash';
  const { hash, batch } = estimateContentProof(input);
  const close = Math.abs(hash.seconds - batch.seconds) <= 0.1 * Math.max(hash.seconds, batch.seconds);
  if (close) return hash.dollars <= batch.dollars ? 'hash' : 'batch';
  return hash.seconds < batch.seconds ? 'hash' : 'batch';
}
