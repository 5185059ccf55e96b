import type { z } from 'zod';
import {
  type BlueGreenRun,
  KEEP_PREVIOUS_HOURS,
  MAX_INPUT_BYTES,
  type MigrationInput,
  MigrationInputSchema,
  type ValidateInputEvent,
  type ValidateInputResult,
  type Waits,
} from '../shared/contracts';
import { InputInvalid } from '../shared/errors';
import { entryPointLockKey, runIdOf, tempStackNameOf } from '../shared/naming';
import { CLONE_TIMEOUT_SECONDS, LIVE_PREPARE_TIMEOUT_SECONDS, MIGRATION_TIMEOUT_SECONDS, MIN_COPY_SECONDS, STEP_RESERVE_SECONDS } from '../steps';

export interface InputIssue {
  field: string;
  problem: string;
}

// Kept here too: callers outside lambdas/ (local/) import it from this module.
export { runIdOf } from '../shared/naming';

/** Field name for problems with the input as a whole (not an object, too large). */
const WHOLE_INPUT = '(input)';

/**
 * First step of Migrate (invariant 7: bad input fails before any AWS call). Checks the size, then
 * the schema, and returns the normalized input (defaults applied) with the names derived from the
 * execution: runId, temporary stack name and lock expiry. Makes no AWS call.
 * Throws InputInvalid listing every bad field, or naming `waits` when they cannot all be honoured
 * within the execution's time bound (waitsProblem).
 */
export function validateInput(event: ValidateInputEvent, now: Date = new Date()): ValidateInputResult {
  const sizeIssue = checkSize(event.input);
  if (sizeIssue) throw new InputInvalid([sizeIssue]);

  const parsed = MigrationInputSchema.safeParse(event.input);
  if (!parsed.success) throw new InputInvalid(describeIssues(parsed.error.issues, event.input));
  const problem = waitsProblem(parsed.data.waits, parsed.data.liveSync);
  if (problem) throw new InputInvalid([{ field: 'waits', problem }]);
  const twice = Object.keys(parsed.data.secretParameters).filter((key) => Object.prototype.hasOwnProperty.call(parsed.data.parameters, key));
  if (twice.length) {
    throw new InputInvalid(twice.map((key) => ({ field: `secretParameters.${key}`, problem: `also given in parameters: a parameter takes its value from one place` })));
  }

  // A fallback given without live sync would be silently ignored: refused, naming it.
  if (!parsed.data.liveSync && typeof event.input === 'object' && event.input !== null && (event.input as { liveSyncFallback?: unknown }).liveSyncFallback !== undefined) {
    throw new InputInvalid([{ field: 'liveSyncFallback', problem: 'only with liveSync true (what a live sync does when a database cannot be a read replica)' }]);
  }

  // The backup retainOriginalSnapshots keeps is clone 1's snapshots of the original: a live sync takes
  // none (its copy starts as read replicas), so the promise could not be kept. Refused, not ignored.
  if (parsed.data.liveSync && parsed.data.retainOriginalSnapshots) {
    throw new InputInvalid([{ field: 'retainOriginalSnapshots', problem: 'not with liveSync: a live sync takes no snapshot of the original to keep (take a manual snapshot before the migration, or migrate without liveSync)' }]);
  }

  const strategyIssues = strategyProblems(parsed.data);
  if (strategyIssues.length) throw new InputInvalid(strategyIssues);

  const runId = runIdOf(event.execution.id);
  const lockExpiresAt = Math.floor(now.getTime() / 1000) + MIGRATION_TIMEOUT_SECONDS;
  if (parsed.data.strategy === 'blue-green') {
    const blueGreen = blueGreenRun(parsed.data);
    return {
      input: { ...parsed.data, keepPreviousHours: parsed.data.keepPreviousHours ?? KEEP_PREVIOUS_HOURS.default },
      execution: event.execution,
      runId,
      // The run's own copy is the idle slot: the compensations that remove a run's copy (delete-stack
      // deletes only stacks tagged with this execution) find it under this name.
      tempStackName: blueGreen.idleSlot,
      lockExpiresAt,
      blueGreen,
    };
  }
  return {
    input: parsed.data,
    execution: event.execution,
    runId,
    tempStackName: tempStackNameOf(parsed.data.stackName, event.execution.id),
    lockExpiresAt,
  };
}

/** The fields only blue-green takes. */
const BLUE_GREEN_FIELDS = ['entryPoint', 'slots', 'keepPreviousHours'] as const;

/**
 * The strategy's own rules: blue-green requires `entryPoint` and `slots`, and `stackName` must be
 * one of the slots (the live one: the entry-point step checks that against the record); double-clone
 * takes none of the blue/green fields (a field it would silently ignore is refused, naming it).
 */
function strategyProblems(input: MigrationInput): InputIssue[] {
  if (input.strategy !== 'blue-green') {
    return BLUE_GREEN_FIELDS.filter((f) => input[f] !== undefined).map((field) => ({ field, problem: `only with strategy "blue-green" (the strategy is "${input.strategy}")` }));
  }
  const issues: InputIssue[] = [];
  if (!input.entryPoint) issues.push({ field: 'entryPoint', problem: 'required with strategy "blue-green": the Route 53 record that says which slot is live' });
  if (!input.slots) issues.push({ field: 'slots', problem: 'required with strategy "blue-green": the two slot stack names' });
  else if (!input.slots.includes(input.stackName)) {
    issues.push({ field: 'stackName', problem: `must be one of slots (${input.slots.join(', ')}): the live slot, which the run migrates into the other` });
  }
  return issues;
}

/**
 * The idle slot, the record's lock key (entryPointLockKey: the one Retire, Rollback and `unlock` use,
 * so all three and Migrate exclude each other on the record) and the checks the switch record keeps.
 */
function blueGreenRun(input: MigrationInput): BlueGreenRun {
  const [first, second] = input.slots!;
  const entryPoint = input.entryPoint!;
  return {
    idleSlot: input.stackName === first ? second : first,
    recordLockKey: entryPointLockKey(entryPoint),
    recordHost: entryPoint.recordName.toLowerCase().replace(/\.$/, ''),
    checks: { statistics: input.statistics, ...(input.smokeTest ? { smokeTest: input.smokeTest } : {}) },
  };
}

/**
 * Whether the waits fit in the execution's time bound, so that Migrate's own timeout (which would
 * end the execution with no notification and the lock held) is never what stops it: Migrate's waits
 * (standby in and out, the deletion of the current stack, of the temporary one and of a stack in
 * compensation), two clones of CLONE_TIMEOUT_SECONDS and STEP_RESERVE_SECONDS for the steps must
 * fit in MIGRATION_TIMEOUT_SECONDS; a clone's waits (snapshot, stack creation, deletion of a failed
 * stack, smoke test) must leave it MIN_COPY_SECONDS for the copy. Returns the problem, if any.
 */
export function waitsProblem(waits: Waits, liveSync = false): string | undefined {
  const hours = (s: number) => `${Math.round((s / 3600) * 10) / 10} h`;
  const cloneWaits = waits.snapshotSeconds + waits.stackCreateSeconds + waits.stackDeleteSeconds + waits.smokeTestSeconds;
  if (cloneWaits + MIN_COPY_SECONDS > CLONE_TIMEOUT_SECONDS) {
    return `snapshot, stack creation, stack deletion and smoke test waits add up to ${hours(cloneWaits)}; with ${hours(MIN_COPY_SECONDS)} to copy the buckets they must fit in one clone's ${hours(CLONE_TIMEOUT_SECONDS)}: lower them`;
  }
  if (liveSync) {
    // PREPARE: the stack with its replicas, the promotion's change set, the pre-copy. FINISH: the
    // catch-up, the promotion (a stack update), the failed stack's deletion, the smoke test, the copy.
    const prepareWaits = 2 * waits.stackCreateSeconds + waits.stackDeleteSeconds;
    if (prepareWaits + MIN_COPY_SECONDS > LIVE_PREPARE_TIMEOUT_SECONDS) {
      return `with liveSync, stack creation (twice: the copy, the promotion's plan) and stack deletion waits add up to ${hours(prepareWaits)}; with ${hours(MIN_COPY_SECONDS)} to pre-copy the buckets they must fit in the live copy's ${hours(LIVE_PREPARE_TIMEOUT_SECONDS)}: lower them`;
    }
    const finishWaits = waits.replicaCatchUpSeconds + waits.stackCreateSeconds + waits.stackDeleteSeconds + waits.smokeTestSeconds;
    if (finishWaits + MIN_COPY_SECONDS > CLONE_TIMEOUT_SECONDS) {
      return `with liveSync, replica catch-up, stack update, stack deletion and smoke test waits add up to ${hours(finishWaits)}; with ${hours(MIN_COPY_SECONDS)} to copy what changed they must fit in one clone's ${hours(CLONE_TIMEOUT_SECONDS)}: lower them`;
    }
  }
  const migrateWaits = 2 * waits.standbySeconds + 3 * waits.stackDeleteSeconds;
  // Every run is given room for a live sync's PREPARE: the execution's timeout is one for all.
  const room = MIGRATION_TIMEOUT_SECONDS - STEP_RESERVE_SECONDS - 2 * CLONE_TIMEOUT_SECONDS - LIVE_PREPARE_TIMEOUT_SECONDS;
  if (migrateWaits > room) {
    return `standby (twice) and stack deletion (three times) waits add up to ${hours(migrateWaits)}, over the ${hours(room)} an execution (${hours(MIGRATION_TIMEOUT_SECONDS)}) leaves them besides its two clones: lower them`;
  }
  return undefined;
}

function checkSize(input: unknown): InputIssue | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(input);
  } catch {
    // Circular structures or BigInt: nothing Step Functions could have sent us.
    return { field: WHOLE_INPUT, problem: 'must be a JSON object' };
  }
  if (text === undefined) return { field: WHOLE_INPUT, problem: 'must be a JSON object, got nothing' };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_INPUT_BYTES) return { field: WHOLE_INPUT, problem: `must be at most ${MAX_INPUT_BYTES} bytes as JSON, got ${bytes}` };
  return undefined;
}

/**
 * Turns zod issues into one readable problem per field. Problems never quote the rejected value:
 * a caller who pasted a secret where an ARN belongs must not find it in logs and notifications.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): InputIssue[] {
  const out: InputIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: fieldOf([...issue.path, key]), problem: 'unknown field' });
      continue;
    }
    out.push({ field: fieldOf(issue.path), problem: problemOf(issue, valueAt(input, issue.path)) });
  }
  return out;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? WHOLE_INPUT : path.map((p) => String(p)).join('.');
}

/** zod's built-in messages ("Invalid input: ...", "Too big: ...") are replaced; our schema's own messages are kept. */
function isDefaultMessage(message: string): boolean {
  return /^(Invalid|Too (big|small)|Unrecognized)\b/.test(message);
}

function problemOf(issue: z.core.$ZodIssue, value: unknown): string {
  const custom = isDefaultMessage(issue.message) ? undefined : issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const got = kindOf(value);
      if (got === 'undefined') return 'required';
      if (issue.expected === 'int' && got === 'number') return 'must be a whole number';
      return `expected ${issue.expected === 'int' ? 'whole number' : issue.expected}, got ${got}`;
    }
    case 'too_small':
      if (custom) return custom;
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive === false ? `must be greater than ${issue.minimum}` : `must be at least ${issue.minimum}`;
      return `must have at least ${issue.minimum} items`;
    case 'too_big':
      if (custom) return custom;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'number' || issue.origin === 'int') return issue.inclusive === false ? `must be less than ${issue.maximum}` : `must be at most ${issue.maximum}`;
      return `must have at most ${issue.maximum} items`;
    case 'invalid_format':
      return custom ?? `must be a valid ${issue.format}`;
    case 'invalid_key':
      // A record key that fails its own schema (a parameter name with a space...).
      return `invalid name: ${issue.issues.map((i) => (isDefaultMessage(i.message) ? 'not allowed' : i.message)).join('; ')}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return custom ?? issue.message;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return typeof value;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
