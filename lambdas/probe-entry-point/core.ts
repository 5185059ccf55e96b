import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ProbeEntryPointEvent, ProbeEntryPointResult } from '../shared/contracts';
import { WaitTimedOut } from '../shared/errors';
import { httpGet, type FetchLike } from '../shared/http';
import { describeStack } from '../shared/stacks';
import { readStatistics, recordHost, statisticsHeaders } from '../shared/statistics-reading';
import { advanceWait, BACKOFF } from '../shared/wait';

export interface ProbeEntryPointDeps {
  cfn: CloudFormationClient;
  secrets: SecretsManagerClient;
  fetch: FetchLike;
}

/** The slot's output URL with its host replaced by the entry point's name: the same request, as clients make it. */
export function throughRecord(url: string, recordName: string): string {
  const u = new URL(url);
  u.hostname = recordHost(recordName);
  return u.href;
}

/**
 * The check of the wait loop after a switch (Migrate's switch to the new slot, once INSYNC; Rollback's
 * switch back): asks the statistics endpoint
 * through the entry point's name (the expected slot's StatisticsUrl with the record's name as host,
 * resolved as clients resolve it) and is READY only when the document says the expected stack
 * answered (`environment.stackId`, or its name) and, with a smoke test, its path answers the
 * expected status through the record too. An answer from the other slot, an error or no statement of
 * the environment is PENDING: resolvers keep the old answer for the record's TTL after INSYNC (Route 53
 * Developer Guide, "Choosing between alias and non-alias records").
 * Throws WaitTimedOut, quoting the last probe, past the timeout; raw SDK errors otherwise.
 */
export async function probeEntryPoint(deps: ProbeEntryPointDeps, event: ProbeEntryPointEvent, now: () => Date = () => new Date()): Promise<ProbeEntryPointResult> {
  const probe = await probeOnce(deps, event);
  const ready = probe.error === undefined;
  const label = `${recordHost(event.entryPoint.recordName)} to answer from ${event.expected.stackName}`;
  try {
    return { status: ready ? 'READY' : 'PENDING', probe, wait: advanceWait(event, label, BACKOFF.smokeTest, ready, now()) };
  } catch (err) {
    if (err instanceof WaitTimedOut) err.message += `; last probe: ${probe.url || '(no URL)'}: ${probe.error}`;
    throw err;
  }
}

async function probeOnce(deps: ProbeEntryPointDeps, event: ProbeEntryPointEvent): Promise<ProbeEntryPointResult['probe']> {
  const { expected, statistics } = event;
  const stack = await describeStack(deps.cfn, expected.stackName);
  const output = (key: string) => stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const statisticsUrl = output(statistics.outputKey);
  if (!stack || stack.StackId !== expected.stackId) return { url: '', error: `stack ${expected.stackName} is not ${expected.stackId}` };
  if (!statisticsUrl) return { url: '', error: `stack ${expected.stackName} has no output ${statistics.outputKey}` };
  const url = throughRecord(statisticsUrl, event.entryPoint.recordName);
  const headers = await statisticsHeaders(deps.secrets, statistics);
  if ('reason' in headers) return { url, error: String(headers.reason) };
  const reading = await readStatistics(deps.fetch, url, headers as Record<string, string>, statistics.timeoutSeconds * 1000);
  const answeredBy = reading.reportedEnvironment;
  if (answeredBy === undefined) return { url, error: reading.ok ? 'the statistics document does not say which environment answered' : `${reading.reason}` };
  if (answeredBy !== expected.stackId && answeredBy !== expected.stackName) return { url, answeredBy, error: `answered by ${answeredBy}, not ${expected.stackName}` };
  if (!event.smokeTest) return { url, answeredBy };
  const base = output(event.smokeTest.outputKey);
  if (!base) return { url, answeredBy, error: `stack ${expected.stackName} has no output ${event.smokeTest.outputKey}` };
  const smokeUrl = `${throughRecord(base, event.entryPoint.recordName).replace(/\/+$/, '')}${event.smokeTest.path}`;
  const answer = await httpGet(deps.fetch, smokeUrl, { timeoutMs: event.smokeTest.timeoutSeconds * 1000 });
  if (answer.reason !== undefined) return { url, answeredBy, smokeUrl, error: answer.reason };
  if (answer.status !== event.smokeTest.expectedStatus) return { url, answeredBy, smokeUrl, httpStatus: answer.status, error: `smoke test answered HTTP ${answer.status}, not ${event.smokeTest.expectedStatus}` };
  return { url, answeredBy, smokeUrl, httpStatus: answer.status };
}
