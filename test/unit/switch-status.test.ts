import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SwitchStatusEvent } from '../../lambdas/shared/contracts';
import { LOCK_TABLE_ENV } from '../../lambdas/shared/cancel-request';
import { WaitTimedOut } from '../../lambdas/shared/errors';
import { handler } from '../../lambdas/switch-status/handler';
import { BACKOFF } from '../../lambdas/shared/wait';
import { RECORD_PROPAGATION_SECONDS, switchStatus } from '../../lambdas/switch-status/core';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const SUBMITTED = '2030-01-01T12:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(SUBMITTED) + seconds * 1000);

const r53Mock = mockClient(Route53Client);
const route53 = new Route53Client({});

function event(extra: Partial<SwitchStatusEvent> = {}): SwitchStatusEvent {
  return { changeId: 'C0001', submittedAt: SUBMITTED, execution: EXECUTION, timeoutSeconds: 600, ...extra };
}
const changeIs = (Status: 'PENDING' | 'INSYNC') => r53Mock.on(GetChangeCommand, { Id: 'C0001' }).resolves({ ChangeInfo: { Id: '/change/C0001', Status, SubmittedAt: new Date(SUBMITTED) } });

beforeEach(() => r53Mock.reset());

describe('switch-status', () => {
  it('is PENDING while Route 53 says PENDING, the next check after the record change backoff', async () => {
    changeIs('PENDING');
    const first = await switchStatus(route53, event(), at(1));
    expect(first).toMatchObject({ status: 'PENDING', changeStatus: 'PENDING' });
    expect(first.wait).toMatchObject({ attempt: 1, nextDelaySeconds: BACKOFF.recordChange.initialDelaySeconds, startedAt: at(1).toISOString() });
    const second = await switchStatus(route53, event({ wait: first.wait }), at(31));
    expect(second.wait).toMatchObject({ attempt: 2, nextDelaySeconds: BACKOFF.recordChange.firstDelaySeconds, elapsedSeconds: 30 });
    expect(r53Mock.commandCalls(GetChangeCommand)[0]!.args[0].input).toEqual({ Id: 'C0001' });
  });

  it('is READY once Route 53 says INSYNC', async () => {
    changeIs('INSYNC');
    expect(await switchStatus(route53, event(), at(40))).toMatchObject({ status: 'READY', changeStatus: 'INSYNC' });
  });

  it('throws WaitTimedOut when the change is still PENDING past the timeout', async () => {
    changeIs('PENDING');
    const first = await switchStatus(route53, event({ timeoutSeconds: 120 }), at(0));
    await expect(switchStatus(route53, event({ timeoutSeconds: 120, wait: first.wait }), at(121))).rejects.toThrow(WaitTimedOut);
  });

  it('without a change id (the switch found it applied) waits the documented propagation time from the submission, without GetChange', async () => {
    const early = await switchStatus(route53, event({ changeId: null }), at(5));
    expect(early).toMatchObject({ status: 'PENDING', changeStatus: 'UNKNOWN' });
    expect(early.wait.nextDelaySeconds).toBe(RECORD_PROPAGATION_SECONDS - 5 + 2);
    const late = await switchStatus(route53, event({ changeId: null, wait: early.wait }), at(RECORD_PROPAGATION_SECONDS));
    expect(late).toMatchObject({ status: 'READY', changeStatus: 'UNKNOWN' });
    expect(r53Mock.calls()).toHaveLength(0);
  });
});

describe('switch-status handler', () => {
  it('obeys a cancel request of its execution before reading the change (a loop step)', async () => {
    const ddb = mockClient(DynamoDBClient);
    process.env[LOCK_TABLE_ENV] = 'env-migrator-locks';
    try {
      ddb.on(GetItemCommand).resolves({ Item: { stackName: { S: 'orders-prod' }, owner: { S: EXECUTION.id }, cancelRequested: { S: 'cancel by ops' } } });
      await expect(handler({ ...event(), cancellation: { stackName: 'orders-prod' } })).resolves.toEqual({ cancelRequested: 'cancel by ops' });
      expect(r53Mock.calls()).toHaveLength(0);
    } finally {
      delete process.env[LOCK_TABLE_ENV];
      ddb.restore();
    }
  });
});
