import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { standbyStatus } from '../../lambdas/standby-status/core';
import type { StandbyRecord, WaitState } from '../../lambdas/shared/contracts';
import { WaitTimedOut } from '../../lambdas/shared/errors';
import { FakeAutoScaling } from '../fixtures/fake-asg';
import { BACKOFF } from '../../lambdas/shared/wait';

const fake = new FakeAutoScaling();
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const ASG = 'orders-prod-Asg-1';
const T0 = new Date('2025-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const log = () => ({ warn: vi.fn() });

function recordOf(ids: string[]): StandbyRecord {
  return { groups: [{ autoScalingGroupName: ASG, originalMinSize: 1, originalDesiredCapacity: ids.length, instanceIds: ids, suspendedProcesses: [] }] };
}

beforeEach(() => fake.reset());
afterAll(() => fake.mock.restore());

describe('standby-status', () => {
  it('is PENDING while an instance is still entering standby, READY once all are in Standby', async () => {
    const g = fake.addGroup(ASG, { min: 0, max: 4, inService: 0 });
    g.instances.set('i-1', 'Standby');
    g.instances.set('i-2', 'EnteringStandby');
    const standby = recordOf(['i-1', 'i-2']);

    const first = await standbyStatus(fake.client, { standby, direction: 'ENTER', execution, timeoutSeconds: 600 }, log(), T0);
    expect(first.status).toBe('PENDING');
    expect(first.wait).toMatchObject({ label: `instances of ${ASG} to enter standby`, attempt: 1, nextDelaySeconds: BACKOFF.standby.initialDelaySeconds, startedAt: T0.toISOString() });

    g.instances.set('i-2', 'Standby');
    const second = await standbyStatus(fake.client, { standby, direction: 'ENTER', execution, timeoutSeconds: 600, wait: first.wait }, log(), at(5));
    expect(second.status).toBe('READY');
    expect(second.wait).toMatchObject({ attempt: 2, elapsedSeconds: 5 });
  });

  it('only looks at the recorded instances, not at others in the group', async () => {
    const g = fake.addGroup(ASG, { min: 0, max: 4, inService: 0 });
    g.instances.set('i-1', 'InService');
    g.instances.set('i-other', 'Standby');
    const r = await standbyStatus(fake.client, { standby: recordOf(['i-1']), direction: 'EXIT', execution, timeoutSeconds: 600 }, log(), T0);
    expect(r.status).toBe('READY');
  });

  it('on EXIT, waits for Pending instances to be InService', async () => {
    const g = fake.addGroup(ASG, { min: 0, max: 4, inService: 0 });
    g.instances.set('i-1', 'Pending');
    const r = await standbyStatus(fake.client, { standby: recordOf(['i-1']), direction: 'EXIT', execution, timeoutSeconds: 600 }, log(), T0);
    expect(r).toMatchObject({ status: 'PENDING', wait: { label: `instances of ${ASG} to return to service` } });
  });

  it('counts an instance that no longer exists as done, with a warning', async () => {
    const g = fake.addGroup(ASG, { min: 0, max: 4, inService: 0 });
    g.instances.set('i-1', 'InService');
    const logger = log();
    const r = await standbyStatus(fake.client, { standby: recordOf(['i-1', 'i-gone']), direction: 'EXIT', execution, timeoutSeconds: 600 }, logger, T0);
    expect(r.status).toBe('READY');
    expect(logger.warn).toHaveBeenCalledWith(expect.any(String), expect.objectContaining({ instanceIds: ['i-gone'] }));
  });

  it('throws WaitTimedOut once the timeout has passed and instances are still moving', async () => {
    const g = fake.addGroup(ASG, { min: 0, max: 4, inService: 0 });
    g.instances.set('i-1', 'EnteringStandby');
    const wait: WaitState = { label: 'x', startedAt: T0.toISOString(), timeoutSeconds: 60, elapsedSeconds: 50, nextDelaySeconds: 10, attempt: 5 };
    await expect(standbyStatus(fake.client, { standby: recordOf(['i-1']), direction: 'ENTER', execution, timeoutSeconds: 60, wait }, log(), at(61))).rejects.toBeInstanceOf(
      WaitTimedOut,
    );
  });

  it('is never a timeout when the check finds the instances arrived', async () => {
    const g = fake.addGroup(ASG, { min: 0, max: 4, inService: 0 });
    g.instances.set('i-1', 'Standby');
    const wait: WaitState = { label: 'x', startedAt: T0.toISOString(), timeoutSeconds: 60, elapsedSeconds: 50, nextDelaySeconds: 10, attempt: 5 };
    const r = await standbyStatus(fake.client, { standby: recordOf(['i-1']), direction: 'ENTER', execution, timeoutSeconds: 60, wait }, log(), at(120));
    expect(r.status).toBe('READY');
  });

  it('checks several groups in one call', async () => {
    fake.addGroup(ASG, { min: 0, max: 4, inService: 0 }).instances.set('i-1', 'Standby');
    fake.addGroup('orders-prod-Workers-2', { min: 0, max: 4, inService: 0 }).instances.set('i-2', 'Standby');
    const standby: StandbyRecord = {
      groups: [
        { autoScalingGroupName: ASG, originalMinSize: 0, originalDesiredCapacity: 1, instanceIds: ['i-1'], suspendedProcesses: [] },
        { autoScalingGroupName: 'orders-prod-Workers-2', originalMinSize: 0, originalDesiredCapacity: 1, instanceIds: ['i-2'], suspendedProcesses: [] },
      ],
    };
    const r = await standbyStatus(fake.client, { standby, direction: 'ENTER', execution, timeoutSeconds: 600 }, log(), T0);
    expect(r.status).toBe('READY');
    expect(r.wait.label).toBe(`instances of ${ASG}, orders-prod-Workers-2 to enter standby`);
    expect(fake.calls).toEqual(['DescribeAutoScalingGroups']);
  });
});
