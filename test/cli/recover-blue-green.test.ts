/**
 * `env-migrator recover` after a blue/green migration that failed before the switch (the
 * `stats-mismatch` scenario: the copy in the idle slot differs, the record is never switched): recover
 * never clones, refuses with exit 1 naming the slot that serves and what became of the idle one, and
 * only reads (Route 53, CloudFormation, Step Functions). One rehearsed execution for the file.
 */
import { beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { rehearse } from '../../local/rehearsal';
import { SAMPLE_STACK, TEST_SIZE } from '../../local/sample-environment';
import { SAMPLE_SLOT_B, blueGreenScenario } from '../../local/scenarios';
import { type RecoverRun, recoverOnAccount } from './recover-run';

let recovered: RecoverRun & { idleExists: boolean; executionArn: string };

beforeAll(async () => {
  await rehearse(blueGreenScenario('stats-mismatch'), {
    size: TEST_SIZE,
    afterRun: async ({ account, executionArn, lockTable }) => {
      recovered = { ...(await recoverOnAccount(account, executionArn, lockTable)), idleExists: account.cloudformation.stackByName(SAMPLE_SLOT_B) !== undefined, executionArn };
    },
  });
}, 120_000);

it('refuses with exit 1: nothing to recover, the live slot serves through the record, the idle slot (this run\'s differing copy) deleted', () => {
  const { code, result, err } = recovered;
  expect(code).toBe(EXIT.FAILED);
  expect(result).toMatchObject({ outcome: 'RECOVERY_REFUSED', survivor: SAMPLE_STACK, error: { name: 'RecoveryRefused' }, migrationStatus: 'FAILED' });
  expect(result.error!.cause).toMatch(new RegExp(`^nothing to recover: ${SAMPLE_STACK} serves \\(the record orders\\.example\\.internal points at it\\); the idle slot ${SAMPLE_SLOT_B} does not exist \\(this run's copy was deleted\\)`));
  expect(recovered.idleExists).toBe(false);
  expect(result.blueGreen).toMatchObject({ situation: 'FAILED_BEFORE_SWITCH', serving: SAMPLE_STACK, pointsAt: SAMPLE_STACK });
  expect(result.leftToDo).toEqual([`fix the cause, then start the migration again with stackName ${SAMPLE_STACK}`]);
  expect(err).toContain('switch record (entry-points/');
  expect(err).toContain('not written by this run');
});

it('never starts a Clone and writes nothing: it only reads the history, the record and both slots', () => {
  expect(recovered.clonesAfter).toBe(recovered.clonesBefore);
  expect(recovered.writes).toEqual([]);
});
