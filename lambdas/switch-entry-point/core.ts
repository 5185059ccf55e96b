import { ChangeResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import type { EntryPointRef, EntryRecord, SwitchEntryPointEvent, SwitchEntryPointResult } from '../shared/contracts';
import { pickEntryRecord, pointsAt, readEntryRecords, retargeted, sameRecord } from '../shared/entry-point';
import { EntryPointChanged, EntryPointInvalid } from '../shared/errors';

/** Route 53 keeps up to 256 characters of a change batch's comment (API_ChangeBatch). */
const COMMENT_MAX = 256;

/**
 * The switch of a blue/green run (and of its switch back): one ChangeResourceRecordSets batch that
 * DELETEs the entry point's record as read and CREATEs it pointing at `target`. Route 53 applies a
 * batch all or nothing and deletes a record only when every value matches (API_ChangeResourceRecordSets,
 * "Deleting Resource Record Sets", "Change Batches and Transactional Changes"), so a record someone
 * changed since it was read fails the batch: never overwritten. The record is read first
 * (ListResourceRecordSets):
 * - it already points at the target: a retried invocation whose first call succeeded and whose answer
 *   was lost (or someone made the same switch). Returns `changeId: null`, `alreadyApplied`, the record
 *   as it now is; no second change is made (the first one's id is lost: switch-status then waits the
 *   documented propagation time instead of GetChange).
 * - it is no longer the record as read: throws EntryPointChanged, sending nothing.
 * - otherwise the batch DELETEs the record as just read (the same values as `event.record`, in
 *   Route 53's own spelling) and CREATEs the new one; returns the change id and the record as written,
 *   which a switch back must DELETE.
 * When Route 53 refuses the batch (InvalidChangeBatch) the record is read again: pointing at the target,
 * the refusal was the SDK's retry of this very batch after its answer was lost (applied once: returned
 * as `alreadyApplied`); otherwise throws EntryPointChanged when the record differs from the one read, EntryPointInvalid when it refuses the batch for the new record itself (an alias
 * target outside its zone...) or the target lacks the hosted zone an alias needs. Never retried.
 */
export async function switchEntryPoint(route53: Route53Client, event: SwitchEntryPointEvent, now: Date = new Date()): Promise<SwitchEntryPointResult> {
  const desired = retargeted(event.record, event.target);
  if (typeof desired === 'string') throw new EntryPointInvalid([desired]);

  const current = await currentRecord(route53, event.entryPoint);
  if (typeof current !== 'string' && pointsAt(current, event.target)) {
    return { changeId: null, submittedAt: now.toISOString(), record: current, alreadyApplied: true };
  }
  if (typeof current === 'string' || !sameRecord(current, event.record)) {
    throw changedSinceRead(event, current);
  }

  try {
    const out = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: event.entryPoint.hostedZoneId,
        ChangeBatch: {
          Comment: event.comment.slice(0, COMMENT_MAX),
          Changes: [
            { Action: 'DELETE', ResourceRecordSet: current },
            { Action: 'CREATE', ResourceRecordSet: desired },
          ],
        },
      }),
    );
    const info = out.ChangeInfo;
    return {
      changeId: (info?.Id ?? '').replace(/^\/change\//, ''),
      submittedAt: info?.SubmittedAt ? new Date(info.SubmittedAt).toISOString() : now.toISOString(),
      record: desired,
      alreadyApplied: false,
    };
  } catch (err) {
    if ((err as { name?: unknown } | undefined)?.name !== 'InvalidChangeBatch') throw err;
    const message = err instanceof Error ? err.message : String(err);
    // Which half Route 53 refused: the DELETE (the record changed in between) or the CREATE.
    const now2 = await currentRecord(route53, event.entryPoint);
    // The batch is not idempotent: when the SDK retried a call whose answer was lost (a 5xx or a reset
    // after Route 53 applied it), the retry's DELETE no longer matches and is refused. The record then
    // points at the target already: that is this switch, made once, not someone else's change.
    if (typeof now2 !== 'string' && pointsAt(now2, event.target)) return { changeId: null, submittedAt: now.toISOString(), record: now2, alreadyApplied: true };
    if (typeof now2 === 'string' || !sameRecord(now2, current)) throw changedSinceRead(event, now2, message);
    throw new EntryPointInvalid([`Route 53 refused the record pointing ${event.record.Name} at ${event.target.dnsName} (InvalidChangeBatch: ${message}); the record was left as it was`]);
  }
}

/** The entry point's record as it is now, or why there is no usable one. */
async function currentRecord(route53: Route53Client, entryPoint: EntryPointRef): Promise<EntryRecord | string> {
  const picked = pickEntryRecord(await readEntryRecords(route53, entryPoint), entryPoint);
  return 'record' in picked ? picked.record : picked.problems.join('; ');
}

function changedSinceRead(event: SwitchEntryPointEvent, now: EntryRecord | string, routeMessage?: string): EntryPointChanged {
  const was = describe(event.record);
  const is = typeof now === 'string' ? now : describe(now);
  return new EntryPointChanged(
    `record ${event.record.Name} was changed by someone else since it was read: it was ${was}, it is now ${is}` +
      `${routeMessage ? ` (Route 53: InvalidChangeBatch: ${routeMessage})` : ''}; nothing was written over it`,
  );
}

function describe(r: EntryRecord): string {
  return r.AliasTarget
    ? `an A alias to ${r.AliasTarget.DNSName} (zone ${r.AliasTarget.HostedZoneId}, evaluate target health ${r.AliasTarget.EvaluateTargetHealth})`
    : `a CNAME to ${(r.ResourceRecords ?? []).map((v) => v.Value).join(', ')} (TTL ${r.TTL ?? '?'})`;
}
