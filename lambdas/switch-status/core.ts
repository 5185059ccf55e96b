import { GetChangeCommand, type Route53Client } from '@aws-sdk/client-route-53';
import type { SwitchStatusEvent, SwitchStatusResult } from '../shared/contracts';
import { advanceWait, BACKOFF } from '../shared/wait';

/**
 * How long a record change takes to reach every Route 53 name server, at most as a rule: "Changes
 * generally propagate to all Route 53 name servers within 60 seconds" (Route 53 Developer Guide,
 * "Editing records"). Waited from the submission when the change's id is unknown.
 */
export const RECORD_PROPAGATION_SECONDS = 60;

/**
 * The check of the wait loop after switch-entry-point: GetChange of the switch's change. READY once
 * Route 53 says INSYNC (the change has reached all of its name servers), PENDING while it says
 * PENDING, with the next delay from BACKOFF.recordChange. Without a change id (the switch found the
 * record already pointing at its target: a retry whose first answer was lost) GetChange has nothing
 * to read, so the check waits RECORD_PROPAGATION_SECONDS from `submittedAt` and reports UNKNOWN.
 * Resolvers may still answer the old value for the record's TTL after INSYNC: the smoke test through
 * the record waits for that, not this step. Throws WaitTimedOut past the loop's timeout, and what
 * Route 53 throws (NoSuchChange...).
 */
export async function switchStatus(route53: Route53Client, event: SwitchStatusEvent, now: Date = new Date()): Promise<SwitchStatusResult> {
  const label = event.changeId ? `Route 53 change ${event.changeId} to reach every name server` : 'the entry point record to reach every Route 53 name server';
  if (!event.changeId) {
    const left = RECORD_PROPAGATION_SECONDS - (now.getTime() - Date.parse(event.submittedAt)) / 1000;
    const done = !(left > 0);
    return { status: done ? 'READY' : 'PENDING', changeStatus: 'UNKNOWN', wait: advanceWait(event, label, BACKOFF.recordChange, done, now, done ? undefined : left) };
  }
  const out = await route53.send(new GetChangeCommand({ Id: event.changeId }));
  const changeStatus = out.ChangeInfo?.Status === 'INSYNC' ? 'INSYNC' : 'PENDING';
  const done = changeStatus === 'INSYNC';
  return { status: done ? 'READY' : 'PENDING', changeStatus, wait: advanceWait(event, label, BACKOFF.recordChange, done, now) };
}
