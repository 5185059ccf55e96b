/**
 * run-local: the synthesized definitions through the local executor, with every step on the default
 * AWS SDK configuration. Here "the real account" is the simulated one installed behind the SDK, which
 * is exactly what a handler on the default configuration meets; the command itself knows nothing of it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runLocalCommand } from '../../cli/run-local';
import { runOnSimulatedClock } from '../../local/clock';
import { SAMPLE_STACK, TARGET_VERSION, TEMPLATE_KEYS, TEST_SIZE, seedSampleEnvironment, templateUrl } from '../../local/sample-environment';
import { SimAccount } from '../../local/sim/account';
import { ensureWorkflowBucket } from '../../local/workflow-bucket';
import { installSimulatedAccount } from '../../local/sim/install';

// The steps' own logs (Powertools, JSON on stdout) are for CloudWatch; keep the test output readable.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  vi.restoreAllMocks();
});

describe('env-migrator run-local', () => {
  it('migrates through the default SDK configuration, publishing to the topic and locking in the table it is given', async () => {
    const account = new SimAccount();
    seedSampleEnvironment(account, TEST_SIZE);
    const topicArn = account.sns.createTopic('ops-alerts');
    account.dynamodb.createTable('migration-locks', 'stackName');
    // The workflow's bucket for manifests (STOPGAP: run-local will take it as an option once the construct has it).
    ensureWorkflowBucket(account);
    uninstall = installSimulatedAccount(account);
    const dir = mkdtempSync(join(tmpdir(), 'run-local-'));
    const inputFile = join(dir, 'migration.json');
    writeFileSync(inputFile, JSON.stringify({ stackName: SAMPLE_STACK, targetVersion: TARGET_VERSION, templateUrl: templateUrl(TEMPLATE_KEYS.target) }));
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));

    const code = await runOnSimulatedClock(() =>
      runLocalCommand(['--input', inputFile, '--topic-arn', topicArn, '--lock-table', 'migration-locks', '--name', 'debug-1', '--json']),
    );

    expect(code).toBe(0);
    const summary = JSON.parse(lines.at(-1)!) as { status: string; output: { stackName: string; version: string } };
    expect(summary.status).toBe('SUCCEEDED');
    expect(summary.output).toMatchObject({ stackName: SAMPLE_STACK, version: TARGET_VERSION });
    expect(lines.some((l) => l.includes('Delete the current environment'))).toBe(true);
    expect(account.sns.messages(topicArn)).toHaveLength(1);
    expect(account.dynamodb.items('migration-locks')).toEqual([]);
    expect(account.cloudformation.stackByName(SAMPLE_STACK)?.parameters.EnvironmentVersion).toBe(TARGET_VERSION);
  });

  it('refuses to start without the topic and the lock table, naming the missing options', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(String(line)));
    expect(await runLocalCommand(['--input', 'migration.json'])).toBe(2);
    expect(errors.join('\n')).toMatch(/--topic-arn.*--lock-table/);
  });
});
