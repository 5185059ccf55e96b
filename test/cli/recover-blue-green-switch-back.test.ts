/**
 * `env-migrator recover` after a blue/green migration whose compensation did not finish: the smoke
 * test through the record fails after the switch (`smoke-fails-through-record`) and the switch back
 * is refused by Route 53 too, so the record still points at the new slot. recover never clones; it
 * refuses with exit 1, says what the record and both slots are now (read through Route 53 and
 * CloudFormation), and names the rollback command, the switch record being open. One rehearsed
 * execution for the file.
 */
import { beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { taskHooks } from '../../local/faults/state-context';
import { recordTarget } from '../../local/invariants-blue-green';
import { rehearse } from '../../local/rehearsal';
import { SAMPLE_RECORD_NAME, SAMPLE_STACK, TEST_SIZE } from '../../local/sample-environment';
import { SAMPLE_SLOT_B, type Scenario, blueGreenScenario } from '../../local/scenarios';
import { type RecoverRun, recoverOnAccount } from './recover-run';

let recovered: RecoverRun & { recordSlot: string | undefined };

beforeAll(async () => {
  const base = blueGreenScenario('smoke-fails-through-record');
  const s: Scenario = {
    ...base,
    name: 'switch-back-refused',
    arm: (context) => {
      base.arm(context);
      const previous = taskHooks.beforeTask;
      taskHooks.beforeTask = async (state) => {
        await previous?.(state);
        if (state.state === 'Switch the entry point back') throw Object.assign(new Error('injected: the switch back is refused'), { name: 'InvalidChangeBatch' });
      };
    },
  };
  try {
    await rehearse(s, {
      size: TEST_SIZE,
      afterRun: async ({ account, executionArn, lockTable }) => {
        taskHooks.beforeTask = undefined;
        const run = await recoverOnAccount(account, executionArn, lockTable);
        const migrate = account.sfn.executions.get(executionArn)!;
        const entryPoint = (JSON.parse(migrate.input) as { entryPoint: { hostedZoneId: string; recordName: string } }).entryPoint;
        const recordSlot = recordTarget(account, { entryPoint, slots: [SAMPLE_STACK, SAMPLE_SLOT_B] }).slot?.stackName;
        recovered = { ...run, recordSlot };
      },
    });
  } finally {
    taskHooks.beforeTask = undefined;
  }
}, 120_000);

it('refuses with exit 1 saying the record still points at the new slot and the switch record is open, and names the rollback command', () => {
  const { code, result, err } = recovered;
  expect(recovered.recordSlot).toBe(SAMPLE_SLOT_B);
  expect(code).toBe(EXIT.FAILED);
  expect(result).toMatchObject({ outcome: 'RECOVERY_REFUSED', survivor: SAMPLE_SLOT_B, error: { name: 'RecoveryRefused' } });
  expect(result.blueGreen).toMatchObject({ situation: 'COMPENSATION_INCOMPLETE', serving: SAMPLE_SLOT_B, pointsAt: SAMPLE_SLOT_B });
  expect(result.error!.cause).toContain(`the switch back did not happen (InvalidChangeBatch: injected: the switch back is refused): the record ${SAMPLE_RECORD_NAME} still points at the new slot ${SAMPLE_SLOT_B}`);
  expect((result.leftToDo as string[])[0]).toMatch(new RegExp(`^switch back with env-migrator rollback --environment ${SAMPLE_RECORD_NAME.replace(/\./g, '\\.')}: the switch record is open`));
  expect(err).toContain('OPEN (env-migrator rollback acts on it)');
  expect(err).toMatch(new RegExp(`record ${SAMPLE_RECORD_NAME.replace(/\./g, '\\.')}: A alias → \\S+ \\(${SAMPLE_SLOT_B}\\); this run's switch \\S+ is INSYNC`));
});

it('never starts a Clone and writes nothing', () => {
  expect(recovered.clonesAfter).toBe(recovered.clonesBefore);
  expect(recovered.writes).toEqual([]);
});
