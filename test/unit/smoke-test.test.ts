import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SmokeTestConfig, SmokeTestEvent, WaitState } from '../../lambdas/shared/contracts';
import { WaitTimedOut } from '../../lambdas/shared/errors';
import type { FetchLike, HttpRequestInit } from '../../lambdas/shared/http';
import { smokeTest } from '../../lambdas/smoke-test/core';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-1', name: 'run-1' };
const STACK = 'orders-prod-tmp-1a2b3c4d';
const NOW = new Date('2030-01-01T12:00:00Z');
const CONFIG: SmokeTestConfig = { outputKey: 'ServiceUrl', path: '/health', expectedStatus: 200, timeoutSeconds: 5 };

const cfnMock = mockClient(CloudFormationClient);
const cfn = new CloudFormationClient({});

let answer: { status: number } | 'hang' | Error;
let requests: { url: string; init: HttpRequestInit }[];
const fakeFetch: FetchLike = (url, init) => {
  requests.push({ url, init });
  if (answer === 'hang') return new Promise(() => undefined);
  if (answer instanceof Error) return Promise.reject(answer);
  const { status } = answer;
  return Promise.resolve({ status, text: async () => '' });
};

function baseUrl(url: string | undefined) {
  cfnMock.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [{ StackName: STACK, StackStatus: 'CREATE_COMPLETE', CreationTime: NOW, Outputs: url ? [{ OutputKey: 'ServiceUrl', OutputValue: url }] : [] }],
  });
}

function event(extra: Partial<SmokeTestEvent> = {}, config: Partial<SmokeTestConfig> = {}): SmokeTestEvent {
  return { stackName: STACK, smokeTest: { ...CONFIG, ...config }, execution: EXECUTION, timeoutSeconds: 600, ...extra };
}

const probe = (e: SmokeTestEvent = event(), now = NOW) => smokeTest({ cfn, fetch: fakeFetch }, e, () => now);

beforeEach(() => {
  cfnMock.reset();
  requests = [];
  answer = { status: 200 };
  baseUrl('https://orders-tmp.example.com/');
});

afterEach(() => {
  vi.useRealTimers();
});

describe('smoke-test', () => {
  it('is READY when base URL plus path answers the expected status, joining a trailing slash cleanly', async () => {
    const r = await probe();
    expect(r.status).toBe('READY');
    expect(r.probe).toEqual({ url: 'https://orders-tmp.example.com/health', httpStatus: 200 });
    expect(requests.map((q) => q.url)).toEqual(['https://orders-tmp.example.com/health']);
    expect(r.wait).toMatchObject({ attempt: 1, startedAt: NOW.toISOString(), elapsedSeconds: 0 });
  });

  it('joins a base URL without a trailing slash too', async () => {
    baseUrl('https://orders-tmp.example.com/app');
    const r = await probe(event({}, { path: '/status/ready' }));
    expect(r.probe.url).toBe('https://orders-tmp.example.com/app/status/ready');
  });

  it('is PENDING, with the status recorded, when the endpoint answers another status', async () => {
    answer = { status: 503 };
    const r = await probe();
    expect(r).toMatchObject({ status: 'PENDING', probe: { url: 'https://orders-tmp.example.com/health', httpStatus: 503 } });
    expect(r.wait.nextDelaySeconds).toBe(5);
  });

  it('honours a non-default expected status', async () => {
    answer = { status: 204 };
    expect((await probe(event({}, { expectedStatus: 204 }))).status).toBe('READY');
    expect((await probe(event({}, { expectedStatus: 200 }))).status).toBe('PENDING');
  });

  it('does not follow redirects when a redirect is the expected answer', async () => {
    answer = { status: 302 };
    await probe(event({}, { expectedStatus: 302 }));
    await probe(event({}, { expectedStatus: 200 }));
    expect(requests.map((q) => q.init.redirect)).toEqual(['manual', 'follow']);
  });

  it('is PENDING with the error recorded on a network error', async () => {
    answer = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    const r = await probe();
    expect(r).toMatchObject({ status: 'PENDING', probe: { url: 'https://orders-tmp.example.com/health', error: 'network error: fetch failed (connect ECONNREFUSED)' } });
    expect(r.probe.httpStatus).toBeUndefined();
  });

  it('is PENDING when the probe times out after timeoutSeconds', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    answer = 'hang';
    const pending = probe(event({}, { timeoutSeconds: 4 }));
    await vi.advanceTimersByTimeAsync(4000);
    expect(await pending).toMatchObject({ status: 'PENDING', probe: { error: 'timed out after 4 s' } });
  });

  it('is PENDING without a request when the stack has no such output', async () => {
    baseUrl(undefined);
    const r = await probe();
    expect(r).toMatchObject({ status: 'PENDING', probe: { url: '', error: `stack ${STACK} has no output ServiceUrl` } });
    expect(requests).toEqual([]);
  });

  it('carries the wait forward with backoff between checks', async () => {
    answer = { status: 502 };
    const first = await probe();
    const second = await probe(event({ wait: first.wait }), new Date(NOW.getTime() + 5000));
    expect(second.wait).toMatchObject({ startedAt: NOW.toISOString(), attempt: 2, elapsedSeconds: 5, nextDelaySeconds: 8 });
  });

  it('throws WaitTimedOut quoting the last probe once the smoke test never passed within its timeout', async () => {
    answer = { status: 500 };
    const wait: WaitState = { label: 'x', startedAt: NOW.toISOString(), timeoutSeconds: 600, elapsedSeconds: 590, nextDelaySeconds: 30, attempt: 30 };
    const err = await probe(event({ wait }), new Date(NOW.getTime() + 601_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimedOut);
    expect((err as Error).message).toContain('last probe: https://orders-tmp.example.com/health answered HTTP 500');
  });

  it('is READY rather than timed out when the last check passes after the timeout', async () => {
    const wait: WaitState = { label: 'x', startedAt: NOW.toISOString(), timeoutSeconds: 600, elapsedSeconds: 590, nextDelaySeconds: 30, attempt: 30 };
    const r = await probe(event({ wait }), new Date(NOW.getTime() + 601_000));
    expect(r.status).toBe('READY');
  });
});

describe('smoke-test handler', () => {
  it('uses the global fetch of the moment it is called (the local simulator installs its own)', async () => {
    const { handler } = await import('../../lambdas/smoke-test/handler');
    const original = globalThis.fetch;
    const replaced = vi.fn(async () => new Response('ok', { status: 200 }));
    globalThis.fetch = replaced as unknown as typeof fetch;
    try {
      const r = await handler(event());
      expect(r).toMatchObject({ status: 'READY' });
      expect(replaced).toHaveBeenCalledTimes(1);
    } finally {
      globalThis.fetch = original;
    }
  });
});
