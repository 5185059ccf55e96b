/**
 * compare-statistics, the last check before anything is deleted: the exact verdict, readings and
 * summary the operator sees at the edges — which answers count as readings, how values that changed
 * shape are reported, where the state's previews are cut, and which side a refusal names.
 */
import { CloudFormationClient, DescribeStacksCommand, type Output } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { canonicalSha256, compareStatistics, STATISTICS_VALUE_PREVIEW_CHARS } from '../../lambdas/compare-statistics/core';
import type { CompareStatisticsEvent, StatisticsConfig } from '../../lambdas/shared/contracts';
import type { FetchLike, HttpRequestInit } from '../../lambdas/shared/http';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-7', name: 'run-7' };
const SOURCE = 'billing-prod';
const DESTINATION = 'billing-prod-tmp-9f8e7d6c';
const SOURCE_URL = 'https://billing.example.com/stats';
const DESTINATION_URL = 'https://billing-tmp.example.com/stats';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing-stats-XyZ123';
const WORKFLOW_BUCKET = 'env-migrator-workflow';
const PREFIX = `runs/run-7/statistics/${SOURCE}-to-${DESTINATION}`;
process.env.WORKFLOW_BUCKET = WORKFLOW_BUCKET;

const cfnMock = mockClient(CloudFormationClient);
const secretsMock = mockClient(SecretsManagerClient);
const s3Mock = mockClient(S3Client);
const cfn = new CloudFormationClient({});
const secrets = new SecretsManagerClient({});
const s3 = new S3Client({});

type Answer = { status: number; body: string };
let answers: Record<string, Answer>;
let requests: { url: string; init: HttpRequestInit }[];
const fakeFetch: FetchLike = (url, init) => {
  requests.push({ url, init });
  const answer = answers[url];
  if (answer === undefined) return Promise.reject(new TypeError('fetch failed', { cause: new Error(`getaddrinfo ENOTFOUND ${url}`) }));
  return Promise.resolve({ status: answer.status, text: async () => answer.body });
};

const stackId = (name: string) => `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/0000`;

function stack(name: string, outputs: Output[] | undefined): void {
  cfnMock.on(DescribeStacksCommand, { StackName: name }).resolves({
    Stacks: [{ StackName: name, StackId: stackId(name), StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), ...(outputs ? { Outputs: outputs } : {}) }],
  });
}

const json = (value: unknown, status = 200): Answer => ({ status, body: JSON.stringify(value) });
const bytesOf = (a: Answer) => Buffer.byteLength(a.body, 'utf8');

function event(statistics: Partial<StatisticsConfig> = {}): CompareStatisticsEvent {
  return { sourceStackName: SOURCE, destinationStackName: DESTINATION, statistics: { outputKey: 'StatisticsUrl', timeoutSeconds: 10, ...statistics }, execution: EXECUTION };
}

const compare = (e: CompareStatisticsEvent = event()) => compareStatistics({ cfn, secrets, s3, fetch: fakeFetch }, e);
const storedKeys = () => s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
const documentRef = (side: string) => ({ bucket: WORKFLOW_BUCKET, key: `${PREFIX}/${side}.json`, bytes: expect.any(Number), sha256: expect.any(String) });

/** Both endpoints answer; returns the differences listed in the result. */
async function differencesBetween(source: Record<string, unknown>, destination: Record<string, unknown>) {
  answers[SOURCE_URL] = json({ data: source });
  answers[DESTINATION_URL] = json({ data: destination });
  const r = await compare();
  return r.differences;
}

beforeEach(() => {
  cfnMock.reset();
  secretsMock.reset();
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  answers = {};
  requests = [];
  stack(SOURCE, [{ OutputKey: 'StatisticsUrl', OutputValue: SOURCE_URL }]);
  stack(DESTINATION, [{ OutputKey: 'StatisticsUrl', OutputValue: DESTINATION_URL }]);
});

describe('compare-statistics: the verdict the operator sees', () => {
  it('lists a few short differences whole in the result and stores no difference document for them', async () => {
    const source = json({ data: { invoices: 12, paid: 10 } });
    const destination = json({ data: { invoices: 11, paid: 10, refunds: 1 } });
    answers[SOURCE_URL] = source;
    answers[DESTINATION_URL] = destination;

    const r = await compare();

    expect(r).toStrictEqual({
      status: 'MISMATCH',
      source: { url: SOURCE_URL, ok: true, dataSha256: canonicalSha256({ invoices: 12, paid: 10 }), values: 2, bytes: bytesOf(source), document: documentRef('source') },
      destination: {
        url: DESTINATION_URL,
        ok: true,
        dataSha256: canonicalSha256({ invoices: 11, paid: 10, refunds: 1 }),
        values: 3,
        bytes: bytesOf(destination),
        document: documentRef('destination'),
      },
      differences: [
        { path: 'data.invoices', source: 12, destination: 11 },
        { path: 'data.refunds', source: null, destination: 1, absentOn: 'source' },
      ],
      differenceCount: 2,
      summary: '2 values differ: data.invoices 12 → 11, data.refunds (absent) → 1',
    });
    expect(storedKeys().sort()).toEqual([`${PREFIX}/destination.json`, `${PREFIX}/source.json`]);
  });

  it('shows which environment a document reports only when it reports one, and no byte count for an endpoint that never answered', async () => {
    const source = json({ environment: { stackName: SOURCE }, data: { a: 1 } });
    answers[SOURCE_URL] = source;
    // No answer for the destination: a network error.

    const r = await compare();

    expect(r.source).toStrictEqual({
      url: SOURCE_URL,
      ok: true,
      dataSha256: canonicalSha256({ a: 1 }),
      values: 1,
      bytes: bytesOf(source),
      reportedEnvironment: SOURCE,
      document: documentRef('source'),
    });
    expect(r.destination).toStrictEqual({
      url: DESTINATION_URL,
      ok: false,
      reason: `network error: fetch failed (getaddrinfo ENOTFOUND ${DESTINATION_URL})`,
    });
    expect(r.summary).toBe(`statistics not compared: destination ${DESTINATION_URL}: network error: fetch failed (getaddrinfo ENOTFOUND ${DESTINATION_URL})`);
  });

  it('names only the failing source when the destination answered', async () => {
    answers[SOURCE_URL] = json({ data: { a: 1 } }, 503);
    answers[DESTINATION_URL] = json({ data: { a: 1 } });
    const r = await compare();
    expect(r.status).toBe('MISMATCH');
    expect(r.destination.ok).toBe(true);
    expect(r.summary).toBe(`statistics not compared: source ${SOURCE_URL}: HTTP 503`);
  });

  it('accepts any 2xx answer as a reading and refuses an informational or redirect status, whatever the body', async () => {
    answers[SOURCE_URL] = json({ data: { a: 1 } }, 299);
    answers[DESTINATION_URL] = json({ data: { a: 1 } }, 200);
    expect((await compare()).status).toBe('EQUAL');

    for (const status of [101, 199, 304]) {
      answers[DESTINATION_URL] = json({ data: { a: 1 } }, status);
      const r = await compare();
      expect(r.status, `HTTP ${status}`).toBe('MISMATCH');
      expect(r.destination, `HTTP ${status}`).toStrictEqual({ url: DESTINATION_URL, ok: false, reason: `HTTP ${status}`, bytes: bytesOf(answers[DESTINATION_URL]) });
    }
  });

  it('reads statistics from a plain http URL', async () => {
    stack(SOURCE, [{ OutputKey: 'StatisticsUrl', OutputValue: 'http://billing.internal:8080/stats' }]);
    stack(DESTINATION, [{ OutputKey: 'StatisticsUrl', OutputValue: 'http://billing-tmp.internal:8080/stats' }]);
    answers['http://billing.internal:8080/stats'] = json({ data: { a: 1 } });
    answers['http://billing-tmp.internal:8080/stats'] = json({ data: { a: 1 } });
    const r = await compare();
    expect(r.status).toBe('EQUAL');
    expect(r.summary).toBe('statistics equal (1 value)');
  });
});

describe('compare-statistics: finding the URL of each stack', () => {
  it('reads the statistics output by its key, whatever other outputs the stack lists first', async () => {
    stack(SOURCE, [
      { OutputKey: 'ServiceUrl', OutputValue: 'https://billing.example.com' },
      { OutputKey: 'StatisticsUrl', OutputValue: SOURCE_URL },
    ]);
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    answers[DESTINATION_URL] = json({ data: { a: 1 } });
    const r = await compare();
    expect(r.status).toBe('EQUAL');
    expect(requests.map((q) => q.url).sort()).toEqual([DESTINATION_URL, SOURCE_URL]);
  });

  it('is MISMATCH, naming the missing output, for a stack that has no outputs at all', async () => {
    stack(DESTINATION, undefined);
    answers[SOURCE_URL] = json({ data: { a: 1 } });
    const r = await compare();
    expect(r.status).toBe('MISMATCH');
    expect(r.destination).toStrictEqual({ url: '', ok: false, reason: `stack ${DESTINATION} has no output StatisticsUrl` });
  });

  it('reports a stack that does not exist with no URL in the reading and the summary', async () => {
    cfnMock
      .on(DescribeStacksCommand, { StackName: SOURCE })
      .rejects(Object.assign(new Error(`Stack with id ${SOURCE} does not exist`), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
    answers[DESTINATION_URL] = json({ data: { a: 1 } });
    const r = await compare();
    expect(r.source).toStrictEqual({ url: '', ok: false, reason: `stack ${SOURCE} does not exist` });
    expect(r.summary).toBe(`statistics not compared: source (no URL): stack ${SOURCE} does not exist`);
  });

  it('reads the header secret when only the destination stack has a URL, and sends the header there', async () => {
    stack(SOURCE, []);
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'billing-token' });
    answers[DESTINATION_URL] = json({ data: { a: 1 } });
    const r = await compare(event({ header: { name: 'X-Stats-Token', secretArn: SECRET_ARN } }));
    expect(r.summary).toBe(`statistics not compared: source (no URL): stack ${SOURCE} has no output StatisticsUrl`);
    expect(requests.map((q) => [q.url, q.init.headers['X-Stats-Token']])).toEqual([[DESTINATION_URL, 'billing-token']]);
  });

  it('ignores an environment stackName that is not a string: the document then claims no environment', async () => {
    answers[SOURCE_URL] = json({ environment: { stackName: 42 }, data: { a: 1 } });
    answers[DESTINATION_URL] = json({ data: { a: 1 } });
    const r = await compare();
    expect(r.status).toBe('EQUAL');
    expect(r.source).not.toHaveProperty('reportedEnvironment');
  });
});

describe('compare-statistics: how each difference is reported', () => {
  it('reports a value that changed from a number to an object, or back, as one difference with both values', async () => {
    expect(await differencesBetween({ a: 1, b: { x: 1 } }, { a: { x: 1 }, b: 2 })).toEqual([
      { path: 'data.a', source: 1, destination: { x: 1 } },
      { path: 'data.b', source: { x: 1 }, destination: 2 },
    ]);
  });

  it('reports an object turned into an array as one difference', async () => {
    expect(await differencesBetween({ a: { x: 1 } }, { a: [1] })).toEqual([{ path: 'data.a', source: { x: 1 }, destination: [1] }]);
  });

  it('names every leaf of a subtree present on the destination only, each absent on the source', async () => {
    expect(await differencesBetween({ a: 1 }, { a: 1, extra: { x: 1, list: [2] } })).toEqual([
      { path: 'data.extra.list[0]', source: null, destination: 2, absentOn: 'source' },
      { path: 'data.extra.x', source: null, destination: 1, absentOn: 'source' },
    ]);
  });

  it('keeps a value whose JSON is exactly the preview length whole in the state', async () => {
    const exact = 'y'.repeat(STATISTICS_VALUE_PREVIEW_CHARS - 2);
    expect(JSON.stringify(exact)).toHaveLength(STATISTICS_VALUE_PREVIEW_CHARS);
    expect(await differencesBetween({ a: exact }, { a: 1 })).toEqual([{ path: 'data.a', source: exact, destination: 1 }]);
  });

  it('says both sides were cut short when both differing values are too long for the state, and keeps the full list in a document', async () => {
    const one = 'x'.repeat(STATISTICS_VALUE_PREVIEW_CHARS + 5);
    const two = 'z'.repeat(STATISTICS_VALUE_PREVIEW_CHARS + 5);
    answers[SOURCE_URL] = json({ data: { a: one } });
    answers[DESTINATION_URL] = json({ data: { a: two } });
    const r = await compare();
    expect(r.differences).toEqual([
      {
        path: 'data.a',
        source: `${JSON.stringify(one).slice(0, STATISTICS_VALUE_PREVIEW_CHARS - 1)}…`,
        destination: `${JSON.stringify(two).slice(0, STATISTICS_VALUE_PREVIEW_CHARS - 1)}…`,
        truncated: 'both',
      },
    ]);
    expect(r.differencesDocument).toMatchObject({ bucket: WORKFLOW_BUCKET, key: `${PREFIX}/differences.json` });
  });

  it('quotes a 40-character value whole in the summary and shortens a longer one', async () => {
    const forty = 'v'.repeat(38);
    const longer = 'w'.repeat(39);
    answers[SOURCE_URL] = json({ data: { a: forty, b: longer } });
    answers[DESTINATION_URL] = json({ data: { a: 1, b: 1 } });
    const r = await compare();
    expect(r.summary).toBe(`2 values differ: data.a "${forty}" → 1, data.b "${longer.slice(0, 36)}... → 1`);
  });
});
