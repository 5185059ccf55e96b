import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateInput } from '../../lambdas/validate-input/core';
import { DEFAULT_WAITS, MAX_INPUT_BYTES } from '../../lambdas/shared/contracts';
import { InputInvalid } from '../../lambdas/shared/errors';
import { MIGRATION_TIMEOUT_SECONDS } from '../../lambdas/steps';

const execution = {
  id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1',
  name: 'run-1',
};
const valid = { stackName: 'orders-prod', targetVersion: '1.4.0' };
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:stats-token-AbCdEf';

function issuesOf(input: unknown): { field: string; problem: string }[] {
  try {
    validateInput({ input, execution });
  } catch (err) {
    expect(err).toBeInstanceOf(InputInvalid);
    expect((err as InputInvalid).name).toBe('InputInvalid');
    return (err as InputInvalid).issues;
  }
  throw new Error('input was accepted');
}

// Each case: a malformed input, the field its error must name, and a fragment of the problem.
const malformed: [string, unknown, string, RegExp][] = [
  ['missing stackName', { targetVersion: '1.4.0' }, 'stackName', /required/],
  ['missing targetVersion', { stackName: 'orders-prod' }, 'targetVersion', /required/],
  ['number targetVersion', { ...valid, targetVersion: 14 }, 'targetVersion', /expected string, got number/],
  ['empty targetVersion', { ...valid, targetVersion: '' }, 'targetVersion', /must not be empty/],
  ['unknown top-level key', { ...valid, dryRun: true }, 'dryRun', /unknown field/],
  ['unknown nested key in waits', { ...valid, waits: { snapshotSecs: 10 } }, 'waits.snapshotSecs', /unknown field/],
  ['unknown nested key in statistics.header', { ...valid, statistics: { header: { name: 'X-Token', secretArn: SECRET_ARN, value: 'x' } } }, 'statistics.header.value', /unknown field/],
  ['stack name with underscore', { ...valid, stackName: 'orders_prod' }, 'stackName', /must be a CloudFormation stack name/],
  ['stack name starting with a digit', { ...valid, stackName: '1orders' }, 'stackName', /must be a CloudFormation stack name/],
  ['stack name of 101 characters', { ...valid, stackName: 'a'.repeat(101) }, 'stackName', /at most 100 characters/],
  ['empty stack name', { ...valid, stackName: '' }, 'stackName', /stack name/],
  ['stack name with a space', { ...valid, stackName: 'orders prod' }, 'stackName', /stack name/],
  ['http:// template URL', { ...valid, templateUrl: 'http://my-bucket.s3.amazonaws.com/t.yaml' }, 'templateUrl', /https URL of a template in Amazon S3/],
  ['template URL on a non-S3 host', { ...valid, templateUrl: 'https://example.com/t.yaml' }, 'templateUrl', /Amazon S3/],
  ['template URL on a non-S3 AWS host', { ...valid, templateUrl: 'https://ec2.us-east-1.amazonaws.com/t.yaml' }, 'templateUrl', /Amazon S3/],
  ['template URL on a look-alike host', { ...valid, templateUrl: 'https://s3.amazonaws.com.evil.example/t.yaml' }, 'templateUrl', /Amazon S3/],
  ['waits.snapshotSeconds 0', { ...valid, waits: { snapshotSeconds: 0 } }, 'waits.snapshotSeconds', /at least 1/],
  ['waits.snapshotSeconds -1', { ...valid, waits: { snapshotSeconds: -1 } }, 'waits.snapshotSeconds', /at least 1/],
  ['waits.snapshotSeconds 1e9', { ...valid, waits: { snapshotSeconds: 1e9 } }, 'waits.snapshotSeconds', /at most 86400/],
  ['waits.snapshotSeconds 1.5', { ...valid, waits: { snapshotSeconds: 1.5 } }, 'waits.snapshotSeconds', /whole number/],
  ['waits.snapshotSeconds "10"', { ...valid, waits: { snapshotSeconds: '10' } }, 'waits.snapshotSeconds', /expected number, got string/],
  ['waits.standbySeconds null', { ...valid, waits: { standbySeconds: null } }, 'waits.standbySeconds', /expected number, got null/],
  ['waits as an array', { ...valid, waits: [1] }, 'waits', /expected object, got array/],
  ['smokeTest.path without slash', { ...valid, smokeTest: { path: 'health' } }, 'smokeTest.path', /starting with \//],
  ['smokeTest.expectedStatus 700', { ...valid, smokeTest: { expectedStatus: 700 } }, 'smokeTest.expectedStatus', /at most 599/],
  ['header with a secret value instead of an ARN', { ...valid, statistics: { header: { name: 'X-Token', secretArn: 'hunter2-sup3r-s3cret' } } }, 'statistics.header.secretArn', /Secrets Manager secret ARN/],
  ['header without its ARN', { ...valid, statistics: { header: { name: 'X-Token' } } }, 'statistics.header.secretArn', /required/],
  ['header name with a colon', { ...valid, statistics: { header: { name: 'X-Token:', secretArn: SECRET_ARN } } }, 'statistics.header.name', /HTTP header name/],
  ['statistics.outputKey with a dash', { ...valid, statistics: { outputKey: 'Stats-Url' } }, 'statistics.outputKey', /output key/],
  ["SQL injection in targetVersion", { ...valid, targetVersion: "'; DROP TABLE users;--" }, 'targetVersion', /version label/],
  ['shell injection in targetVersion', { ...valid, targetVersion: '$(rm -rf /)' }, 'targetVersion', /version label/],
  ['script tag in targetVersion', { ...valid, targetVersion: '<script>alert(1)</script>' }, 'targetVersion', /version label/],
  ['targetVersion of 65 characters', { ...valid, targetVersion: '1'.repeat(65) }, 'targetVersion', /at most 64 characters/],
  ['parameters with a non-string value', { ...valid, parameters: { DbPassword: 12345 } }, 'parameters.DbPassword', /expected string, got number/],
  ['parameters with a bad name', { ...valid, parameters: { 'Db Password': 'x' } }, 'parameters.Db Password', /parameter name/],
  ['parameters as a string', { ...valid, parameters: 'DbPassword=x' }, 'parameters', /expected record|expected object/],
  ['retainOriginalSnapshots as a string', { ...valid, retainOriginalSnapshots: 'yes' }, 'retainOriginalSnapshots', /expected boolean, got string/],
  ['null input', null, '(input)', /expected object, got null/],
  ['array input', [valid], '(input)', /expected object, got array/],
  ['string input', 'orders-prod', '(input)', /expected object, got string/],
  ['missing input', undefined, '(input)', /must be a JSON object/],
  ['input over the size limit', { ...valid, parameters: { Big: 'x'.repeat(4096) }, padding: 'y'.repeat(MAX_INPUT_BYTES) }, '(input)', /at most 32768 bytes/],
];

describe('validate-input', () => {
  it.each(malformed)('rejects %s, naming its field', (_name, input, field, problem) => {
    const issues = issuesOf(input);
    const issue = issues.find((i) => i.field === field);
    expect(issue, `issues were ${JSON.stringify(issues)}`).toBeDefined();
    expect(issue?.problem).toMatch(problem);
  });

  it('has at least 30 malformed cases', () => {
    expect(malformed.length).toBeGreaterThanOrEqual(30);
  });

  it('reports every bad field at once, one issue per unknown key', () => {
    const issues = issuesOf({ stackName: 'a_b', targetVersion: 5, extra: 1, more: 2, waits: { snapshotSeconds: 0, foo: 1 } });
    expect(issues.map((i) => i.field).sort()).toEqual(['extra', 'more', 'stackName', 'targetVersion', 'waits.foo', 'waits.snapshotSeconds']);
  });

  it('never quotes a rejected value, so a pasted secret stays out of logs', () => {
    try {
      validateInput({ input: { ...valid, statistics: { header: { name: 'X-Token', secretArn: 'hunter2-sup3r-s3cret' } } }, execution });
      expect.fail('accepted');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
      expect(JSON.stringify((err as InputInvalid).issues)).not.toContain('hunter2');
    }
  });

  it('rejects a non-JSON input (circular) as a whole', () => {
    const circular: Record<string, unknown> = { ...valid };
    circular.self = circular;
    expect(issuesOf(circular)).toEqual([{ field: '(input)', problem: 'must be a JSON object' }]);
  });

  it('accepts a minimal input and applies every default', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    const result = validateInput({ input: valid, execution }, now);
    expect(result.input).toEqual({
      stackName: 'orders-prod',
      targetVersion: '1.4.0',
      parameters: {},
      secretParameters: {},
      statistics: { outputKey: 'StatisticsUrl', timeoutSeconds: 10 },
      waits: { ...DEFAULT_WAITS },
      retainOriginalSnapshots: false,
      objectVersions: 'all',
      acceptUncopiedResources: [],
      strategy: 'double-clone',
      liveSync: false,
      liveSyncFallback: 'refuse',
    });
    expect(result.execution).toEqual(execution);
    const runId = createHash('sha256').update(execution.id).digest('hex').slice(0, 8);
    expect(result.runId).toBe(runId);
    expect(result.runId).toMatch(/^[0-9a-f]{8}$/);
    expect(result.tempStackName).toBe(`orders-prod-tmp-${runId}`);
    expect(result.lockExpiresAt).toBe(now.getTime() / 1000 + MIGRATION_TIMEOUT_SECONDS);
  });

  it('accepts a full input, keeps given values and fills defaults of nested objects', () => {
    const input = {
      stackName: 'Orders-Prod-2',
      targetVersion: '2.0.0-rc.1+build.5',
      templateUrl: 'https://my-bucket.s3.eu-west-1.amazonaws.com/templates/env%201.yaml',
      parameters: { InstanceType: 't3.small', DbPassword: 'x' },
      statistics: { header: { name: 'X-Stats-Token', secretArn: SECRET_ARN } },
      smokeTest: { path: '/healthz' },
      waits: { snapshotSeconds: 600 },
      retainOriginalSnapshots: true,
    };
    const { input: out } = validateInput({ input, execution });
    expect(out.templateUrl).toBe(input.templateUrl);
    expect(out.statistics).toEqual({ outputKey: 'StatisticsUrl', timeoutSeconds: 10, header: input.statistics.header });
    expect(out.smokeTest).toEqual({ outputKey: 'ServiceUrl', path: '/healthz', expectedStatus: 200, timeoutSeconds: 5 });
    expect(out.waits).toEqual({ ...DEFAULT_WAITS, snapshotSeconds: 600 });
    expect(out.retainOriginalSnapshots).toBe(true);
  });

  it.each([
    'https://s3.amazonaws.com/my-bucket/t.yaml',
    'https://my-bucket.s3.amazonaws.com/t.yaml',
    'https://s3.eu-west-1.amazonaws.com/my-bucket/t.yaml',
    'https://my.dotted.bucket.s3.us-east-1.amazonaws.com/t.json',
    'https://s3-us-west-2.amazonaws.com/my-bucket/t.yaml',
    'https://my-bucket.s3.cn-north-1.amazonaws.com.cn/t.yaml',
  ])('accepts the S3 template URL %s', (templateUrl) => {
    expect(validateInput({ input: { ...valid, templateUrl }, execution }).input.templateUrl).toBe(templateUrl);
  });

  it('gives different executions different run ids and temporary stacks, the same execution the same', () => {
    const a = validateInput({ input: valid, execution });
    const b = validateInput({ input: valid, execution: { id: `${execution.id}-2`, name: 'run-2' } });
    expect(a.runId).not.toBe(b.runId);
    expect(validateInput({ input: valid, execution }).tempStackName).toBe(a.tempStackName);
  });

  it('accepts secretParameters as parameter name → secret ARN, full or partial', () => {
    const secretParameters = { DbPassword: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/db-AbCdEf', ApiToken: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/api' };
    expect(validateInput({ input: { ...valid, secretParameters }, execution }).input.secretParameters).toEqual(secretParameters);
  });

  it('rejects malformed secretParameters naming the field, never quoting the value', () => {
    expect(issuesOf({ ...valid, secretParameters: { DbPassword: 'hunter2' } })).toEqual([{ field: 'secretParameters.DbPassword', problem: 'must be a Secrets Manager secret ARN' }]);
    expect(issuesOf({ ...valid, secretParameters: ['DbPassword'] }).map((i) => i.field)).toEqual(['secretParameters']);
    expect(issuesOf({ ...valid, secretParameters: { 'Db Password': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x' } }).map((i) => i.field)).toEqual(['secretParameters.Db Password']);
    expect(JSON.stringify(issuesOf({ ...valid, secretParameters: { DbPassword: 'hunter2' } }))).not.toContain('hunter2');
  });

  it('rejects a parameter given both in parameters and in secretParameters, naming it', () => {
    const input = { ...valid, parameters: { DbPassword: 'x' }, secretParameters: { DbPassword: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/db-AbCdEf' } };
    expect(issuesOf(input)).toEqual([{ field: 'secretParameters.DbPassword', problem: 'also given in parameters: a parameter takes its value from one place' }]);
  });

  it('rejects waits that could not all be honoured before the execution itself times out, naming waits', () => {
    // Each within its own bound, but a clone would need 22 h 30 min of its 18 h.
    const waits = { ...DEFAULT_WAITS, snapshotSeconds: 12 * 3600, stackCreateSeconds: 6 * 3600, stackDeleteSeconds: 3600 };
    expect(() => validateInput({ input: { ...valid, waits }, execution })).toThrow(/waits: snapshot, stack creation, stack deletion and smoke test waits add up to/);
    expect(() => validateInput({ input: { ...valid, waits: { ...DEFAULT_WAITS, stackDeleteSeconds: 4 * 3600 } }, execution })).toThrow(/^Input rejected: waits: standby \(twice\) and stack deletion/);
    expect(validateInput({ input: { ...valid, waits: DEFAULT_WAITS }, execution }).input.waits).toEqual(DEFAULT_WAITS);
  });

  it('keeps the temporary stack name within the CloudFormation limit of 128 characters', () => {
    const result = validateInput({ input: { ...valid, stackName: 'a'.repeat(100) }, execution });
    expect(result.tempStackName.length).toBeLessThanOrEqual(128);
  });
});

describe('validate-input handler', () => {
  it('rejects bad input with the InputInvalid name the state machine catches', async () => {
    const { handler } = await import('../../lambdas/validate-input/handler');
    await expect(handler({ input: null, execution })).rejects.toMatchObject({ name: 'InputInvalid' });
  });

  it('returns the normalized input', async () => {
    const { handler } = await import('../../lambdas/validate-input/handler');
    await expect(handler({ input: valid, execution })).resolves.toMatchObject({ input: { stackName: 'orders-prod' } });
  });
});

describe('validateInput: acceptUncopiedResources', () => {
  const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
  it('keeps the logical IDs of uncopied resources the input accepts to leave without their data', () => {
    const out = validateInput({ input: { stackName: 'orders-prod', targetVersion: '1.4.0', acceptUncopiedResources: ['SessionsTable', 'SharedFiles'] }, execution });
    expect(out.input.acceptUncopiedResources).toEqual(['SessionsTable', 'SharedFiles']);
  });
  it('rejects an entry that is no logical ID, or a list that is not one, naming the field', () => {
    expect(() => validateInput({ input: { stackName: 'orders-prod', targetVersion: '1.4.0', acceptUncopiedResources: ['Sessions-Table'] }, execution })).toThrow(
      /acceptUncopiedResources\.0: must be a CloudFormation logical ID/,
    );
    expect(() => validateInput({ input: { stackName: 'orders-prod', targetVersion: '1.4.0', acceptUncopiedResources: 'SessionsTable' }, execution })).toThrow(/acceptUncopiedResources: expected array, got string/);
  });
});

describe('validateInput: liveSync', () => {
  const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
  const base = { stackName: 'orders-prod', targetVersion: '1.4.0' };
  it('takes liveSync with either fallback, "refuse" by default, and a replica catch-up wait of 30 minutes unless told', () => {
    const out = validateInput({ input: { ...base, liveSync: true }, execution });
    expect(out.input).toMatchObject({ liveSync: true, liveSyncFallback: 'refuse', waits: { replicaCatchUpSeconds: 1800 } });
    expect(validateInput({ input: { ...base, liveSync: true, liveSyncFallback: 'snapshots' }, execution }).input.liveSyncFallback).toBe('snapshots');
  });
  it('refuses, naming the field, a fallback without liveSync and retainOriginalSnapshots with it (no snapshot of the original is taken to keep)', () => {
    expect(() => validateInput({ input: { ...base, liveSyncFallback: 'snapshots' }, execution })).toThrow(/liveSyncFallback: only with liveSync true/);
    expect(() => validateInput({ input: { ...base, liveSync: true, retainOriginalSnapshots: true }, execution })).toThrow(/retainOriginalSnapshots: not with liveSync/);
    expect(() => validateInput({ input: { ...base, liveSync: true, liveSyncFallback: 'maybe' }, execution })).toThrow(/liveSyncFallback/);
  });
});
