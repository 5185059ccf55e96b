/**
 * The loop steps' own reading of `env-migrator cancel` (lambdas/shared/cancel-request.ts): a request
 * on the lock held by this execution stops the step before it does anything; anything else lets it
 * work as usual.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCK_TABLE_ENV, obeyingCancel, readCancelRequest } from '../../lambdas/shared/cancel-request';
import type { CancellableEvent, ExecutionRef } from '../../lambdas/shared/contracts';

const ddb = mockClient(DynamoDBClient);
const OWNER = 'arn:aws:states:us-east-1:111122223333:execution:Migrate:run-1';
const REQUEST = 'env-migrator cancel at 2026-12-05T03:12:00Z by arn:aws:iam::111122223333:user/ops: wrong window';
type Event = CancellableEvent & { execution: ExecutionRef; page: number };
const event = (cancellation?: { stackName: string }): Event => ({ execution: { id: OWNER, name: 'run-1' }, page: 3, ...(cancellation ? { cancellation } : {}) });
const lockItem = (owner: string, request?: string) => ({ Item: { stackName: { S: 'orders-prod' }, owner: { S: owner }, ...(request ? { cancelRequested: { S: request } } : {}) } });

beforeEach(() => {
  ddb.reset();
  process.env[LOCK_TABLE_ENV] = 'env-migrator-locks';
});
afterEach(() => {
  delete process.env[LOCK_TABLE_ENV];
});

describe('readCancelRequest', () => {
  it("reads the environment's lock item with a consistent read and returns the request when this execution holds the lock", async () => {
    ddb.on(GetItemCommand).resolves(lockItem(OWNER, REQUEST));
    await expect(readCancelRequest(new DynamoDBClient({}), 'env-migrator-locks', 'orders-prod', OWNER)).resolves.toBe(REQUEST);
    const input = ddb.commandCalls(GetItemCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ TableName: 'env-migrator-locks', Key: { stackName: { S: 'orders-prod' } }, ConsistentRead: true });
  });

  it("ignores a request on a lock another execution holds (a later migration's lock is never this one's to obey)", async () => {
    ddb.on(GetItemCommand).resolves(lockItem('arn:aws:states:us-east-1:111122223333:execution:Migrate:run-2', REQUEST));
    await expect(readCancelRequest(new DynamoDBClient({}), 't', 'orders-prod', OWNER)).resolves.toBeUndefined();
  });

  it('finds no request on a lock without one, nor when there is no lock item at all', async () => {
    ddb.on(GetItemCommand).resolvesOnce(lockItem(OWNER)).resolvesOnce({});
    await expect(readCancelRequest(new DynamoDBClient({}), 't', 'orders-prod', OWNER)).resolves.toBeUndefined();
    await expect(readCancelRequest(new DynamoDBClient({}), 't', 'orders-prod', OWNER)).resolves.toBeUndefined();
  });
});

describe('obeyingCancel', () => {
  const warn = vi.fn();
  const core = vi.fn(async (e: Event) => ({ status: 'CONTINUE' as const, page: e.page + 1 }));
  const step = obeyingCancel(() => new DynamoDBClient({}), { warn }, core);
  beforeEach(() => {
    warn.mockReset();
    core.mockClear();
  });

  it('returns the request instead of doing its work when one is found: the core never runs', async () => {
    ddb.on(GetItemCommand).resolves(lockItem(OWNER, REQUEST));
    await expect(step(event({ stackName: 'orders-prod' }), () => 60_000)).resolves.toEqual({ cancelRequested: REQUEST });
    expect(core).not.toHaveBeenCalled();
  });

  it('does its work as usual when there is no request', async () => {
    ddb.on(GetItemCommand).resolves(lockItem(OWNER));
    await expect(step(event({ stackName: 'orders-prod' }), () => 60_000)).resolves.toEqual({ status: 'CONTINUE', page: 4 });
    expect(core).toHaveBeenCalledTimes(1);
  });

  it('reads nothing when the event has no cancellation (a Clone run alone, a call outside a loop)', async () => {
    await expect(step(event(), () => 60_000)).resolves.toEqual({ status: 'CONTINUE', page: 4 });
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('goes on with its work when the read fails, with a warning: a failed read is not a request, the next call reads again', async () => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(step(event({ stackName: 'orders-prod' }), () => 60_000)).resolves.toEqual({ status: 'CONTINUE', page: 4 });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('cancel request not read'), { error: 'ProvisionedThroughputExceededException' });
  });

  it('fails with ConfigurationMissing naming LOCK_TABLE when asked to read without a table, and does no work', async () => {
    delete process.env[LOCK_TABLE_ENV];
    await expect(step(event({ stackName: 'orders-prod' }), () => 60_000)).rejects.toMatchObject({ name: 'ConfigurationMissing', message: expect.stringContaining('LOCK_TABLE') });
    expect(core).not.toHaveBeenCalled();
  });
});
