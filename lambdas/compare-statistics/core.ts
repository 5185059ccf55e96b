import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CompareStatisticsEvent, CompareStatisticsResult, EndpointReading, StatisticsDifference } from '../shared/contracts';
import { httpGet, type FetchLike } from '../shared/http';
import { describeStack } from '../shared/stacks';

export interface CompareStatisticsDeps {
  cfn: CloudFormationClient;
  secrets: SecretsManagerClient;
  fetch: FetchLike;
}

export const SAME_URL_REASON = 'both stacks report the same statistics URL; refusing to compare an endpoint with itself';

/** Differences quoted in the one-sentence summary. */
const SUMMARY_DIFFERENCES = 5;
/** Differences listed in the result; the rest are counted. Each travels in the Clone and Migrate
 *  state, which Step Functions caps at 256 KiB: a huge statistics document must not fail the run. */
export const MAX_STATISTICS_DIFFERENCES = 100;

/**
 * Clone, "compare statistics", the last check before the workflow may delete anything: reads the
 * statistics URL of both stacks from their outputs, fetches each endpoint exactly once, and compares
 * the two `data` objects as canonical JSON (key order ignored, every differing path listed). Returns
 * EQUAL only when both endpoints answered usable statistics and nothing differs; an endpoint that is
 * missing, shared by both stacks, times out, fails or answers no `data` (or an empty one) makes it
 * MISMATCH with the reason. At most MAX_STATISTICS_DIFFERENCES paths are listed, all are counted. Throws only raw SDK errors (DescribeStacks, GetSecretValue).
 */
export async function compareStatistics(deps: CompareStatisticsDeps, event: CompareStatisticsEvent): Promise<CompareStatisticsResult> {
  const { statistics } = event;
  const [sourceUrl, destinationUrl] = await Promise.all([
    statisticsUrl(deps.cfn, event.sourceStackName, statistics.outputKey),
    statisticsUrl(deps.cfn, event.destinationStackName, statistics.outputKey),
  ]);

  if ('url' in sourceUrl && 'url' in destinationUrl && sourceUrl.url === destinationUrl.url) {
    const reading: EndpointReading = { url: sourceUrl.raw, ok: false, reason: SAME_URL_REASON };
    return { status: 'MISMATCH', source: reading, destination: { ...reading }, differences: [], differenceCount: 0, summary: SAME_URL_REASON };
  }

  const headers: Record<string, string> = { accept: 'application/json' };
  if (statistics.header && ('url' in sourceUrl || 'url' in destinationUrl)) {
    const secret = await deps.secrets.send(new GetSecretValueCommand({ SecretId: statistics.header.secretArn }));
    if (secret.SecretString === undefined) {
      const reason = `secret ${statistics.header.secretArn} holds no SecretString for header ${statistics.header.name}`;
      return notCompared({ url: sourceUrl.raw, ok: false, reason }, { url: destinationUrl.raw, ok: false, reason });
    }
    headers[statistics.header.name] = secret.SecretString;
  }

  const timeoutMs = statistics.timeoutSeconds * 1000;
  const [source, destination] = await Promise.all([read(deps.fetch, sourceUrl, headers, timeoutMs), read(deps.fetch, destinationUrl, headers, timeoutMs)]);
  if (!source.ok || !destination.ok || !source.data || !destination.data) return notCompared(source, destination);

  const differences: StatisticsDifference[] = [];
  diff(source.data, destination.data, 'data', differences);
  const compared = countValues(source.data);
  return {
    status: differences.length === 0 ? 'EQUAL' : 'MISMATCH',
    source,
    destination,
    differences: differences.slice(0, MAX_STATISTICS_DIFFERENCES),
    differenceCount: differences.length,
    summary: differences.length === 0 ? `statistics equal (${compared} ${compared === 1 ? 'value' : 'values'})` : summarize(differences),
  };
}

type UrlLookup = { url: string; raw: string } | { reason: string; raw: string };

async function statisticsUrl(cfn: CloudFormationClient, stackName: string, outputKey: string): Promise<UrlLookup> {
  const stack = await describeStack(cfn, stackName);
  if (!stack) return { raw: '', reason: `stack ${stackName} does not exist` };
  const raw = stack.Outputs?.find((o) => o.OutputKey === outputKey)?.OutputValue;
  if (!raw) return { raw: '', reason: `stack ${stackName} has no output ${outputKey}` };
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { raw, reason: `output ${outputKey} of stack ${stackName} is not an http(s) URL` };
    // Normalised (host case, default port) so that two spellings of one endpoint count as the same.
    return { raw, url: parsed.href };
  } catch {
    return { raw, reason: `output ${outputKey} of stack ${stackName} is not a URL` };
  }
}

async function read(fetchFn: FetchLike, lookup: UrlLookup, headers: Record<string, string>, timeoutMs: number): Promise<EndpointReading> {
  if (!('url' in lookup)) return { url: lookup.raw, ok: false, reason: lookup.reason };
  const url = lookup.raw;
  const answer = await httpGet(fetchFn, url, { timeoutMs, headers });
  if (answer.reason !== undefined) return { url, ok: false, reason: answer.reason };
  if (answer.status < 200 || answer.status > 299) return { url, ok: false, reason: `HTTP ${answer.status}` };
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return { url, ok: false, reason: 'response is not JSON' };
  }
  const data = isRecord(body) ? body.data : undefined;
  if (!isRecord(data)) return { url, ok: false, reason: 'response has no "data" object' };
  // Two empty documents are equal and prove nothing: an endpoint that reports nothing is not a reading.
  if (Object.keys(data).length === 0) return { url, ok: false, reason: 'response has an empty "data" object: it reports no statistics to compare' };
  return { url, ok: true, data };
}

function notCompared(source: EndpointReading, destination: EndpointReading): CompareStatisticsResult {
  const problems = [
    ...(source.ok ? [] : [`source ${source.url || '(no URL)'}: ${source.reason}`]),
    ...(destination.ok ? [] : [`destination ${destination.url || '(no URL)'}: ${destination.reason}`]),
  ];
  return { status: 'MISMATCH', source, destination, differences: [], differenceCount: 0, summary: `statistics not compared: ${problems.join('; ')}` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ABSENT: unique symbol = Symbol('absent');

/**
 * Canonical comparison: objects by key whatever their order, arrays by index, numbers by value. A
 * subtree present on one side only is reported leaf by leaf, so every differing path is named.
 */
function diff(a: unknown, b: unknown, path: string, out: StatisticsDifference[]): void {
  if (isRecord(a) && isRecord(b)) {
    for (const key of unionKeys(a, b)) diff(Object.hasOwn(a, key) ? a[key] : ABSENT, Object.hasOwn(b, key) ? b[key] : ABSENT, childPath(path, key), out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) diff(i < a.length ? a[i] : ABSENT, i < b.length ? b[i] : ABSENT, `${path}[${i}]`, out);
    return;
  }
  if (a === ABSENT && hasLeaves(b)) return diff(emptyLike(b), b, path, out);
  if (b === ABSENT && hasLeaves(a)) return diff(a, emptyLike(a), path, out);
  if (a === b) return;
  out.push({
    path,
    source: a === ABSENT ? null : a,
    destination: b === ABSENT ? null : b,
    ...(a === ABSENT ? { absentOn: 'source' as const } : b === ABSENT ? { absentOn: 'destination' as const } : {}),
  });
}

/** An empty container of the same kind, whose every key/index then reads as absent. */
function emptyLike(value: unknown): unknown {
  return Array.isArray(value) ? [] : {};
}

function hasLeaves(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return isRecord(value) && Object.keys(value).length > 0;
}

function unionKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Leaf values of equal statistics (an empty object or array counts as one value). */
function countValues(value: unknown): number {
  const children = Array.isArray(value) ? value : isRecord(value) ? Object.values(value) : [];
  return children.length === 0 ? 1 : children.reduce((n: number, child) => n + countValues(child), 0);
}

function summarize(differences: StatisticsDifference[]): string {
  const shown = differences.slice(0, SUMMARY_DIFFERENCES).map((d) => {
    const from = d.absentOn === 'source' ? '(absent)' : show(d.source);
    const to = d.absentOn === 'destination' ? '(absent)' : show(d.destination);
    return `${d.path} ${from} → ${to}`;
  });
  const more = differences.length - shown.length;
  const count = differences.length === 1 ? '1 value differs' : `${differences.length} values differ`;
  return `${count}: ${shown.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
