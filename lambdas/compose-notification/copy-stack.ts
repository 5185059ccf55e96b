/**
 * The stack a run copied the environment into, as the notification names it: the temporary stack of
 * the double clone, or the idle slot of a blue/green run (docs/design.md "Strategies").
 */
import type { ComposeNotificationEvent } from '../shared/contracts';
import { tempStackNameOf } from '../shared/naming';

type Named = Pick<ComposeNotificationEvent, 'copyStackName' | 'stackName' | 'execution'>;

/** The stack the run copied into: the notice's copyStackName (the temporary stack, or blue/green's idle slot), else the double clone's name for it. */
export function copyStackOf(e: Named): string {
  return e.copyStackName ?? tempStackNameOf(e.stackName || '(unknown stack)', e.execution.id);
}

/** What that stack is, for people: blue/green copies into the idle slot, the double clone into a temporary stack. */
export function copyNoun(e: Named): string {
  return isIdleSlotCopy(e) ? 'the copy in the idle slot' : 'the temporary stack';
}

/** Whether the run copied into a blue/green idle slot (a copy stack that is not the double clone's temporary one). */
export function isIdleSlotCopy(e: Named): boolean {
  return e.copyStackName !== undefined && e.copyStackName !== tempStackNameOf(e.stackName, e.execution.id);
}

