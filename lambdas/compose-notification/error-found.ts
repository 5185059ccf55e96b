import { readableCause, type StepError, unwrapChildError } from '../shared/child-error';
import type { ComposeNotificationEvent, VerifyBucketResult } from '../shared/contracts';
import { copyStackOf, isIdleSlotCopy } from './copy-stack';

/** The copy's buckets differ from their sources while the statistics are equal: only the bucket verification saw it. */
export const BUCKETS_DIFFER = 'BucketsDiffer';
/** What Migrate's PRESERVE & ALERT states name a differing copy (statemachine/migrate.ts). */
export const STATISTICS_MISMATCH = 'StatisticsMismatch';

/** Step Functions keeps at most 256 characters of an execution's error and 32,768 of its cause (ExecutionFailedEventDetails). */
const ERROR_MAX = 256;
const CAUSE_MAX = 4000;
const PROBLEMS_PER_BUCKET = 3;
const BUCKETS_NAMED = 10;

/**
 * The error an outcome ends with, saying what was found (compose-notification, the last step of every
 * outcome: Migrate then fails with this error, and the notification names it):
 * - a Clone that failed surfaces its own error and cause, not the `States.TaskFailed` that wraps them;
 * - a copy that differs only in its buckets (statistics equal) is BucketsDiffer, naming each bucket
 *   and its first problems, not a StatisticsMismatch whose cause says "statistics equal";
 * - a copy whose statistics and buckets both differ stays StatisticsMismatch, its cause naming the buckets too.
 * Any other error is returned as it came. Undefined when the event carries none. Never throws.
 */
export function errorFound(event: ComposeNotificationEvent): StepError | undefined {
  if (!event.error) return undefined;
  const error = unwrapChildError(event.error);
  const differing = (event.verification ?? []).filter((v) => v.status === 'MISMATCH');
  if (error.Error !== STATISTICS_MISMATCH || differing.length === 0) return error === event.error ? error : bounded(error);
  const [copy, source] = copyAndSource(event);
  if (event.statistics?.status === 'EQUAL') {
    return bounded({
      Error: BUCKETS_DIFFER,
      Cause: `${copy} differs from ${source} in ${differing.length} bucket${differing.length === 1 ? '' : 's'} (the statistics are equal: ${event.statistics.summary}): ${bucketProblems(differing)}`,
    });
  }
  return bounded({ Error: error.Error, Cause: `${readableCause(error.Cause)}; the buckets differ too: ${bucketProblems(differing)}` });
}

/** Which environment was the copy and which its source, by outcome (the copy is the one that differs). */
function copyAndSource(e: ComposeNotificationEvent): [string, string] {
  const temp = copyStackOf(e);
  return e.outcome === 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH'
    ? [`the new environment ${e.stackName}`, `the temporary copy ${temp}`]
    : [`${isIdleSlotCopy(e) ? 'the copy in the idle slot' : 'the temporary copy'} ${temp}`, e.stackName];
}

/** "UploadsBucket (a → b): 2 differences: MISSING uploads/x.bin, ETAG_DIFFERS y; ReportsBucket ..." */
function bucketProblems(buckets: VerifyBucketResult[]): string {
  const named = buckets.slice(0, BUCKETS_NAMED).map((v) => {
    const count = Math.max(v.differenceCount, v.differences.length);
    const first = v.differences.slice(0, PROBLEMS_PER_BUCKET).map((d) => `${d.problem} ${d.key}${d.version !== undefined ? ` (version ${d.version})` : ''}`);
    const more = count > first.length ? ` and ${count - first.length} more` : '';
    return `${v.pair.logicalId} (${v.pair.sourceBucket} → ${v.pair.destinationBucket}): ${count} difference${count === 1 ? '' : 's'}${first.length ? `: ${first.join(', ')}${more}` : ''}`;
  });
  return named.join('; ') + (buckets.length > BUCKETS_NAMED ? `; and ${buckets.length - BUCKETS_NAMED} more buckets` : '');
}

function bounded(e: StepError): StepError {
  const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
  return { Error: cut(e.Error, ERROR_MAX), Cause: cut(e.Cause, CAUSE_MAX) };
}
