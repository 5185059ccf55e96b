/**
 * The safety gates of the synthesized Retire and Rollback definitions, read from their graphs: no
 * path reaches a deletion or a switch back without passing the gate the invariant names, and every
 * ending publishes exactly one notification first.
 */
import { describe, expect, it } from 'vitest';
import type { StepName } from '../../lambdas/steps';
import { type AslDefinition, synth } from './synth';

/** States reachable from StartAt, never entering `without` (Next, Default, Choices, Catch). */
function reachable(definition: AslDefinition, without: string[] = []): Set<string> {
  const seen = new Set<string>();
  const queue = [definition.StartAt];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name) || without.includes(name)) continue;
    seen.add(name);
    const s = definition.States[name]!;
    for (const next of [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)]) if (next) queue.push(next);
  }
  return seen;
}

const stepStates = (definition: AslDefinition, step: StepName) =>
  Object.entries(definition.States)
    .filter(([, s]) => s.Type === 'Task' && synth().steps.get(s.Resource ?? '') === step)
    .map(([name]) => name);

const endings = (definition: AslDefinition) => Object.entries(definition.States).filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail').map(([name]) => name);

describe('Retire', () => {
  const retire = () => synth().retire;

  it('reaches delete-stack only through "the record points at the live slot" and the verified copy', () => {
    const deletions = stepStates(retire(), 'delete-stack');
    expect(deletions).toEqual(['Delete the previous slot']);
    for (const gate of ['Does the record point at the live slot?', 'Read the verified copy']) {
      const without = reachable(retire(), [gate]);
      expect(deletions.filter((d) => without.has(d)), gate).toEqual([]);
    }
    // The gate's one way on is the positive comparison; anything else refuses.
    const gate = retire().States['Does the record point at the live slot?']!;
    expect(gate.Choices).toEqual([{ Variable: '$.entry.liveSlot', StringEqualsPath: '$.input.live.stackName', Next: 'Read the verified copy' }]);
    expect(gate.Default).toBe('Refuse: the record does not point at the live slot');
    // delete-stack's own guards get the stack the switch replaced and its verified copy.
    expect(retire().States['Delete the previous slot']!.Parameters).toMatchObject({ 'expectedStackId.$': '$.input.previous.stackId', 'verifiedCopy.$': '$.verifiedCopy', 'stackName.$': '$.input.previous.stackName' });
  });

  it('ends only after publishing its notification', () => {
    const without = reachable(retire(), ['Publish the notification']);
    expect(endings(retire()).filter((e) => without.has(e))).toEqual([]);
  });
});

describe('Rollback', () => {
  const rollback = () => synth().rollback;

  it('switches the record back only when no write was made since the switch, or when the input accepts discarding them', () => {
    const switches = stepStates(rollback(), 'switch-entry-point');
    expect(switches).toEqual(['Switch the record back']);
    for (const gate of ['Were writes made since the switch?', 'Does the record point at the live slot?', 'Read the switch record']) {
      expect(switches.filter((s) => reachable(rollback(), [gate]).has(s)), gate).toEqual([]);
    }
    const writes = rollback().States['Were writes made since the switch?']!;
    expect(writes.Choices).toEqual([{ Variable: '$.switch.writes.status', StringEquals: 'UNCHANGED', Next: 'Nothing to discard' }]);
    expect(writes.Default).toBe('Does the input accept discarding them?');
    const accepted = rollback().States['Does the input accept discarding them?']!;
    expect(accepted.Choices).toEqual([{ Variable: '$.input.acceptDiscardingWrites', BooleanEquals: true, Next: 'Discard the writes, as the input accepts' }]);
    expect(accepted.Default).toBe('Refuse: writes since the switch');
  });

  it('ends only after publishing its notification', () => {
    const without = reachable(rollback(), ['Publish the notification']);
    expect(endings(rollback()).filter((e) => without.has(e))).toEqual([]);
  });
});
