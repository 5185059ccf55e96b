import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createHash } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { canonicalSha256, compareStatistics, SAME_URL_REASON, STATISTICS_VALUE_PREVIEW_CHARS } from '../../lambdas/compare-statistics/core';
import type { CompareStatisticsEvent, StatisticsConfig } from '../../lambdas/shared/contracts';
import type { FetchLike, HttpRequestInit } from '../../lambdas/shared/http';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-1', name: 'run-1' };
const SOURCE = 'orders-prod';
const DESTINATION = 'orders-prod-tmp-1a2b3c4d';
const SOURCE_URL = 'https://orders.example.com/stats';
const DESTINATION_URL = 'https://orders-tmp.example.com/stats';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:stats-token-AbCdEf';

const cfnMock = mockClient(CloudFormationClient);
const secretsMock = mockClient(SecretsManagerClient);
const s3Mock = mockClient(S3Client);
const cfn = new CloudFormationClient({});
const secrets = new SecretsManagerClient({});
const s3 = new S3Client({});
const WORKFLOW_BUCKET = 'env-migrator-workflow';
process.env.WORKFLOW_BUCKET = WORKFLOW_BUCKET;

/** The documents stored, by key: what PutObject received. */
function stored(): Record<string, string> {
  return Object.fromEntries(
    s3Mock.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key!, Buffer.from(c.args[0].input.Body as Uint8Array).toString('utf8')]),
  );
}
const PREFIX = `runs/run-1/statistics/${'orders-prod'}-to-${'orders-prod-tmp-1a2b3c4d'}`;

type Answer = { status: number; body: string } | 'hang' | Error;
let answers: Record<string, Answer>;
let requests: { url: string; init: HttpRequestInit }[];
const fakeFetch: FetchLike = (url, init) => {
  requests.push({ url, init });
  const answer = answers[url];
  if (answer === undefined) return Promise.reject(new TypeError('fetch failed', { cause: new Error(`getaddrinfo ENOTFOUND ${url}`) }));
  if (answer === 'hang') return new Promise(() => undefined);
  if (answer instanceof Error) return Promise.reject(answer);
  return Promise.resolve({ status: answer.status, text: async () => answer.body });
};

function outputs(stackName: string, values: Record<string, string>) {
  cfnMock.on(DescribeStacksCommand, { StackName: stackName }).resolves({
    Stacks: [
      {
        StackName: stackName,
        StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${stackName}/0000`,
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: Object.entries(values).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

function json(value: unknown, status = 200): Answer {
  return { status, body: JSON.stringify(value) };
}

function event(statistics: Partial<StatisticsConfig> = {}): CompareStatisticsEvent {
  return {
    sourceStackName: SOURCE,
    destinationStackName: DESTINATION,
    statistics: { outputKey: 'StatisticsUrl', timeoutSeconds: 10, ...statistics },
    execution: EXECUTION,
  };
}

const compare = (e: CompareStatisticsEvent = event()) => compareStatistics({ cfn, secrets, s3, fetch: fakeFetch }, e);

function fetchCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[r.url] = (counts[r.url] ?? 0) + 1;
  return counts;
}

beforeEach(() => {
  cfnMock.reset();
  secretsMock.reset();
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  answers = {};
  requests = [];
  outputs(SOURCE, { StatisticsUrl: SOURCE_URL, ServiceUrl: 'https://orders.example.com' });
  outputs(DESTINATION, { StatisticsUrl: DESTINATION_URL });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('compare-statistics', () => {
  it('is EQUAL when the data match whatever the key order, fetching each URL exactly once', async () => {
    answers[SOURCE_URL] = json({ data: { customers: { count: 57, active: 50 }, orders: { count: 120 } }, generatedAt: 'a' });
    answers[DESTINATION_URL] = { status: 200, body: '{"generatedAt":"b","data":{"orders":{"count":120.0},"customers":{"active":50,"count":57}}}' };

    const r = await compare();

    expect(r.status).toBe('EQUAL');
    expect(r.differences).toEqual([]);
    expect(r.summary).toBe('statistics equal (3 values)');
    expect(r.source).toEqual({
      url: SOURCE_URL,
      ok: true,
      dataSha256: canonicalSha256({ customers: { count: 57, active: 50 }, orders: { count: 120 } }),
      values: 3,
      bytes: Buffer.byteLength((answers[SOURCE_URL] as { body: string }).body),
      document: { bucket: WORKFLOW_BUCKET, key: `${PREFIX}/source.json`, bytes: expect.any(Number), sha256: expect.any(String) },
    });
    // Equal data, equal digests, whatever the key order or number spelling.
    expect(r.destination.dataSha256).toBe(r.source.dataSha256);
    expect(r.differencesDocument).toBeUndefined();
    expect(fetchCounts()).toEqual({ [SOURCE_URL]: 1, [DESTINATION_URL]: 1 });
  });

  it('keeps both documents in the workflow bucket, each referenced by the SHA-256 and size of what was stored, and never in the result', async () => {
    answers[SOURCE_URL] = json({ data: { customers: { count: 57 } }, generatedAt: 'a' });
    answers[DESTINATION_URL] = json({ data: { customers: { count: 57 } }, generatedAt: 'b' });
    const r = await compare();
    const docs = stored();
    expect(Object.keys(docs).sort()).toEqual([`${PREFIX}/destination.json`, `${PREFIX}/source.json`]);
    for (const side of ['source', 'destination'] as const) {
      const text = docs[r[side].document!.key]!;
      expect(JSON.parse(text)).toEqual(JSON.parse((answers[side === 'source' ? SOURCE_URL : DESTINATION_URL] as { body: string }).body));
      expect(r[side].document).toMatchObject({ bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
    }
    expect(JSON.stringify(r)).not.toContain('customers');
  });

  it('lists every differing nested path with both values, and absent values clearly', async () => {
    answers[SOURCE_URL] = json({ data: { orders: { count: 120, byRegion: { eu: 70, us: 50 } }, customers: { count: 57 }, tags: ['a', 'b'], legacy: { x: 1, y: [2] } } });
    answers[DESTINATION_URL] = json({ data: { orders: { count: 118, byRegion: { eu: 70, us: '50' } }, customers: { count: 57, churned: null }, tags: ['a', 'c', 'd'] } });

    const r = await compare();

    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([
      { path: 'data.customers.churned', source: null, destination: null, absentOn: 'source' },
      { path: 'data.legacy.x', source: 1, destination: null, absentOn: 'destination' },
      { path: 'data.legacy.y[0]', source: 2, destination: null, absentOn: 'destination' },
      { path: 'data.orders.byRegion.us', source: 50, destination: '50' },
      { path: 'data.orders.count', source: 120, destination: 118 },
      { path: 'data.tags[1]', source: 'b', destination: 'c' },
      { path: 'data.tags[2]', source: null, destination: 'd', absentOn: 'source' },
    ]);
    expect(r.summary).toBe(
      '7 values differ: data.customers.churned (absent) → null, data.legacy.x 1 → (absent), data.legacy.y[0] 2 → (absent), data.orders.byRegion.us 50 → "50", data.orders.count 120 → 118, and 2 more',
    );
    expect(fetchCounts()).toEqual({ [SOURCE_URL]: 1, [DESTINATION_URL]: 1 });
  });

  it('summarises a single difference in one sentence', async () => {
    answers[SOURCE_URL] = json({ data: { orders: { count: 120 } } });
    answers[DESTINATION_URL] = json({ data: { orders: { count: 118 } } });
    const r = await compare();
    expect(r.summary).toBe('1 value differs: data.orders.count 120 → 118');
  });

  it('quotes keys that are not identifiers in the path', async () => {
    answers[SOURCE_URL] = json({ data: { 'eu-west-1': { 'a.b': 1 } } });
    answers[DESTINATION_URL] = json({ data: { 'eu-west-1': { 'a.b': 2 } } });
    const r = await compare();
    expect(r.differences.map((d) => d.path)).toEqual(['data["eu-west-1"]["a.b"]']);
  });

  it('does not mistake inherited property names for keys', async () => {
    answers[SOURCE_URL] = json({ data: { toString: 1 } });
    answers[DESTINATION_URL] = json({ data: { orders: 1 } });
    const r = await compare();
    expect(r.differences).toEqual([
      { path: 'data.orders', source: null, destination: 1, absentOn: 'source' },
      { path: 'data.toString', source: 1, destination: null, absentOn: 'destination' },
    ]);
  });

  it('counts an empty data object as no reading at all: two empty documents prove nothing', async () => {
    answers[SOURCE_URL] = json({ data: {} });
    answers[DESTINATION_URL] = json({ data: {} });
    const r = await compare();
    expect(r.status).toBe('MISMATCH');
    expect(r.source).toMatchObject({ ok: false, reason: expect.stringContaining('empty "data"') });
    expect(r.summary).toMatch(/^statistics not compared/);
  });

  it('lists at most 20 differences, values previewed, counts them all and keeps the full list in a document: a 1 MB document cannot overflow the state', async () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: 28_000 }, (_, i) => [`audit_partition_${String(i).padStart(5, '0')}`, { count: n }]));
    answers[SOURCE_URL] = json({ data: { ...many(1), notes: { text: 'a'.repeat(5000) } } });
    answers[DESTINATION_URL] = json({ data: { ...many(2), notes: { text: 'b'.repeat(5000) } } });
    expect((answers[SOURCE_URL] as { body: string }).body.length).toBeGreaterThan(1_000_000);
    const r = await compare();
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toHaveLength(20);
    expect(r.differenceCount).toBe(28_001);
    expect(r.summary).toMatch(/^28001 values differ: /);
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(16 * 1024);
    const full = JSON.parse(stored()[r.differencesDocument!.key]!) as { path: string }[];
    expect(r.differencesDocument!.key).toBe(`${PREFIX}/differences.json`);
    expect(full).toHaveLength(28_001);
    expect(full.at(-1)).toEqual({ path: 'data.notes.text', source: 'a'.repeat(5000), destination: 'b'.repeat(5000) });
  });

  it('previews a long differing value in the state and keeps it whole in the difference document', async () => {
    answers[SOURCE_URL] = json({ data: { notes: 'a'.repeat(1000), n: 1 } });
    answers[DESTINATION_URL] = json({ data: { notes: 'b', n: 1 } });
    const r = await compare();
    expect(r.differences).toEqual([{ path: 'data.notes', source: expect.stringMatching(/^"a{198}…$/), destination: 'b', truncated: 'source' }]);
    expect(JSON.parse(stored()[r.differencesDocument!.key]!)).toEqual([{ path: 'data.notes', source: 'a'.repeat(1000), destination: 'b' }]);
  });

  it('is MISMATCH when the endpoint of one stack says it answers for the other: two URLs, one backend', async () => {
    const sourceId = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${SOURCE}/0000`;
    answers[SOURCE_URL] = json({ environment: { stackId: sourceId }, data: { customers: { count: 57 } } });
    answers[DESTINATION_URL] = json({ environment: { stackId: sourceId }, data: { customers: { count: 57 } } });
    const r = await compare();
    expect(r.status).toBe('MISMATCH');
    expect(r.source).toMatchObject({ ok: true, reportedEnvironment: sourceId });
    expect(r.destination).toMatchObject({ ok: false, reason: expect.stringMatching(/endpoint of orders-prod-tmp-1a2b3c4d answered for another environment .*one backend/) });
    expect(r.summary).toMatch(/^statistics not compared: destination /);
    expect(fetchCounts()).toEqual({ [SOURCE_URL]: 1, [DESTINATION_URL]: 1 });
  });

  it('accepts an endpoint that names its own stack, by ID or by name', async () => {
    answers[SOURCE_URL] = json({ environment: { stackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${SOURCE}/0000` }, data: { a: 1 } });
    answers[DESTINATION_URL] = json({ environment: { stackName: DESTINATION }, data: { a: 1 } });
    const r = await compare();
    expect(r.status).toBe('EQUAL');
    expect(r.destination.reportedEnvironment).toBe(DESTINATION);
  });

  it('stores no document for an endpoint that failed, answered non-JSON or no data', async () => {
    answers[SOURCE_URL] = json({ message: 'boom' }, 500);
    answers[DESTINATION_URL] = { status: 200, body: '<html>' };
    const r = await compare();
    expect(r.status).toBe('MISMATCH');
    expect(r.source).toMatchObject({ ok: false, reason: 'HTTP 500' });
    expect(r.destination).toMatchObject({ ok: false, reason: 'response is not JSON' });
    expect(r.source.document).toBeUndefined();
    expect(stored()).toEqual({});
  });

  it('refuses to compare when both stacks report the same URL, fetching nothing', async () => {
    outputs(DESTINATION, { StatisticsUrl: 'https://ORDERS.example.com:443/stats' });
    answers[SOURCE_URL] = json({ data: { a: 1 } });

    const r = await compare();

    expect(r.status).toBe('MISMATCH');
    expect(r.summary).toBe(SAME_URL_REASON);
    expect(r.source).toMatchObject({ ok: false, reason: SAME_URL_REASON });
    expect(r.destination).toMatchObject({ ok: false, reason: SAME_URL_REASON });
    expect(requests).toEqual([]);
  });

  it('is MISMATCH, naming the stack and output, when a stack has no statistics output', async () => {
    outputs(DESTINATION, {});
    answers[SOURCE_URL] = json({ data: { a: 1 } });

    const r = await compare();

    expect(r.status).toBe('MISMATCH');
    expect(r.destination).toEqual({ url: '', ok: false, reason: `stack ${DESTINATION} has no output StatisticsUrl` });
    expect(r.source.ok).toBe(true);
    expect(r.summary).toContain(`has no output StatisticsUrl`);
    expect(fetchCounts()).toEqual({ [SOURCE_URL]: 1 });
  });

  it('is MISMATCH when a stack does not exist', async () => {
    cfnMock
      .on(DescribeStacksCommand, { StackName: DESTINATION })
      .rejects(Object.assign(new Error(`Stack with id ${DESTINATION} does not exist`), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    const r = await compare();
    expect(r).toMatchObject({ status: 'MISMATCH', destination: { ok: false, reason: `stack ${DESTINATION} does not exist` } });
  });

  it('is MISMATCH when an endpoint times out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    answers[DESTINATION_URL] = 'hang';

    const pending = compare(event({ timeoutSeconds: 3 }));
    await vi.advanceTimersByTimeAsync(3000);
    const r = await pending;

    expect(r.status).toBe('MISMATCH');
    expect(r.destination).toEqual({ url: DESTINATION_URL, ok: false, reason: 'timed out after 3 s' });
    expect(r.summary).toBe(`statistics not compared: destination ${DESTINATION_URL}: timed out after 3 s`);
    expect(fetchCounts()).toEqual({ [SOURCE_URL]: 1, [DESTINATION_URL]: 1 });
  });

  it.each([
    ['a network error', new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') }), 'network error: fetch failed (connect ECONNREFUSED)'],
    ['a non-2xx answer', json({ data: { a: 1 } }, 503), 'HTTP 503'],
    ['an answer that is not JSON', { status: 200, body: '<html>maintenance</html>' }, 'response is not JSON'],
    ['JSON without data', json({ stats: { a: 1 } }), 'response has no "data" object'],
    ['data that is not an object', json({ data: [1, 2] }), 'response has no "data" object'],
    ['a JSON null', { status: 200, body: 'null' }, 'response has no "data" object'],
  ] as const)('is MISMATCH, never EQUAL, on %s', async (_what, answer, reason) => {
    answers[SOURCE_URL] = answer;
    answers[DESTINATION_URL] = answer;

    const r = await compare();

    expect(r.status).toBe('MISMATCH');
    expect(r.source).toMatchObject({ url: SOURCE_URL, ok: false, reason });
    expect(r.destination).toMatchObject({ url: DESTINATION_URL, ok: false, reason });
    expect(r.source.dataSha256).toBeUndefined();
    expect(stored()).toEqual({});
    expect(r.summary).toBe(`statistics not compared: source ${SOURCE_URL}: ${reason}; destination ${DESTINATION_URL}: ${reason}`);
    expect(fetchCounts()).toEqual({ [SOURCE_URL]: 1, [DESTINATION_URL]: 1 });
  });

  it('sends the header whose value comes from Secrets Manager, reading the secret once', async () => {
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 's3cr3t-token' });
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    answers[DESTINATION_URL] = json({ data: { a: 1 } });

    const r = await compare(event({ header: { name: 'X-Stats-Token', secretArn: SECRET_ARN } }));

    expect(r.status).toBe('EQUAL');
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    for (const request of requests) expect(request.init.headers['X-Stats-Token']).toBe('s3cr3t-token');
    expect(JSON.stringify(r)).not.toContain('s3cr3t-token');
  });

  it('is MISMATCH without fetching when the header secret holds no string', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    const r = await compare(event({ header: { name: 'X-Stats-Token', secretArn: SECRET_ARN } }));
    expect(r.status).toBe('MISMATCH');
    expect(r.source.reason).toContain('holds no SecretString');
    expect(requests).toEqual([]);
  });

  it('does not send a header when none is configured', async () => {
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    answers[DESTINATION_URL] = json({ data: { a: 1 } });
    await compare();
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(requests.map((r) => r.init.headers)).toEqual([{ accept: 'application/json' }, { accept: 'application/json' }]);
  });
});

describe('compare-statistics: every refusal says what it saw', () => {
  it('reports each missing output as its own problem, not as one shared URL, when neither stack has the output', async () => {
    outputs(SOURCE, {});
    outputs(DESTINATION, {});
    const r = await compare(event({ header: { name: 'X-Stats-Token', secretArn: SECRET_ARN } }));
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([]);
    expect(r.summary).toBe(`statistics not compared: source (no URL): stack ${SOURCE} has no output StatisticsUrl; destination (no URL): stack ${DESTINATION} has no output StatisticsUrl`);
    // Nothing to fetch: the header's secret is not read either.
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(requests).toEqual([]);
  });

  it('lists no differences when it refuses one URL for both stacks', async () => {
    outputs(DESTINATION, { StatisticsUrl: SOURCE_URL });
    const r = await compare();
    expect(r).toMatchObject({ status: 'MISMATCH', differences: [], differenceCount: 0 });
  });

  it('still reads the header secret when only one stack has a URL, and sends it there', async () => {
    outputs(DESTINATION, {});
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'tok' });
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    const r = await compare(event({ header: { name: 'X-Stats-Token', secretArn: SECRET_ARN } }));
    expect(r.status).toBe('MISMATCH');
    expect(r.summary).toBe(`statistics not compared: destination (no URL): stack ${DESTINATION} has no output StatisticsUrl`);
    expect(requests.map((q) => q.init.headers['X-Stats-Token'])).toEqual(['tok']);
  });

  it('names the secret and the header, on both sides, when the secret holds no string', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    const r = await compare(event({ header: { name: 'X-Stats-Token', secretArn: SECRET_ARN } }));
    const reason = `secret ${SECRET_ARN} holds no SecretString for header X-Stats-Token`;
    expect(r.source).toEqual({ url: SOURCE_URL, ok: false, reason });
    expect(r.destination).toEqual({ url: DESTINATION_URL, ok: false, reason });
  });

  it('says "not compared" when only one side answered, instead of listing its values as differences', async () => {
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    answers[DESTINATION_URL] = json({ data: { a: 1 } }, 500);
    const r = await compare();
    expect(r).toMatchObject({ status: 'MISMATCH', differences: [], differenceCount: 0 });
    expect(r.summary).toBe(`statistics not compared: destination ${DESTINATION_URL}: HTTP 500`);
    expect(r.destination.bytes).toBe(Buffer.byteLength(JSON.stringify({ data: { a: 1 } })));
  });

  it('counts a single equal value in the singular', async () => {
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    answers[DESTINATION_URL] = json({ data: { a: 1 } });
    expect((await compare()).summary).toBe('statistics equal (1 value)');
  });

  it.each([
    ['ftp://orders.example.com/stats', 'is not an http(s) URL'],
    ['not a url', 'is not a URL'],
  ])('refuses the output %s: it %s', async (raw, what) => {
    outputs(DESTINATION, { StatisticsUrl: raw });
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    const r = await compare();
    expect(r.destination).toEqual({ url: raw, ok: false, reason: `output StatisticsUrl of stack ${DESTINATION} ${what}` });
    expect(fetchCounts()).toEqual({ [SOURCE_URL]: 1 });
  });

  it('falls back to the stack name a document reports when its stackId is empty or not a string', async () => {
    for (const stackId of ['', 42]) {
      answers[SOURCE_URL] = json({ environment: { stackId, stackName: DESTINATION }, data: { a: 1 } });
      answers[DESTINATION_URL] = json({ data: { a: 1 } });
      const r = await compare();
      expect(r.source).toMatchObject({ ok: false });
      expect(r.source.reason).toContain(`answered for another environment (${DESTINATION})`);
    }
    answers[SOURCE_URL] = json({ environment: { stackName: '' }, data: { a: 1 } });
    const unnamed = await compare();
    expect(unnamed.status).toBe('EQUAL');
    expect(unnamed.source.reportedEnvironment).toBeUndefined();
  });

  it('names which side of a difference was cut short in the state', async () => {
    const long = 'x'.repeat(STATISTICS_VALUE_PREVIEW_CHARS + 10);
    answers[SOURCE_URL] = json({ data: { a: long, b: 1 } });
    answers[DESTINATION_URL] = json({ data: { a: 1, b: long } });
    const r = await compare();
    expect(r.differences.map((d) => [d.path, d.truncated])).toEqual([
      ['data.a', 'source'],
      ['data.b', 'destination'],
    ]);
    // The summary shows at most 37 characters of a long value.
    expect(r.summary).toBe(`2 values differ: data.a ${JSON.stringify(long).slice(0, 37)}... → 1, data.b 1 → ${JSON.stringify(long).slice(0, 37)}...`);
  });

  it('reports an empty container present on one side only as a difference', async () => {
    answers[SOURCE_URL] = json({ data: { a: 1, list: [], map: {} } });
    answers[DESTINATION_URL] = json({ data: { a: 1 } });
    const r = await compare();
    expect(r.differences).toEqual([
      { path: 'data.list', source: [], destination: null, absentOn: 'destination' },
      { path: 'data.map', source: {}, destination: null, absentOn: 'destination' },
    ]);
  });
});
