import { createHash } from 'node:crypto';

/**
 * Names derived from the execution (invariant 5: retries find their own work by name). Computed in
 * validate-input and carried by the state machine; recomputed where a step must name them itself.
 */

/** Short deterministic id of an execution: the first 8 hex digits of the SHA-256 of its ARN. */
export function runIdOf(executionArn: string): string {
  return createHash('sha256').update(executionArn).digest('hex').slice(0, 8);
}

/** The temporary stack of a migration: `<stackName>-tmp-<runId>`. */
export function tempStackNameOf(stackName: string, executionArn: string): string {
  return tempStackName(stackName, runIdOf(executionArn));
}

/** The temporary stack's name for a run id (`env-migrator plan` gives a placeholder: the run has no execution yet). */
export function tempStackName(stackName: string, runId: string): string {
  return `${stackName}-tmp-${runId}`;
}

/** The first part of every snapshot identifier of a migration: `em-<runId>-` (RDS identifiers are lowercase). */
export function snapshotPrefix(runId: string): string {
  const slug = runId.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `em-${slug.slice(0, 16) || 'run'}-`;
}

/**
 * The ARN of the execution named `name` of a state machine: Step Functions builds it from the state
 * machine's ARN, `arn:aws:states:<region>:<account>:execution:<state machine name>:<execution name>`.
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * The key of an entry point's item in the environment lock table (blue/green: Migrate, Retire and
 * Rollback lock the record as well as the slots): `route53:<zone id>/<record name>`, lowercase, no
 * trailing dot. A colon is never in a stack name, so it cannot be taken for a stack's lock.
 */
export function entryPointLockKey(entryPoint: { hostedZoneId: string; recordName: string }): string {
  const zone = entryPoint.hostedZoneId.replace(/^\/hostedzone\//, '');
  return `route53:${zone}/${entryPoint.recordName.toLowerCase().replace(/\.$/, '')}`;
}

/** Every retire schedule's name starts with this (the IAM grant is on `schedule/<group>/em-retire-*`). */
export const RETIRE_SCHEDULE_PREFIX = 'em-retire-';

/** The retire schedule of a blue/green run: `em-retire-<runId>` (schedule-retire creates it, record-switch names it). */
export function retireScheduleName(runId: string): string {
  return `${RETIRE_SCHEDULE_PREFIX}${runId}`;
}

/**
 * The change set that promotes a live sync's read replicas: `em-<runId>-<phase>-promote`, deterministic
 * so that a retried plan-promotion finds its own (change set names match [a-zA-Z][-a-zA-Z0-9]*, at
 * most 128 characters: API_CreateChangeSet).
 */
export function promotionChangeSetName(runId: string, phase: string): string {
  const slug = (s: string) => s.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `em-${slug(runId).slice(0, 16) || 'run'}-${slug(phase).slice(0, 32) || 'phase'}-promote`;
}
