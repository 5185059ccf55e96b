import type {
  CompareStatisticsResult,
  ComposeNotificationEvent,
  ComposeNotificationResult,
  Outcome,
  StatisticsDifference,
  VerifyBucketResult,
} from '../shared/contracts';
import { stackEventsText } from '../shared/child-error';
import { runIdOf, snapshotPrefix, tempStackNameOf } from '../shared/naming';
import { copyNoun, copyStackOf, isIdleSlotCopy } from './copy-stack';
import { errorFound } from './error-found';
import { guidanceLines } from './error-guidance';

/** SNS: a subject must be under 100 characters, without line breaks or control characters; we also keep it ASCII. */
export const SUBJECT_MAX = 99;
/** The whole SNS message, attributes included, is limited to 256 KiB: the text and the JSON share it. */
export const MESSAGE_MAX_BYTES = 200 * 1024;
export const DETAILS_MAX_BYTES = 40 * 1024;

/** Migrate's state that deletes the current environment (statemachine/migrate.ts). */
const DELETE_CURRENT_STATE = 'Delete the current environment';
const MAX_STAT_LINES = 100;
const MAX_BUCKETS = 20;
const MAX_OBJECT_LINES = 20;
const MAX_VALUE_CHARS = 200;
const MAX_CAUSE_CHARS = 4000;
const PREFIX = '[env-migrator]';

/**
 * Compose the notification, the last step of every outcome (invariant 4): what happened, where,
 * why, where the data is, what was cleaned up and what is left to do, as a phone-readable subject,
 * a text message and the same facts as JSON, and the error the execution ends with (errorFound).
 * Makes no AWS call and throws nothing of its own: a notification must always be sendable.
 */
export function composeNotification(event: ComposeNotificationEvent): ComposeNotificationResult {
  const region = event.region ?? regionOf(event.execution.id);
  const url = consoleUrl(event.execution.id, region);
  // The error named is what was found (a failed Clone's own, BucketsDiffer), and Migrate ends with it.
  const error = errorFound(event);
  const cause = error ? causeText(error.Cause) : undefined;
  const undone = compensationLines(event);
  // What the compensation chain recorded joins what the state machine listed itself.
  const e: ComposeNotificationEvent = {
    ...event,
    ...(error ? { error } : {}),
    cleanedUp: [...(event.cleanedUp ?? []), ...undone.cleanedUp],
    leftToDo: [...(event.leftToDo ?? []), ...undone.leftToDo, ...recoveryLines(event)],
  };
  return {
    subject: subjectOf(e),
    message: messageOf(e, cause, url),
    details: detailsOf(e, cause, url, region),
    ...(error ? { error } : {}),
  };
}

/** Outcomes that end with the data in the temporary copy, the original deleted or being deleted (phase B). */
const RECOVERABLE: ReadonlySet<Outcome> = new Set<Outcome>(['FAILED_AND_COMPENSATED', 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH']);

/**
 * After a phase-B ending (the temporary copy named as the survivor), the command that finishes the
 * job, with this execution's ARN filled in: `env-migrator recover` clones the copy back under the
 * original name and verifies it (cli/recover.ts). Listed last: whatever else is left to do by hand
 * (a new environment the compensation could not delete) comes first, since recover needs the name free.
 */
export function recoveryLines(e: ComposeNotificationEvent): string[] {
  const stack = e.stackName;
  if (!stack || !e.survivor || !RECOVERABLE.has(e.outcome) || e.survivor !== tempStackNameOf(stack, e.execution.id)) return [];
  return [
    `once the cause is fixed, bring ${stack} back under its name from ${e.survivor}: env-migrator recover ${e.execution.id} (clones ${e.survivor} to ${stack}${e.version ? ` at version ${e.version}` : ''} and verifies it as the second clone would; add --version-of-original to recreate the version it had; README, "Recovery")`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Compensation record
// ---------------------------------------------------------------------------------------------

type Entry = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * Turns `$.compensation` (action → `{status: 'DONE', target?}` or the caught `{Error, Cause}`) into
 * lines of what was cleaned up and what is left to do by hand. Names the state machine could not
 * pass (the temporary stack, the snapshot prefix) are derived from the execution, as they were made.
 */
export function compensationLines(e: ComposeNotificationEvent): { cleanedUp: string[]; leftToDo: string[] } {
  const cleanedUp: string[] = [];
  const leftToDo: string[] = [];
  const stack = e.stackName || '(unknown stack)';
  const temp = copyStackOf(e);
  const dataIn = e.survivor ? `; the data is in ${e.survivor}` : '';
  for (const [action, raw] of Object.entries(e.compensation ?? {})) {
    if (!raw || typeof raw !== 'object') continue;
    const entry = raw as Entry;
    const error = str(entry.Error) ?? str(entry.error);
    const why = error ? `${error}: ${truncate(causeText(str(entry.Cause) ?? str(entry.cause) ?? ''), 1000)}` : '';
    const target = str(entry.target) ?? str(entry.stackName);
    switch (action) {
      case 'deleteTemporaryStack':
        if (!error) cleanedUp.push(`deleted ${copyNoun(e)} ${target ?? temp}`);
        else leftToDo.push(`delete ${copyNoun(e)} ${target ?? temp} by hand${dataIn}; its deletion failed (${why})`);
        break;
      case 'deleteNewStack':
        if (!error) cleanedUp.push(`deleted the new environment ${target ?? stack}, which did not hold the data`);
        else leftToDo.push(`delete the new environment ${target ?? stack} by hand once you have checked it is not the one holding the data${dataIn}; its deletion failed (${why})`);
        break;
      case 'exitStandby':
        if (!error) cleanedUp.push(`returned the instances of ${stack} to service (standby exited, scaling processes resumed, min size restored)`);
        else
          leftToDo.push(
            `put the instances of ${stack} back in service by hand: exit standby, resume the suspended scaling processes and restore the min size (the env-migrator:* tags on each Auto Scaling group record what was changed); it failed (${why})`,
          );
        break;
      case 'deleteSnapshots': {
        const prefix = snapshotPrefix(runIdOf(e.execution.id));
        const ids = (key: string): string[] => (Array.isArray(entry[key]) ? (entry[key] as unknown[]).flatMap((v) => (str(v) ? [str(v) as string] : [])) : []);
        const deleted = ids('deleted');
        // Snapshots the new stack restores from are reported on their own (snapshotsInUseLines).
        const inUse = new Set((e.snapshotsInUse ?? []).map((r) => r.snapshotIdentifier.toLowerCase()));
        const kept = ids('kept').filter((id) => !inUse.has(id.toLowerCase()));
        if (error) leftToDo.push(`delete this migration's DB snapshots (${prefix}*) by hand; their deletion failed (${why})`);
        else if (deleted.length > 0) cleanedUp.push(`deleted this migration's DB snapshots: ${listed(deleted)}`);
        else cleanedUp.push(`found no DB snapshot of this migration left to delete (${prefix}*)`);
        if (kept.length > 0) {
          leftToDo.push(
            `the DB snapshots ${listed(kept)} were kept on purpose: they back up ${stack}'s databases as they were before the migration; delete them by hand once they are no longer needed`,
          );
        }
        for (const n of Array.isArray(entry.notDeletable) ? entry.notDeletable : []) {
          const id = n && typeof n === 'object' ? str((n as Entry).snapshotIdentifier) : undefined;
          if (id) leftToDo.push(`delete the DB snapshot ${id} by hand once it is available (it was ${str((n as Entry).status) ?? 'busy'})`);
        }
        break;
      }
      case 'stopClone1':
      case 'stopClone2': {
        const execution = `${runIdOf(e.execution.id)}-c${action.slice(-1)}`;
        leftToDo.push(`stop the clone execution ${execution} by hand if it still runs (it would recreate what the compensation removed); stopping it failed (${why || 'unknown error'})`);
        break;
      }
      case 'switchBack':
        // Blue/green, after the switch (statemachine/blue-green.ts): the record pointed back at the previous slot.
        if (!error) cleanedUp.push(`switched the entry point${e.blueGreen ? ` ${e.blueGreen.entryPoint.recordName}` : ''} back to ${target ?? stack}`);
        else
          leftToDo.push(
            `check the entry point record by hand and point it at ${stack} if it does not (${stack} holds the data as of the switch); switching it back failed (${why})`,
          );
        break;
      case 'standbyNewSlot':
        // Blue/green, after the switch back: the new slot kept for inspection, out of service.
        if (!error) cleanedUp.push(`put the instances of the new slot ${target ?? '(unknown)'} in standby (kept for inspection, out of the entry point)`);
        else if (error === 'NotSwitchedBack')
          leftToDo.push(
            `the new slot ${target ?? '(unknown)'} was left in service: the switch back was not confirmed and the record may still send requests to it; once the record points at ${stack} again, put its instances in standby by hand so nothing writes to it while it waits for inspection`,
          );
        else leftToDo.push(`put the instances of the new slot in standby by hand (or stop them), so nothing writes to it while it waits for inspection; it failed (${why})`);
        break;
      case 'closeSwitchRecord': {
        // Blue/green, after the switch back: the switch record no longer claims a live switch.
        const record = e.blueGreen ? ` of ${e.blueGreen.entryPoint.recordName}` : '';
        if (!error) cleanedUp.push(`marked the switch record${record} rolled back (env-migrator rollback now refuses it) and deleted its retire schedule, if any`);
        else
          leftToDo.push(
            `the switch record${record} (${target ?? 'entry-points/'} in the workflow bucket) still claims the switch: env-migrator rollback would refuse only because the record no longer points at the new slot; marking it rolled back failed (${why})`,
          );
        break;
      }
      case 'releaseIdleSlotLock':
      case 'releaseEntryPointLock':
        leftToDo.push(
          `release the migration lock of the ${action === 'releaseIdleSlotLock' ? 'idle slot' : 'entry point'} by hand (delete its item, owned by this execution, from the env-migrator lock table) or let it expire; releasing it failed (${why || 'unknown error'})`,
        );
        break;
      case 'releaseLock':
        leftToDo.push(
          `release the migration lock of ${stack} by hand (delete its item from the env-migrator lock table) or let it expire, before another migration of ${stack} can start; releasing it failed (${why || 'unknown error'})`,
        );
        break;
      default:
        if (!error) cleanedUp.push(`${action}: done${target ? ` (${target})` : ''}`);
        else leftToDo.push(`${action} failed and must be finished by hand (${why})`);
    }
  }
  // Its deletion failed part-way: the original is left as it is, out of service and maybe emptied.
  if (e.outcome === 'FAILED_AND_COMPENSATED' && e.survivor && e.survivor !== stack && e.failedState === DELETE_CURRENT_STATE) {
    leftToDo.push(
      `${stack}, if it still exists, was left out of service (its instances in standby) and may be missing data: do not put it back in service before checking it against ${e.survivor}`,
    );
  }
  return { cleanedUp, leftToDo };
}

// ---------------------------------------------------------------------------------------------
// Subject
// ---------------------------------------------------------------------------------------------

function subjectOf(e: ComposeNotificationEvent): string {
  const stack = e.stackName || '(unknown stack)';
  const survivor = e.survivor ?? 'UNKNOWN - check now';
  const at = e.failedState ? ` at "${e.failedState}"` : '';
  // Most detailed first; the first that fits wins, the survivor is the last thing dropped.
  const variants: string[] = (() => {
    switch (e.outcome) {
      case 'SUCCEEDED':
        return e.version ? [`${PREFIX} SUCCEEDED ${stack} -> ${e.version}`, `${PREFIX} SUCCEEDED ${stack}`] : [`${PREFIX} SUCCEEDED ${stack}`];
      case 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH':
      case 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH':
        return [
          `${PREFIX} PRESERVED ${stack}: ${whatDiffers(e)} - data in ${survivor}`,
          `${PREFIX} PRESERVED ${stack}: mismatch - data in ${survivor}`,
          `${PREFIX} PRESERVED ${stack} - data in ${survivor}`,
          `${PREFIX} PRESERVED - data in ${survivor}`,
        ];
      case 'FAILED_AND_COMPENSATED':
        return [
          `${PREFIX} FAILED ${stack}${at} - data safe in ${survivor}`,
          `${PREFIX} FAILED ${stack} - data safe in ${survivor}`,
          `${PREFIX} FAILED - data safe in ${survivor}`,
        ];
      case 'REJECTED_INPUT':
        return [`${PREFIX} REJECTED input for ${stack}: nothing changed`, `${PREFIX} REJECTED input: nothing changed`];
      case 'MIGRATION_IN_PROGRESS':
        return [`${PREFIX} REFUSED ${stack}: another migration is in progress`, `${PREFIX} REFUSED ${stack}: migration in progress`];
      default:
        return [`${PREFIX} ${String(e.outcome)} ${stack}`];
    }
  })().map(toSubjectText);
  const fitting = variants.find((v) => v.length <= SUBJECT_MAX);
  if (fitting) return fitting;
  const last = variants[variants.length - 1] ?? PREFIX;
  return `${last.slice(0, SUBJECT_MAX - 3)}...`;
}

/** ASCII, one line: arrows and dashes spelled out, anything else unprintable replaced. */
export function toSubjectText(s: string): string {
  return s
    .replace(/→/g, '->')
    .replace(/[—–]/g, '-')
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7E]/g, '?')
    .trim();
}

function whatDiffers(e: ComposeNotificationEvent): string {
  const stats = e.statistics?.status === 'MISMATCH';
  const buckets = (e.verification ?? []).some((v) => v.status === 'MISMATCH');
  if (stats && buckets) return 'statistics and buckets differ';
  if (stats) return 'statistics differ';
  if (buckets) return 'buckets differ';
  return 'copy did not match';
}

// ---------------------------------------------------------------------------------------------
// Message
// ---------------------------------------------------------------------------------------------

const HEADLINE: Record<Outcome, string> = {
  SUCCEEDED: 'SUCCEEDED',
  PRESERVED_AFTER_FIRST_CLONE_MISMATCH: 'STOPPED, DATA PRESERVED (the copy did not match the original)',
  PRESERVED_AFTER_SECOND_CLONE_MISMATCH: 'STOPPED, DATA PRESERVED (the new environment did not match the verified copy)',
  FAILED_AND_COMPENSATED: 'FAILED (changes undone as far as safe)',
  REJECTED_INPUT: 'REJECTED (bad input, nothing changed)',
  MIGRATION_IN_PROGRESS: 'REFUSED (another migration is in progress, nothing changed)',
};

function whatHappened(e: ComposeNotificationEvent): string {
  const stack = e.stackName || '(unknown stack)';
  switch (e.outcome) {
    case 'SUCCEEDED':
      return `${stack} now runs version ${e.version ?? '(target version)'}. It was built from verified copies of the data: its smoke test passed, its buckets match and its statistics equal the previous environment's.`;
    case 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH':
      return `The migration of ${stack} stopped before the original environment was changed: ${isIdleSlotCopy(e) ? `the copy in the idle slot ${copyStackOf(e)}` : 'the temporary copy'} did not match it (${whatDiffers(e)}). The original environment was not deleted.`;
    case 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH':
      return `The migration of ${stack} stopped after the original environment had been replaced by a verified copy: the new ${stack} did not match that copy (${whatDiffers(e)}). The verified copy holds all the data and was kept.`;
    case 'FAILED_AND_COMPENSATED':
      return `The migration of ${stack} failed${e.failedState ? ` at "${e.failedState}"` : ''}. Its changes were undone as far as was safe; nothing holding the only copy of the data was deleted.`;
    case 'REJECTED_INPUT':
      // A validation that could not run (its function crashed twice) rejects the input all the same.
      return e.error && e.error.Error !== 'InputInvalid'
        ? `The migration was not started: its input could not be validated (${e.error.Error}); start it again. Nothing was changed.`
        : 'The migration was not started: its input was rejected. Nothing was changed.';
    case 'MIGRATION_IN_PROGRESS':
      return `The migration was not started: another migration of ${stack} is in progress. Nothing was changed.`;
    default:
      return `The migration of ${stack} ended with outcome ${String(e.outcome)}.`;
  }
}

function whereTheDataIs(e: ComposeNotificationEvent): string {
  const stack = e.stackName || '(unknown stack)';
  if (e.survivor === null) {
    if (e.outcome === 'REJECTED_INPUT' || e.outcome === 'MIGRATION_IN_PROGRESS') return `Unchanged: this execution touched no environment.`;
    return '!!! UNKNOWN: no environment is known to hold all of the data. Check the stacks and snapshots of this execution BEFORE deleting anything. !!!';
  }
  if (e.survivor === stack) return `*** ALL DATA IS IN ${stack}. ***`;
  return `!!! ALL DATA IS IN ${e.survivor} - NOT in ${stack}. Do NOT delete ${e.survivor}: it holds the only complete copy. !!!`;
}

function messageOf(e: ComposeNotificationEvent, cause: string | undefined, url: string): string {
  const lines: string[] = [];
  const section = (title: string, body: string[]) => lines.push('', title, ...body);

  lines.push(`env-migrator: ${HEADLINE[e.outcome] ?? String(e.outcome)} - ${e.stackName || '(unknown stack)'}`);
  section('WHAT HAPPENED', [whatHappened(e)]);
  if (e.outcome !== 'SUCCEEDED') section('WHERE', [whereItStopped(e)]);

  const why = whyLines(e, cause);
  if (why.length > 0) section(e.outcome === 'SUCCEEDED' ? 'CHECKS' : 'WHY', why);
  section('WHERE THE DATA IS', [whereTheDataIs(e)]);
  if (e.blueGreen) section('BLUE/GREEN', blueGreenLines(e));
  const inUse = snapshotsInUseLines(e);
  if (inUse.length > 0) section('SNAPSHOTS KEPT FOR THE NEW STACK', inUse);
  section('CLEANED UP', bullets(e.cleanedUp));
  section('LEFT TO DO BY HAND', bullets(e.leftToDo));
  section('EXECUTION', [e.execution.id, url]);

  return capBytes(lines.join('\n') + '\n', MESSAGE_MAX_BYTES, '\n[message truncated: see the execution in the console for the rest]\n');
}

/** Blue/green: which slot the entry point serves, which is kept until when, how to go back. */
function blueGreenLines(e: ComposeNotificationEvent): string[] {
  const b = e.blueGreen!;
  return [
    `Live slot: ${b.liveSlot} (the entry point ${b.entryPoint.recordName} points at it)`,
    `Previous slot: ${b.previousSlot}, in standby as the rollback point until ${b.retireAt}, when the retire run (schedule ${b.scheduleName}) deletes it`,
    `Roll back before then: ${b.rollbackCommand}`,
  ];
}

/**
 * On success: the snapshots the new stack's `<LogicalId>SnapshotIdentifier` parameters name, which the
 * clean-up kept. CloudFormation needs them as long as the stack references them: a later update that
 * changes or drops the parameter replaces the database (with an EMPTY one when dropped), and any update
 * that replaces the database restores it from this snapshot (AWS::RDS::DBInstance, DBSnapshotIdentifier).
 */
function snapshotsInUseLines(e: ComposeNotificationEvent): string[] {
  if (e.outcome !== 'SUCCEEDED' || !e.snapshotsInUse?.length) return [];
  const stack = e.stackName || '(unknown stack)';
  const parameters = e.snapshotsInUse.map((r) => `${r.logicalId}SnapshotIdentifier`);
  return [
    ...e.snapshotsInUse.map((r) => `- ${r.snapshotIdentifier}: ${stack} restored ${r.logicalId} from it (parameter ${r.logicalId}SnapshotIdentifier)`),
    `Keep them while the stack references them. A future update of ${stack} must keep ${listed(parameters)} unchanged (UsePreviousValue): ` +
      'CloudFormation replaces a database whose DBSnapshotIdentifier changes, with an EMPTY one when it is removed, and restores any replacement of the database from the snapshot it names, which fails if the snapshot is gone.',
  ];
}

function whereItStopped(e: ComposeNotificationEvent): string {
  if (e.failedState) return `Failed at state: "${e.failedState}"`;
  if (e.outcome === 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH' || e.outcome === 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH') {
    return 'No state failed: the workflow stopped on the comparison of the copy with its source.';
  }
  return 'The failed state is not known: see the execution history.';
}

function whyLines(e: ComposeNotificationEvent, cause: string | undefined): string[] {
  const out: string[] = [];
  if (e.error) {
    out.push(`Error: ${e.error.Error}`);
    const text = truncate(cause ?? '', MAX_CAUSE_CHARS);
    // InputInvalid lists every bad field in one sentence: one per line reads better.
    if (e.error.Error === 'InputInvalid' && text.startsWith('Input rejected: ')) {
      out.push('Cause: input rejected:', ...text.slice('Input rejected: '.length).split('; ').map((p) => `  - ${p}`));
    } else if (text) {
      out.push(`Cause: ${text}`);
    }
    out.push(...guidanceLines(e.error.Error));
  }
  if (e.statistics) out.push(...statisticsLines(e.statistics, e.outcome === 'SUCCEEDED'));
  out.push(...notCarriedLines(e));
  out.push(...liveSyncLines(e));
  out.push(...deletionPlanLines(e));
  const buckets = (e.verification ?? []).filter((v) => e.outcome === 'SUCCEEDED' || v.status === 'MISMATCH');
  if (buckets.length > 0) out.push(...bucketLines(buckets));
  return out;
}

/** What objectVersions `current` left behind, bucket by bucket: said, never silently dropped. */
function notCarriedLines(e: ComposeNotificationEvent): string[] {
  const dropped = (e.inventory ?? []).filter((b) => b.notCarried > 0);
  if (dropped.length === 0) return [];
  return [
    'Not carried, as the input asked (objectVersions "current": current objects only):',
    ...dropped
      .slice(0, MAX_BUCKETS)
      .map((b) => `  ${b.bucket.logicalId} (${b.bucket.bucketName}): ${b.counts.noncurrentVersions} noncurrent version(s) and ${b.counts.deleteMarkers} delete marker(s) were not copied`),
    ...(dropped.length > MAX_BUCKETS ? [`  ... and ${dropped.length - MAX_BUCKETS} more buckets`] : []),
  ];
}

/** Whether the copy was made live (liveSync), and a fallback to snapshots with why: said, never silent. */
function liveSyncLines(e: ComposeNotificationEvent): string[] {
  const live = e.liveSync;
  if (!live?.requested) return [];
  if (live.possible) return ['Live sync: the copy was made while the environment served (read replicas, buckets pre-copied); the downtime held the catch-up, the promotion and what changed.'];
  return [
    'Live sync NOT used: the copy was made by snapshots (liveSyncFallback "snapshots"), so the downtime held the whole copy. Why:',
    ...live.reasons.slice(0, MAX_BUCKETS).map((r) => `  ${r}`),
    ...(live.reasons.length > MAX_BUCKETS ? [`  ... and ${live.reasons.length - MAX_BUCKETS} more`] : []),
  ];
}

/** What the original's deletion left behind, snapshotted or did not copy (the preflight's plan): said, never silent. */
function deletionPlanLines(e: ComposeNotificationEvent): string[] {
  const plan = e.deletionPlan ?? [];
  if (plan.length === 0) return [];
  const titles = { NOT_COPIED: 'NOT COPIED', RETAINED: 'left behind', FINAL_SNAPSHOT: 'final snapshot' } as const;
  return [
    'Beyond the copy, the deletion of the original:',
    ...plan.slice(0, MAX_BUCKETS).map((p) => `  ${titles[p.kind]}: ${p.logicalId} (${p.resourceType}, ${p.physicalId}): ${p.fate}`),
    ...(plan.length > MAX_BUCKETS ? [`  ... and ${plan.length - MAX_BUCKETS} more resources`] : []),
  ];
}

function statisticsLines(s: CompareStatisticsResult, brief: boolean): string[] {
  const out = [`Statistics: ${s.status} - ${s.summary}`];
  if (brief && s.status === 'EQUAL') return out;
  for (const [name, r] of [['source', s.source], ['destination', s.destination]] as const) {
    if (!r.ok) out.push(`  ${name} endpoint ${r.url} could not be read: ${r.reason ?? 'unknown reason'}`);
  }
  if (s.differences.length > 0) {
    out.push('Statistics differences (path: source → destination):');
    const shown = s.differences.slice(0, MAX_STAT_LINES);
    for (const d of shown) out.push(`  ${d.path}: ${sideValue(d, 'source')} → ${sideValue(d, 'destination')}`);
    const more = differenceCount(s) - shown.length;
    if (more > 0) out.push(`  ... and ${more} more`);
  }
  // The whole list (and every value in full) never travels in the state: it is a document of the run.
  if (s.differencesDocument) out.push(`  every difference, values in full: s3://${s.differencesDocument.bucket}/${s.differencesDocument.key}`);
  return out;
}

function bucketLines(results: VerifyBucketResult[]): string[] {
  const out = ['Buckets:'];
  for (const v of results.slice(0, MAX_BUCKETS)) {
    const { pair, source: src, destination: dst, comparedBy: by } = v;
    out.push(
      `  ${pair.logicalId} (${pair.sourceBucket} → ${pair.destinationBucket}): ${v.status}; objects ${src.objects} → ${dst.objects}, versions ${src.versions} → ${dst.versions}, delete markers ${src.deleteMarkers} → ${dst.deleteMarkers}, bytes ${src.bytes} → ${dst.bytes}; compared by ETag ${by.etag}, by checksum ${by.checksum}, hashed ${by.hashed ?? 0}, by batch ${by.batch ?? 0}, not comparable ${by.notComparable}`,
    );
    for (const d of v.differences.slice(0, MAX_OBJECT_LINES)) {
      const where = d.version !== undefined ? ` (version ${d.version})` : '';
      out.push(`    ${d.problem}: ${truncate(d.key, MAX_VALUE_CHARS)}${where}${d.detail ? `: ${truncate(d.detail, MAX_VALUE_CHARS)}` : ''}`);
    }
    const more = Math.max(v.differenceCount, v.differences.length) - Math.min(v.differences.length, MAX_OBJECT_LINES);
    if (more > 0) out.push(`    ... and ${more} more`);
  }
  if (results.length > MAX_BUCKETS) out.push(`  ... and ${results.length - MAX_BUCKETS} more buckets`);
  return out;
}

function bullets(items: string[]): string[] {
  if (items.length === 0) return ['(nothing)'];
  const shown = items.slice(0, 100).map((i) => `- ${i}`);
  if (items.length > 100) shown.push(`... and ${items.length - 100} more`);
  return shown;
}

// ---------------------------------------------------------------------------------------------
// Details (JSON)
// ---------------------------------------------------------------------------------------------

function detailsOf(e: ComposeNotificationEvent, cause: string | undefined, url: string, region: string): string {
  const items = (list: string[], max: number, chars: number) => list.slice(0, max).map((i) => truncate(i, chars));
  const full = (maxList: number, maxCause: number, maxItems: number, itemChars: number) => ({
    outcome: e.outcome,
    stackName: e.stackName,
    survivor: e.survivor,
    version: e.version,
    executionArn: e.execution.id,
    executionName: e.execution.name,
    region,
    consoleUrl: url,
    failedState: e.failedState,
    ...(e.blueGreen ? { blueGreen: e.blueGreen } : {}),
    ...(e.outcome === 'SUCCEEDED' && e.snapshotsInUse?.length ? { snapshotsInUse: e.snapshotsInUse.map((r) => r.snapshotIdentifier) } : {}),
    error: e.error ? { error: e.error.Error, cause: truncate(cause ?? '', maxCause) } : undefined,
    statistics: e.statistics
      ? {
          status: e.statistics.status,
          summary: e.statistics.summary,
          source: { url: e.statistics.source.url, ok: e.statistics.source.ok, reason: e.statistics.source.reason },
          destination: { url: e.statistics.destination.url, ok: e.statistics.destination.ok, reason: e.statistics.destination.reason },
          differenceCount: differenceCount(e.statistics),
          ...(e.statistics.differencesDocument ? { differencesDocument: `s3://${e.statistics.differencesDocument.bucket}/${e.statistics.differencesDocument.key}` } : {}),
          differences: e.statistics.differences.slice(0, maxList).map((d) => ({ path: d.path, source: sideValue(d, 'source'), destination: sideValue(d, 'destination') })),
        }
      : undefined,
    buckets: (e.verification ?? []).slice(0, Math.max(maxItems, MAX_BUCKETS)).map((v) => ({
      logicalId: v.pair.logicalId,
      sourceBucket: v.pair.sourceBucket,
      destinationBucket: v.pair.destinationBucket,
      status: v.status,
      source: v.source,
      destination: v.destination,
      comparedBy: v.comparedBy,
      differenceCount: v.differenceCount,
      differences: v.differences.slice(0, maxList),
    })),
    bucketCount: (e.verification ?? []).length,
    notCarried: (e.inventory ?? []).filter((b) => b.notCarried > 0).slice(0, MAX_BUCKETS).map((b) => ({ bucketName: b.bucket.bucketName, noncurrentVersions: b.counts.noncurrentVersions, deleteMarkers: b.counts.deleteMarkers })),
    deletionPlan: (e.deletionPlan ?? []).slice(0, MAX_BUCKETS).map((p) => ({ kind: p.kind, logicalId: p.logicalId, resourceType: p.resourceType, physicalId: p.physicalId })),
    ...(e.liveSync?.requested ? { liveSync: { possible: e.liveSync.possible, reasons: e.liveSync.reasons.slice(0, MAX_BUCKETS) } } : {}),
    cleanedUp: items(e.cleanedUp, maxItems, itemChars),
    cleanedUpCount: e.cleanedUp.length,
    leftToDo: items(e.leftToDo, maxItems, itemChars),
    leftToDoCount: e.leftToDo.length,
    truncated: maxList !== Infinity,
  });
  // Shrink until the JSON fits; the counts always stay, so nothing is silently lost.
  const levels = [
    [Infinity, MAX_CAUSE_CHARS, Infinity, Infinity],
    [100, MAX_CAUSE_CHARS, 100, 1000],
    [10, 1000, 30, 300],
    [0, 300, 10, 200],
  ] as const;
  for (const [maxList, maxCause, maxItems, itemChars] of levels) {
    const text = JSON.stringify(full(maxList, maxCause, maxItems, itemChars));
    if (Buffer.byteLength(text, 'utf8') <= DETAILS_MAX_BYTES) return text;
  }
  return JSON.stringify({
    outcome: e.outcome,
    stackName: truncate(e.stackName, 200),
    survivor: e.survivor,
    executionArn: e.execution.id,
    consoleUrl: url,
    failedState: truncate(e.failedState ?? '', 200),
    truncated: true,
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * The readable part of a Step Functions error cause. A Lambda failure's cause is the JSON
 * `{"errorType","errorMessage","trace"}`; a failed child execution's cause is its description,
 * whose own `Cause` may again be such JSON. Plain text is returned as it is.
 */
export function causeText(cause: string | undefined, depth = 0): string {
  if (!cause) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return cause;
  }
  // The stack events behind a failed stack operation: [{logicalId, resourceType, status, reason}].
  if (Array.isArray(parsed)) return stackEventsText(parsed) ?? cause;
  if (!parsed || typeof parsed !== 'object' || depth > 3) return cause;
  const o = parsed as Record<string, unknown>;
  if (typeof o.errorMessage === 'string') return o.errorMessage;
  if (typeof o.Cause === 'string' || typeof o.cause === 'string') {
    const inner = causeText(String(o.Cause ?? o.cause), depth + 1);
    const name = typeof o.Error === 'string' ? o.Error : typeof o.error === 'string' ? o.error : undefined;
    return name ? `${name}: ${inner}` : inner;
  }
  return cause;
}

/** The region of an ARN (`arn:partition:service:region:account:...`). */
export function regionOf(arn: string): string {
  return arn.split(':')[3] || 'us-east-1';
}

/** Step Functions console page of an execution, in the console of its partition. */
export function consoleUrl(executionArn: string, region: string): string {
  const partition = executionArn.split(':')[1] ?? 'aws';
  const host =
    partition === 'aws-cn'
      ? `${region}.console.amazonaws.cn`
      : partition === 'aws-us-gov'
        ? 'console.amazonaws-us-gov.com'
        : `${region}.console.aws.amazon.com`;
  return `https://${host}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** One side of a statistics difference: "(absent)" where that side has no value at all, else its JSON. */
function sideValue(d: StatisticsDifference, side: 'source' | 'destination'): string {
  return d.absentOn === side ? '(absent)' : showValue(d[side]);
}

function showValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return truncate(text, MAX_VALUE_CHARS);
}

/** All differing paths, listed or not (compare-statistics lists at most 100). */
function differenceCount(s: CompareStatisticsResult): number {
  return Math.max(s.differenceCount ?? 0, s.differences.length);
}

/** Identifiers as one readable list, the first 20 by name. */
function listed(ids: string[]): string {
  return ids.length <= 20 ? ids.join(', ') : `${ids.slice(0, 20).join(', ')} and ${ids.length - 20} more`;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}... (${s.length - max} more characters)`;
}

/** Cuts `text` to at most `maxBytes` of UTF-8, on a character boundary, ending with `note`. */
function capBytes(text: string, maxBytes: number, note: string): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = maxBytes - Buffer.byteLength(note, 'utf8');
  let cut = Buffer.from(text, 'utf8').subarray(0, budget).toString('utf8');
  // A multi-byte character cut in half decodes to U+FFFD: drop it.
  cut = cut.replace(/\uFFFD+$/, '');
  return cut + note;
}
