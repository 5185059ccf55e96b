import {
  DEFAULT_WAITS,
  MAX_INPUT_BYTES,
  RetireInputSchema,
  RollbackInputSchema,
  type RetireInput,
  type ValidateSlotOperationEvent,
  type ValidateSlotOperationResult,
} from '../shared/contracts';
import { InputInvalid } from '../shared/errors';
import { entryPointLockKey, runIdOf } from '../shared/naming';
import { SLOT_OPERATION_TIMEOUT_SECONDS } from '../steps';
import { describeIssues } from '../validate-input/core';

/** How long the switch back may take to reach every Route 53 name server (GetChange INSYNC): ten times the documented minute. */
export const SWITCH_TIMEOUT_SECONDS = 600;

/**
 * First step of Retire and Rollback (invariant 7: bad input fails before any AWS call). Checks the
 * size and the schema of the operation's input (RetireInputSchema: what schedule-retire put in the
 * schedule; RollbackInputSchema: what `env-migrator rollback` starts it with) and returns it with
 * defaults applied, the lock items to take (the entry point's, then the slots it acts on: retire the
 * previous slot, rollback both) and their expiry. Makes no AWS call.
 * Throws InputInvalid naming every bad field; for retire also when `previous` and `live` are not
 * the two slots, or when `retireAt` (the end of the retention) has not come yet.
 */
export function validateSlotOperation(event: ValidateSlotOperationEvent, now: Date = new Date()): ValidateSlotOperationResult {
  const bytes = Buffer.byteLength(JSON.stringify(event.input ?? null) ?? '', 'utf8');
  if (bytes > MAX_INPUT_BYTES) throw new InputInvalid([{ field: '(input)', problem: `is ${bytes} bytes, more than ${MAX_INPUT_BYTES}` }]);
  const common = {
    operation: event.operation,
    execution: event.execution,
    runId: runIdOf(event.execution.id),
    lockExpiresAt: Math.floor(now.getTime() / 1000) + SLOT_OPERATION_TIMEOUT_SECONDS,
    switchSeconds: SWITCH_TIMEOUT_SECONDS,
  };
  if (event.operation === 'RETIRE') {
    const parsed = RetireInputSchema.safeParse(event.input);
    if (!parsed.success) throw new InputInvalid(describeIssues(parsed.error.issues, event.input));
    const input: RetireInput = parsed.data as RetireInput;
    // Exact names (CloudFormation stack names are case-sensitive): the retire machine compares them as they are.
    const problems = [
      ...(input.slots.includes(input.previous.stackName) ? [] : [{ field: 'previous.stackName', problem: `${input.previous.stackName} is not one of the slots (${input.slots.join(', ')})` }]),
      ...(input.slots.includes(input.live.stackName) ? [] : [{ field: 'live.stackName', problem: `${input.live.stackName} is not one of the slots (${input.slots.join(', ')})` }]),
      ...(input.previous.stackName === input.live.stackName ? [{ field: 'live.stackName', problem: 'names the slot to retire: the live slot is the other one' }] : []),
      // The previous slot is deleted only after its retention: a run started early (by hand) deletes nothing.
      ...(input.retireAt !== undefined && Date.parse(input.retireAt) > now.getTime()
        ? [{ field: 'retireAt', problem: `${input.retireAt} has not come yet (now ${now.toISOString()}): the previous slot is kept as the rollback point until then` }]
        : []),
    ];
    if (problems.length) throw new InputInvalid(problems);
    return { ...common, input, lockKeys: [entryPointLockKey(input.entryPoint), input.previous.stackName], waits: { ...DEFAULT_WAITS } };
  }
  const parsed = RollbackInputSchema.safeParse(event.input);
  if (!parsed.success) throw new InputInvalid(describeIssues(parsed.error.issues, event.input));
  const input = parsed.data;
  return { ...common, input, lockKeys: [entryPointLockKey(input.entryPoint), ...input.slots], waits: input.waits };
}
