/**
 * The blue/green invariants (docs/design.md "Safety invariants", issue 11), checked on the simulated
 * account after a run, read from the account itself (the record as Route 53 holds it, the stacks as
 * CloudFormation does, the Clone executions as Step Functions ran them), never from what the workflow
 * reports. Migrate's own are here (checkMigrateBlueGreen); the retire and rollback machines add theirs
 * to this file.
 */
import { runIdOf } from '../lambdas/shared/naming';
import type { SimAccount } from './sim/account';
import { normaliseName } from './sim/route53';
import type { SimExecution } from './sim/sfn';

/** The entry point and slots of a blue/green run (its input's). */
export interface BlueGreenRunFacts {
  entryPoint: { hostedZoneId: string; recordName: string };
  slots: [string, string];
}

/** Where the record points now: the slot whose ServiceUrl host is its value, by name and stack id. */
export interface RecordTarget {
  /** The record's value (alias target or CNAME), normalised; undefined when there is no such record. */
  value?: string;
  slot?: { stackName: string; stackId: string };
}

/** The entry point's record as Route 53 holds it now (the latest version), and the slot it points at. */
export function recordTarget(account: SimAccount, facts: BlueGreenRunFacts): RecordTarget {
  const name = normaliseName(facts.entryPoint.recordName);
  const record = account.route53
    .recordSets(facts.entryPoint.hostedZoneId.replace(/^\/hostedzone\//, ''))
    .find((r) => r.Name === name && (r.Type === 'A' || r.Type === 'CNAME'));
  if (!record) return {};
  const raw = record.AliasTarget?.DNSName ?? record.ResourceRecords?.[0]?.Value ?? '';
  const value = normaliseName(raw).replace(/^dualstack\./, '').replace(/\.$/, '');
  for (const stackName of facts.slots) {
    const stack = account.cloudformation.stackByName(stackName);
    const url = stack?.outputs.ServiceUrl;
    if (!stack || !url) continue;
    if (new URL(url).hostname.toLowerCase() === value) return { value, slot: { stackName, stackId: stack.stackId } };
  }
  return { value };
}

/** The outputs of the Clone executions `execution` started (Migrate names them `<runId>-c1`, `<runId>-c2`). */
function clonesOf(account: SimAccount, execution: SimExecution): { outcome?: string; destinationStackId?: string }[] {
  const runId = runIdOf(execution.executionArn);
  return [...account.sfn.executions.values()]
    .filter((x) => /:stateMachine:Clone/.test(x.stateMachineArn) && new RegExp(`:${runId}-c[12]$`).test(x.executionArn))
    .map((x) => (x.status === 'SUCCEEDED' && x.output ? (JSON.parse(x.output) as { outcome?: string; destinationStackId?: string }) : {}));
}

/**
 * Migrate's blue/green invariants after one run whose live slot was `baseline` (the stack the record
 * pointed at when it started):
 * - the record points at a slot, and only at a verified one: the baseline slot (it was live), or a
 *   slot this run's Clone created and found EQUAL (that very stack id);
 * - the slot the record points at exists and is not being deleted;
 * - the previous slot (the baseline) is not deleted by Migrate: it is the rollback point, which only
 *   the retire run deletes.
 * Returns one sentence per broken invariant.
 */
export function checkMigrateBlueGreen(account: SimAccount, baseline: { stackName: string; stackId: string }, execution: SimExecution, facts: BlueGreenRunFacts): string[] {
  const violations: string[] = [];
  const target = recordTarget(account, facts);
  if (!target.slot) {
    violations.push(`the entry point ${facts.entryPoint.recordName} points at ${target.value ?? 'nothing (no record)'}, which is no slot's endpoint`);
  } else {
    const stack = account.cloudformation.stackById(target.slot.stackId);
    if (!stack || stack.status.startsWith('DELETE_')) violations.push(`the slot the entry point points at, ${target.slot.stackName}, is ${stack?.status ?? 'gone'}`);
    const verified =
      target.slot.stackId === baseline.stackId ||
      clonesOf(account, execution).some((c) => c.outcome === 'EQUAL' && c.destinationStackId === target.slot!.stackId);
    if (!verified) violations.push(`the entry point points at ${target.slot.stackName} (${target.slot.stackId}), which no clone of this run verified`);
  }
  const previous = account.cloudformation.stackById(baseline.stackId);
  if (!previous || previous.status.startsWith('DELETE_')) {
    violations.push(`the previous slot ${baseline.stackName} is ${previous?.status ?? 'gone'}: Migrate never deletes it (only the retire run does, after its retention)`);
  }
  return violations;
}
