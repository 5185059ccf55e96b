import { describe, expect, it } from 'vitest';
import { validateInput } from '../../lambdas/validate-input/core';
import { InputInvalid } from '../../lambdas/shared/errors';
import { tempStackNameOf } from '../../lambdas/shared/naming';

const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const entryPoint = { hostedZoneId: '/hostedzone/Z0123456789ABC', recordName: 'Orders.Example.com.' };
const blueGreen = { stackName: 'orders-a', targetVersion: '1.4.0', strategy: 'blue-green', entryPoint, slots: ['orders-a', 'orders-b'] };

function issuesOf(input: unknown): { field: string; problem: string }[] {
  try {
    validateInput({ input, execution });
  } catch (err) {
    expect(err).toBeInstanceOf(InputInvalid);
    return (err as InputInvalid).issues;
  }
  throw new Error('input was accepted');
}

describe('validate-input, strategy', () => {
  it('defaults to double-clone, whose result has no blue/green part and the temporary stack as its copy', () => {
    const r = validateInput({ input: { stackName: 'orders-a', targetVersion: '1.4.0' }, execution });
    expect(r.input.strategy).toBe('double-clone');
    expect(r.blueGreen).toBeUndefined();
    expect(r.tempStackName).toBe(tempStackNameOf('orders-a', execution.id));
  });

  it('blue-green: the idle slot is the copy, the record gets a lock key no stack name can take, keepPreviousHours defaults to 24', () => {
    const r = validateInput({ input: blueGreen, execution });
    expect(r.blueGreen).toEqual({ idleSlot: 'orders-b', recordLockKey: 'route53:Z0123456789ABC/orders.example.com', recordHost: 'orders.example.com', checks: { statistics: expect.objectContaining({ outputKey: 'StatisticsUrl' }) } });
    expect(r.tempStackName).toBe('orders-b');
    expect(r.input.keepPreviousHours).toBe(24);
    // The live slot may be either one.
    expect(validateInput({ input: { ...blueGreen, stackName: 'orders-b' }, execution }).blueGreen?.idleSlot).toBe('orders-a');
  });

  it('blue-green requires entryPoint and slots, and stackName among the slots, naming each field', () => {
    expect(issuesOf({ ...blueGreen, entryPoint: undefined, slots: undefined }).map((i) => i.field)).toEqual(['entryPoint', 'slots']);
    expect(issuesOf({ ...blueGreen, stackName: 'orders-c' })).toEqual([{ field: 'stackName', problem: expect.stringContaining('must be one of slots (orders-a, orders-b)') as string }]);
  });

  it('refuses the blue/green fields with double-clone, naming each, rather than ignore them', () => {
    const issues = issuesOf({ stackName: 'orders-a', targetVersion: '1.4.0', entryPoint, slots: ['orders-a', 'orders-b'], keepPreviousHours: 2 });
    expect(issues.map((i) => i.field)).toEqual(['entryPoint', 'slots', 'keepPreviousHours']);
    expect(issues[0]!.problem).toMatch(/only with strategy "blue-green"/);
  });

  it.each([
    ['the same slot twice (any letter case)', { slots: ['orders-a', 'Orders-A'] }, 'slots', /two different stacks/],
    ['a slot that is no stack name', { slots: ['orders-a', 'orders_b'] }, 'slots.1', /stack name/],
    ['one slot', { slots: ['orders-a'] }, 'slots', /.+/],
    ['a zone id that is none', { entryPoint: { ...entryPoint, hostedZoneId: 'zone-1' } }, 'entryPoint.hostedZoneId', /hosted zone id/],
    ['a record name that is no DNS name', { entryPoint: { ...entryPoint, recordName: 'orders example' } }, 'entryPoint.recordName', /DNS name/],
    ['keepPreviousHours 0', { keepPreviousHours: 0 }, 'keepPreviousHours', /at least 1/],
    ['keepPreviousHours over 30 days', { keepPreviousHours: 721 }, 'keepPreviousHours', /at most 720/],
    ['an unknown strategy', { strategy: 'big-bang' }, 'strategy', /must be one of "double-clone", "blue-green"/],
  ])('refuses %s, naming the field', (_what, change, field, problem) => {
    const issues = issuesOf({ ...blueGreen, ...change });
    expect(issues.map((i) => i.field)).toContain(field);
    expect(issues.find((i) => i.field === field)!.problem).toMatch(problem);
  });
});
