/**
 * `rehearse --recover`: after the rehearsed migration, the rehearsal runs `env-migrator recover` as the
 * notification says (the scenario's faults cleared: the operator fixed the cause) and reports what it
 * finds on the account, in its own summary and in its one JSON result (`recovery`).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { ioOf } from '../../cli/io';
import { runCli } from '../../cli/program';
import { rehearseCommand } from '../../cli/rehearse';
import { cliResultSchema } from '../../cli/result';
import { SAMPLE_STACK, SAMPLE_VERSION, TARGET_VERSION, TEST_SIZE } from '../../local/sample-environment';
import { terminal } from './terminal';

it('stats-mismatch-second-clone --recover: runs the recover command the notification names, which recreates the environment at the target version with all its data and releases the lock; exit 0, the recovery in the one JSON result', async () => {
  const out: string[] = [];
  const err: string[] = [];
  // As `npm run rehearse -- --scenario stats-mismatch-second-clone --recover --json`, on the tests' smaller sample.
  const code = await rehearseCommand(ioOf({ out: (l) => out.push(l), err: (l) => err.push(l) }), { scenario: 'stats-mismatch-second-clone', json: true, recover: true, size: TEST_SIZE });

  const result = cliResultSchema.parse(JSON.parse(out.at(-1) ?? '{}'));
  // The migration's own verdict stays; the exit code says the environment is back, verified.
  expect(result).toMatchObject({ outcome: 'FAILED', exitCode: EXIT.SUCCEEDED, error: { name: 'StatisticsMismatch' } });
  expect(code).toBe(EXIT.SUCCEEDED);
  expect(result.recovery).toMatchObject({
    command: `env-migrator recover ${result.executionArn}`,
    outcome: 'RECOVERED',
    exitCode: EXIT.SUCCEEDED,
    survivor: SAMPLE_STACK,
    stackName: SAMPLE_STACK,
    stackStatus: 'CREATE_COMPLETE',
    version: TARGET_VERSION,
    dataIntact: true,
    lockReleased: true,
    faultsCleared: { armed: 0, silent: ['restoreDropsRows'] },
  });
  expect(result.recovery).not.toHaveProperty('differences');
  const text = err.join('\n');
  expect(text).toContain('── Recovering, as the notification says');
  expect(text).toContain(`  $ env-migrator recover ${result.executionArn}`);
  expect(text).toContain(`recovered: ${SAMPLE_STACK} is back at version ${TARGET_VERSION}`);
  expect(text).toMatch(/recovery +RECOVERED \(recover exit 0\)/);
  // Every stdout line before the result is one of the migration's events: none of the recovery's Clone, no second result.
  const events = out.slice(0, -1).map((l) => JSON.parse(l) as { event?: string; execution?: string });
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) {
    expect(e.event).toMatch(/^(state|heartbeat)$/);
    expect(e.execution).not.toMatch(/-r\d+$/);
  }
}, 120_000);

it('termination-protected --recover: recover finds nothing to recover (the original never left), the original checked intact; the exit code stays the failed migration\'s', async () => {
  const t = terminal();
  expect(await runCli(['rehearse', '--scenario', 'termination-protected', '--recover', '--json'], t.deps)).toBe(EXIT.FAILED);
  const result = t.json();
  expect(result).toMatchObject({ outcome: 'FAILED', exitCode: EXIT.FAILED, error: { name: 'PreflightFailed' }, survivor: SAMPLE_STACK });
  expect(result.recovery).toMatchObject({
    outcome: 'NOTHING_TO_RECOVER',
    exitCode: EXIT.SUCCEEDED,
    survivor: SAMPLE_STACK,
    stackStatus: 'CREATE_COMPLETE',
    version: SAMPLE_VERSION,
    dataIntact: true,
    lockReleased: true,
  });
  expect(t.err).toContain(`  $ env-migrator recover ${result.executionArn}`);
  expect(t.err.some((l) => l.includes('nothing to recover: the original orders-prod holds the data'))).toBe(true);
}, 120_000);

it('blue-green smoke-fails-through-record --recover: recover refuses (no Clone: the previous slot serves again, the new slot kept for inspection); the rehearsal does not crash and keeps the migration\'s exit code', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const page = join(mkdtempSync(join(tmpdir(), 'rehearse-bg-')), 'report.html');
  const code = await rehearseCommand(ioOf({ out: (l) => out.push(l), err: (l) => err.push(l) }), { scenario: 'smoke-fails-through-record', strategy: 'blue-green', json: true, recover: true, report: page, size: TEST_SIZE });
  const result = cliResultSchema.parse(JSON.parse(out.at(-1) ?? '{}'));
  expect(code).toBe(EXIT.FAILED);
  expect(result).toMatchObject({ outcome: 'FAILED', exitCode: EXIT.FAILED, survivor: SAMPLE_STACK });
  expect(result.recovery).toMatchObject({ outcome: 'RECOVERY_REFUSED', exitCode: EXIT.FAILED, survivor: SAMPLE_STACK, stackStatus: 'CREATE_COMPLETE', version: SAMPLE_VERSION, dataIntact: true, lockReleased: true });
  expect(result.recovery).not.toHaveProperty('recoveryExecutionArn');
  const text = err.join('\n');
  expect(text).toContain('is a blue/green migration (recover never clones one)');
  expect(text).toContain(`nothing to recover: ${SAMPLE_STACK} serves again`);
  expect(text).toContain('left to do: inspect orders-prod-b');
  // The report of the same run draws the switch and the switch back; its downtime lasts until the previous slot is back in service.
  expect(result.report).toMatchObject({ blueGreen: { liveSlot: SAMPLE_STACK, retireAt: null, rollbackCommand: null } });
  expect((result.report as { blueGreen: { switchedBackAt: number | null } }).blueGreen.switchedBackAt).not.toBeNull();
  const html = readFileSync(page, 'utf8');
  expect(html).toContain('data-operation="switch entry point"');
  expect(html).toContain('data-operation="switch back"');
  expect(html).toContain('the previous slot back in service after the switch back');
}, 120_000);
