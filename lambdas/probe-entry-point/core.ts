import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ProbeEntryPointEvent, ProbeEntryPointResult } from '../shared/contracts';
import { WaitTimedOut } from '../shared/errors';
import { httpGet, type FetchLike } from '../shared/http';
import { describeStack } from '../shared/stacks';
import { advanceWait, BACKOFF } from '../shared/wait';

export interface ProbeEntryPointDeps {
  cfn: CloudFormationClient;
  secrets: SecretsManagerClient;
  fetch: FetchLike;
}

/**
 * Migrate's blue/green path, after the switch is INSYNC: the smoke test through the entry point's
 * name. Requests the new slot's statistics URL (its output) at the record's host instead of the
 * slot's own, and reads which environment answered (`environment.stackId`, else `.stackName`, of the
 * document: the statistics endpoint names its stack). READY only when the new slot answered; PENDING
 * while another one does (resolvers keep the old answer for the record's TTL after INSYNC, Route 53
 * Developer Guide, "Choosing between alias and non-alias records") or nothing usable answers, with
 * the probe recorded. Throws WaitTimedOut quoting the last probe once the loop's timeout has passed;
 * raw SDK errors (DescribeStacks, GetSecretValue).
 */
export async function probeEntryPoint(deps: ProbeEntryPointDeps, event: ProbeEntryPointEvent, now: () => Date = () => new Date()): Promise<ProbeEntryPointResult> {
  const label = `${event.stackName} to answer at ${event.recordHost} (statistics through the entry point)`;
  const probe = await probeOnce(deps, event);
  const ready = probe.answeredBy !== undefined && (probe.answeredBy === event.expectedStackId || probe.answeredBy === event.stackName);
  try {
    return { status: ready ? 'READY' : 'PENDING', probe, wait: advanceWait(event, label, BACKOFF.smokeTest, ready, now()) };
  } catch (err) {
    if (err instanceof WaitTimedOut) err.message += `; last probe: ${describe(probe)}`;
    throw err;
  }
}

async function probeOnce(deps: ProbeEntryPointDeps, event: ProbeEntryPointEvent): Promise<ProbeEntryPointResult['probe']> {
  const { statistics } = event;
  const stack = await describeStack(deps.cfn, event.stackName);
  if (!stack) return { url: '', error: `stack ${event.stackName} does not exist` };
  const raw = stack.Outputs?.find((o) => o.OutputKey === statistics.outputKey)?.OutputValue;
  if (!raw) return { url: '', error: `stack ${event.stackName} has no output ${statistics.outputKey}` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { url: raw, error: `output ${statistics.outputKey} of ${event.stackName} is not a URL` };
  }
  // Same scheme, port, path and query: only the host is the record's, so the request goes where clients' do.
  url.hostname = event.recordHost;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (statistics.header) {
    const secret = await deps.secrets.send(new GetSecretValueCommand({ SecretId: statistics.header.secretArn }));
    if (secret.SecretString === undefined) return { url: url.href, error: `secret ${statistics.header.secretArn} holds no SecretString for header ${statistics.header.name}` };
    headers[statistics.header.name] = secret.SecretString;
  }
  const answer = await httpGet(deps.fetch, url.href, { timeoutMs: statistics.timeoutSeconds * 1000, headers });
  if (answer.reason !== undefined) return { url: url.href, error: answer.reason };
  if (answer.status < 200 || answer.status > 299) return { url: url.href, httpStatus: answer.status, error: `HTTP ${answer.status}` };
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return { url: url.href, httpStatus: answer.status, error: 'response is not JSON' };
  }
  const env = typeof body === 'object' && body !== null ? (body as { environment?: { stackId?: unknown; stackName?: unknown } }).environment : undefined;
  const answeredBy = typeof env?.stackId === 'string' && env.stackId ? env.stackId : typeof env?.stackName === 'string' && env.stackName ? env.stackName : undefined;
  if (answeredBy === undefined) return { url: url.href, httpStatus: answer.status, error: 'the document does not say which environment answered (environment.stackId)' };
  return { url: url.href, httpStatus: answer.status, answeredBy };
}

function describe(probe: ProbeEntryPointResult['probe']): string {
  const target = probe.url || '(no URL)';
  if (probe.answeredBy) return `${target} was answered by ${probe.answeredBy}`;
  return `${target}: ${probe.error ?? (probe.httpStatus !== undefined ? `HTTP ${probe.httpStatus}` : 'no answer')}`;
}
