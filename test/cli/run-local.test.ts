/**
 * run-local: the synthesized definitions through the local executor, with every step on the default
 * AWS SDK configuration. Here "the real account" is the simulated one installed behind the SDK, which
 * is exactly what a handler on the default configuration meets; the command itself knows nothing of it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program';
import { runOnSimulatedClock } from '../../local/clock';
import { SAMPLE_STACK, TARGET_VERSION, TEMPLATE_KEYS, TEST_SIZE, seedSampleEnvironment, templateUrl } from '../../local/sample-environment';
import { SimAccount } from '../../local/sim/account';
import { installSimulatedAccount } from '../../local/sim/install';

// The steps' own logs (Powertools, JSON on stdout) are for CloudWatch; keep the test output readable.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
});

describe('env-migrator run-local', () => {
  it('migrates through the default SDK configuration, publishing to the topic, locking in the table and keeping documents in the bucket it is given', async () => {
    const account = new SimAccount();
    seedSampleEnvironment(account, TEST_SIZE);
    const topicArn = account.sns.createTopic('ops-alerts');
    account.dynamodb.createTable('migration-locks', 'stackName');
    account.s3.createBucket('migration-documents');
    uninstall = installSimulatedAccount(account);
    const dir = mkdtempSync(join(tmpdir(), 'run-local-'));
    const inputFile = join(dir, 'migration.json');
    writeFileSync(inputFile, JSON.stringify({ stackName: SAMPLE_STACK, targetVersion: TARGET_VERSION, templateUrl: templateUrl(TEMPLATE_KEYS.target) }));
    const out: string[] = [];
    const err: string[] = [];

    const code = await runOnSimulatedClock(() =>
      runCli(['run-local', '--input', inputFile, '--topic-arn', topicArn, '--lock-table', 'migration-locks', '--workflow-bucket', 'migration-documents', '--name', 'debug-1', '--json'], {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
      }),
    );

    expect(code).toBe(0);
    // Under --json the progress is on stderr and the summary alone on stdout.
    expect(out).toHaveLength(1);
    const summary = JSON.parse(out[0]!) as { status: string; output: { stackName: string; version: string } };
    expect(summary.status).toBe('SUCCEEDED');
    expect(summary.output).toMatchObject({ stackName: SAMPLE_STACK, version: TARGET_VERSION });
    expect(err.some((l) => l.includes('Delete the current environment'))).toBe(true);
    expect(account.sns.messages(topicArn)).toHaveLength(1);
    expect(account.dynamodb.items('migration-locks')).toEqual([]);
    expect(account.s3.objectCount('migration-documents')).toBeGreaterThan(0);
    expect(account.cloudformation.stackByName(SAMPLE_STACK)?.parameters.EnvironmentVersion).toBe(TARGET_VERSION);
  });

  it('refuses to start without the topic, the lock table and the workflow bucket, naming the missing options', async () => {
    const errors: string[] = [];
    expect(await runCli(['run-local', '--input', 'migration.json'], { out: () => undefined, err: (l) => errors.push(l) })).toBe(2);
    expect(errors.join('\n')).toMatch(/--topic-arn.*--lock-table.*--workflow-bucket/);
  });
});
