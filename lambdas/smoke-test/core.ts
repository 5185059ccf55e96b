import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SmokeTestEvent, SmokeTestResult } from '../shared/contracts';
import { WaitTimedOut } from '../shared/errors';
import { httpGet, type FetchLike } from '../shared/http';
import { describeStack } from '../shared/stacks';
import { advanceWait, BACKOFF } from '../shared/wait';

export interface SmokeTestDeps {
  cfn: CloudFormationClient;
  fetch: FetchLike;
}

/**
 * Clone, "smoke test", once the destination stack is complete: one GET of the environment's base
 * URL (a stack output) plus the configured path. Returns READY when it answers the expected status,
 * else PENDING with the probe recorded (other status, timeout, network error, output missing) and
 * the wait state for the next try. Throws WaitTimedOut, quoting the last probe, once the smoke test
 * has not passed within its timeout; raw SDK errors from DescribeStacks propagate.
 */
export async function smokeTest(deps: SmokeTestDeps, event: SmokeTestEvent, now: () => Date = () => new Date()): Promise<SmokeTestResult> {
  const { smokeTest: config, stackName } = event;
  const label = `smoke test of stack ${stackName} (GET ${config.path} answering ${config.expectedStatus})`;
  const probe = await probeOnce(deps, event);
  const status = probe.httpStatus === config.expectedStatus ? 'READY' : 'PENDING';
  try {
    return { status, probe, wait: advanceWait(event, label, BACKOFF.smokeTest, status === 'READY', now()) };
  } catch (err) {
    if (err instanceof WaitTimedOut) err.message += `; last probe: ${describeProbe(probe)}`;
    throw err;
  }
}

async function probeOnce(deps: SmokeTestDeps, event: SmokeTestEvent): Promise<SmokeTestResult['probe']> {
  const { smokeTest: config, stackName } = event;
  const stack = await describeStack(deps.cfn, stackName);
  const base = stack?.Outputs?.find((o) => o.OutputKey === config.outputKey)?.OutputValue;
  if (!stack) return { url: '', error: `stack ${stackName} does not exist` };
  if (!base) return { url: '', error: `stack ${stackName} has no output ${config.outputKey}` };
  // The path starts with '/', so a base URL ending in '/' would otherwise give '//health'.
  const url = `${base.replace(/\/+$/, '')}${config.path}`;
  const expectsRedirect = config.expectedStatus >= 300 && config.expectedStatus <= 399;
  const answer = await httpGet(deps.fetch, url, { timeoutMs: config.timeoutSeconds * 1000, redirect: expectsRedirect ? 'manual' : 'follow' });
  return answer.reason !== undefined ? { url, error: answer.reason } : { url, httpStatus: answer.status };
}

function describeProbe(probe: SmokeTestResult['probe']): string {
  const target = probe.url || '(no URL)';
  return probe.httpStatus !== undefined ? `${target} answered HTTP ${probe.httpStatus}` : `${target}: ${probe.error ?? 'no answer'}`;
}
