/**
 * One reading of a statistics endpoint for the blue/green slot operations (rollback's check of the
 * writes since the switch, the probe through the entry point), read the way compare-statistics reads
 * one: a GET within the configured timeout, with the configured header from Secrets Manager, a 2xx
 * JSON answer whose `data` is a non-empty object. Anything else is a reading that is not ok, with
 * its reason: never taken for "no change".
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { StatisticsConfig } from './contracts';
import { httpGet, type FetchLike } from './http';

export interface StatisticsReading {
  url: string;
  ok: boolean;
  reason?: string;
  data?: Record<string, unknown>;
  /** The document's own statement of the environment it describes (`environment.stackId`, else `.stackName`). */
  reportedEnvironment?: string;
}

/**
 * The host a client asks for an entry point: the record name, lowercase, without the trailing dot.
 * EntryPointSchema admits letters, digits, hyphens and underscores only, so no `\\ddd` escape is left.
 */
export function recordHost(recordName: string): string {
  return recordName.toLowerCase().replace(/\.$/, '');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The request headers of a statistics read: JSON, and the configured header's value from its secret. */
export async function statisticsHeaders(secrets: SecretsManagerClient, config: StatisticsConfig): Promise<Record<string, string> | { reason: string }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (!config.header) return headers;
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: config.header.secretArn }));
  if (secret.SecretString === undefined) return { reason: `secret ${config.header.secretArn} holds no SecretString for header ${config.header.name}` };
  headers[config.header.name] = secret.SecretString;
  return headers;
}

/** GETs one statistics URL; never throws for what the endpoint answers. */
export async function readStatistics(fetchFn: FetchLike, url: string, headers: Record<string, string>, timeoutMs: number): Promise<StatisticsReading> {
  const answer = await httpGet(fetchFn, url, { timeoutMs, headers });
  if (answer.reason !== undefined) return { url, ok: false, reason: answer.reason };
  if (answer.status < 200 || answer.status > 299) return { url, ok: false, reason: `HTTP ${answer.status}` };
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return { url, ok: false, reason: 'response is not JSON' };
  }
  const env = isRecord(body) && isRecord(body.environment) ? body.environment : undefined;
  const reported = typeof env?.stackId === 'string' && env.stackId ? env.stackId : typeof env?.stackName === 'string' && env.stackName ? env.stackName : undefined;
  const data = isRecord(body) ? body.data : undefined;
  if (!isRecord(data) || Object.keys(data).length === 0) return { url, ok: false, reason: 'response has no non-empty "data" object', ...(reported ? { reportedEnvironment: reported } : {}) };
  return { url, ok: true, data, ...(reported ? { reportedEnvironment: reported } : {}) };
}

/**
 * Every leaf path whose value differs between two statistics documents, as "path: before → after"
 * (an absent side reads "(absent)"), sorted by path. Arrays compare by index, objects by key.
 */
export function leafDifferences(before: unknown, after: unknown): string[] {
  const leaves = (value: unknown, path: string, out: Map<string, string>): Map<string, string> => {
    if (isRecord(value) && Object.keys(value).length) for (const [k, v] of Object.entries(value)) leaves(v, `${path}.${k}`, out);
    else if (Array.isArray(value) && value.length) value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
    else out.set(path, JSON.stringify(value) ?? 'null');
    return out;
  };
  const a = leaves(before, 'data', new Map());
  const b = leaves(after, 'data', new Map());
  return [...new Set([...a.keys(), ...b.keys()])]
    .sort()
    .filter((p) => a.get(p) !== b.get(p))
    .map((p) => `${p}: ${a.get(p) ?? '(absent)'} → ${b.get(p) ?? '(absent)'}`);
}
