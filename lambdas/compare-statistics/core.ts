import { statisticsDigest } from '../shared/canonical-json';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CompareStatisticsEvent, CompareStatisticsResult, DocumentRef, EndpointReading, StatisticsDifference } from '../shared/contracts';
import { putJsonDocument } from '../shared/documents';
import { httpGet, type FetchLike } from '../shared/http';
import { describeStack } from '../shared/stacks';

export interface CompareStatisticsDeps {
  cfn: CloudFormationClient;
  secrets: SecretsManagerClient;
  /** The workflow bucket's client: both documents and the full difference list are kept there. */
  s3: S3Client;
  fetch: FetchLike;
}

export const SAME_URL_REASON = 'both stacks report the same statistics URL; refusing to compare an endpoint with itself';

/** Differences quoted in the one-sentence summary. */
const SUMMARY_DIFFERENCES = 5;
/**
 * Differences listed in the result; the rest are counted and kept in a document. The result travels
 * in the Clone and Migrate states (and the notification's input), which Step Functions caps at 256
 * KiB with an error no Catch catches: 20 differences of 2 previews of 200 characters stay under 10 KB.
 */
export const MAX_STATISTICS_DIFFERENCES = 20;
/** Characters of a differing value's JSON kept in the state; longer values are previewed. */
export const STATISTICS_VALUE_PREVIEW_CHARS = 200;

/**
 * Clone, "compare statistics", the last check before the workflow may delete anything: reads the
 * statistics URL of both stacks from their outputs, fetches each endpoint exactly once, and compares
 * the two `data` objects as canonical JSON (key order ignored, every differing path found). Returns
 * EQUAL only when both endpoints answered usable statistics for their own stack and nothing differs;
 * an endpoint that is missing, shared by both stacks, times out, fails, answers no `data` (or an
 * empty one) or says it describes another environment makes it MISMATCH with the reason.
 *
 * Both documents are stored in the workflow bucket (`runs/<execution>/statistics/<source>-to-
 * <destination>/{source,destination}.json`); the result carries per side the URL, the verdict, the
 * canonical SHA-256 of `data`, the size and the document's reference, never the document. At most
 * MAX_STATISTICS_DIFFERENCES paths are listed (values previewed), all are counted, and the full
 * list is stored as `differences.json` when it does not fit. Throws only raw SDK errors
 * (DescribeStacks, GetSecretValue, PutObject) and ConfigurationMissing without WORKFLOW_BUCKET.
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
  const [sourceAnswer, destinationAnswer] = await Promise.all([read(deps.fetch, sourceUrl, headers, timeoutMs), read(deps.fetch, destinationUrl, headers, timeoutMs)]);
  const pairKey = `${event.sourceStackName}-to-${event.destinationStackName}`;
  const [source, destination] = await Promise.all([
    keep(deps.s3, event, pairKey, 'source', sourceAnswer),
    keep(deps.s3, event, pairKey, 'destination', destinationAnswer),
  ]);
  if (!sourceAnswer.data || !destinationAnswer.data) return notCompared(source, destination);

  const differences: StatisticsDifference[] = [];
  diff(sourceAnswer.data, destinationAnswer.data, 'data', differences);
  const listed = differences.slice(0, MAX_STATISTICS_DIFFERENCES).map(preview);
  const complete = differences.length === listed.length && listed.every((d) => d.truncated === undefined);
  const differencesDocument = complete ? undefined : await putJsonDocument(deps.s3, event.execution, ['statistics', pairKey, 'differences.json'], differences);
  const compared = source.values ?? 0;
  return {
    status: differences.length === 0 ? 'EQUAL' : 'MISMATCH',
    source,
    destination,
    differences: listed,
    differenceCount: differences.length,
    ...(differencesDocument ? { differencesDocument } : {}),
    summary: differences.length === 0 ? `statistics equal (${compared} ${compared === 1 ? 'value' : 'values'})` : summarize(differences),
  };
}

/** What one endpoint answered: the reading without its document yet, the parsed body and `data` when usable. */
interface Answer {
  reading: EndpointReading;
  body?: unknown;
  data?: Record<string, unknown>;
}

/** Stores a usable answer's document and completes its reading with the reference. */
async function keep(s3: S3Client, event: CompareStatisticsEvent, pairKey: string, side: 'source' | 'destination', answer: Answer): Promise<EndpointReading> {
  if (!answer.data) return answer.reading;
  const document: DocumentRef = await putJsonDocument(s3, event.execution, ['statistics', pairKey, `${side}.json`], answer.body);
  return { ...answer.reading, document };
}

type UrlLookup = { url: string; raw: string; stackName: string; stackId: string | undefined } | { reason: string; raw: string };

async function statisticsUrl(cfn: CloudFormationClient, stackName: string, outputKey: string): Promise<UrlLookup> {
  const stack = await describeStack(cfn, stackName);
  if (!stack) return { raw: '', reason: `stack ${stackName} does not exist` };
  const raw = stack.Outputs?.find((o) => o.OutputKey === outputKey)?.OutputValue;
  if (!raw) return { raw: '', reason: `stack ${stackName} has no output ${outputKey}` };
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { raw, reason: `output ${outputKey} of stack ${stackName} is not an http(s) URL` };
    // Normalised (host case, default port) so that two spellings of one endpoint count as the same.
    return { raw, url: parsed.href, stackName, stackId: stack.StackId };
  } catch {
    return { raw, reason: `output ${outputKey} of stack ${stackName} is not a URL` };
  }
}

async function read(fetchFn: FetchLike, lookup: UrlLookup, headers: Record<string, string>, timeoutMs: number): Promise<Answer> {
  const fail = (url: string, reason: string, bytes?: number): Answer => ({ reading: { url, ok: false, reason, ...(bytes === undefined ? {} : { bytes }) } });
  if (!('url' in lookup)) return fail(lookup.raw, lookup.reason);
  const url = lookup.raw;
  const answer = await httpGet(fetchFn, url, { timeoutMs, headers });
  if (answer.reason !== undefined) return fail(url, answer.reason);
  const bytes = Buffer.byteLength(answer.body, 'utf8');
  if (answer.status < 200 || answer.status > 299) return fail(url, `HTTP ${answer.status}`, bytes);
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return fail(url, 'response is not JSON', bytes);
  }
  const data = isRecord(body) ? body.data : undefined;
  if (!isRecord(data)) return fail(url, 'response has no "data" object', bytes);
  // Two empty documents are equal and prove nothing: an endpoint that reports nothing is not a reading.
  if (Object.keys(data).length === 0) return fail(url, 'response has an empty "data" object: it reports no statistics to compare', bytes);
  // Two URLs can reach one backend (an output pointing at the other environment's load balancer, a
  // DNS alias): its answers then equal themselves and prove nothing. Only the document can say which
  // environment answered; when it does, it must be the stack the URL came from (README, "Statistics").
  const reported = reportedEnvironment(body as Record<string, unknown>);
  if (reported !== undefined && reported !== lookup.stackId && reported !== lookup.stackName) {
    return fail(url, `the endpoint of ${lookup.stackName} answered for another environment (${reported}): both URLs may reach one backend, so the comparison would prove nothing`, bytes);
  }
  const reading: EndpointReading = { url, ok: true, dataSha256: canonicalSha256(data), values: countValues(data), bytes, ...(reported === undefined ? {} : { reportedEnvironment: reported }) };
  return { reading, body, data };
}

/** The document's own statement of which environment it describes: `environment.stackId`, else `environment.stackName`. */
function reportedEnvironment(body: Record<string, unknown>): string | undefined {
  const env = body.environment;
  if (!isRecord(env)) return undefined;
  if (typeof env.stackId === 'string' && env.stackId) return env.stackId;
  if (typeof env.stackName === 'string' && env.stackName) return env.stackName;
  return undefined;
}

/** SHA-256 (hex) of the canonical JSON of a statistics `data` object (EndpointReading.dataSha256): the
 *  same digest the recheck of the original computes before its deletion. */
export const canonicalSha256 = (data: Record<string, unknown>): string => statisticsDigest(data);

/** A difference as listed in the state: each value whose JSON is too long replaced by a preview. */
function preview(d: StatisticsDifference): StatisticsDifference {
  const cut = (value: unknown): { value: unknown; cut: boolean } => {
    const text = JSON.stringify(value) ?? 'null';
    if (text.length <= STATISTICS_VALUE_PREVIEW_CHARS) return { value, cut: false };
    return { value: `${text.slice(0, STATISTICS_VALUE_PREVIEW_CHARS - 1)}…`, cut: true };
  };
  const source = cut(d.source);
  const destination = cut(d.destination);
  const truncated = source.cut && destination.cut ? 'both' : source.cut ? 'source' : destination.cut ? 'destination' : undefined;
  return { ...d, source: source.value, destination: destination.value, ...(truncated ? { truncated } : {}) };
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
