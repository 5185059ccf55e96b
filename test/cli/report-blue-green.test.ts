/**
 * `env-migrator report` of a blue/green migration (the rehearsed `happy` run, one for the file): the
 * downtime window ends when the switch is in sync (the first entry of SWITCHED_STATE), not at a
 * second clone that does not exist; the page names the strategy, the live and previous slots, the
 * retire time, the rollback command and the record's TTL (outside the window), and draws the switch.
 */
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { beforeAll, expect, it } from 'vitest';
import { type ReportFigures, writeReport } from '../../cli/report';
import { readRun } from '../../cli/report-core';
import { rehearse } from '../../local/rehearsal';
import { SAMPLE_STACK, TEST_SIZE } from '../../local/sample-environment';
import { SAMPLE_SLOT_B, blueGreenScenario } from '../../local/scenarios';
import { STANDBY_STATE, SWITCHED_STATE } from '../../statemachine/downtime-states';

let figures: ReportFigures;
let html: string;
let expectedSeconds: number;

beforeAll(async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'report-bg-')), 'report.html');
  await rehearse(blueGreenScenario('happy'), {
    size: TEST_SIZE,
    afterRun: async ({ executionArn }) => {
      const sfn = new SFNClient({});
      figures = await writeReport(sfn, executionArn, path);
      const [root] = await readRun(sfn, executionArn);
      const entered = (name: string) => root!.events.find((e) => e.stateEnteredEventDetails?.name === name)!.timestamp!.getTime();
      expectedSeconds = (entered(SWITCHED_STATE) - entered(STANDBY_STATE)) / 1000;
    },
  });
  html = readFileSync(path, 'utf8');
}, 120_000);

it('ends the downtime at the switch in sync (the first entry of SWITCHED_STATE), and says so', () => {
  expect(figures.downtimeSeconds).toBe(expectedSeconds);
  expect(expectedSeconds).toBeGreaterThan(0);
  expect(html).toContain('the switch of the entry point in sync');
  expect(html).not.toContain('second clone ended');
});

it('names the strategy, the live and previous slots, the retire time, the rollback command and the record TTL', () => {
  expect(figures.blueGreen).toMatchObject({ liveSlot: SAMPLE_SLOT_B, previousSlot: SAMPLE_STACK, newSlot: SAMPLE_SLOT_B, rollbackCommand: 'env-migrator rollback --environment orders.example.internal', switchedBackAt: null });
  expect(figures.blueGreen!.retireAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(html).toContain(`blue-green: entry point orders.example.internal, slots ${SAMPLE_STACK} → ${SAMPLE_SLOT_B}`);
  expect(html).toContain(`${SAMPLE_STACK}, in standby as the rollback point`);
  expect(html).toContain(`the retire run deletes ${SAMPLE_STACK} at ${figures.blueGreen!.retireAt}`);
  expect(html).toContain('env-migrator rollback --environment orders.example.internal');
  expect(html).toContain("alias (A): Route 53 answers with the target&#39;s TTL".replace('&#39;', "'"));
});

it('draws the switch of the entry point on the downtime timeline', () => {
  expect(html).toContain('data-operation="switch entry point"');
});
