/**
 * Runs `env-migrator recover <arn> --json` on the simulated account as a rehearsal left it, and
 * records what it did: its exit code and JSON result, what it printed, every AWS call it made that is
 * not a read (Describe/Get/List), and the Clone executions before and after (recover of a blue/green
 * run must start none).
 */
import { runCli } from '../../cli/program';
import type { CliResult } from '../../cli/result';
import { runOnSimulatedClock } from '../../local/clock';
import type { SimAccount } from '../../local/sim/account';
import { terminal } from './terminal';

const READ_ONLY = /^(Describe|Get|List)/;

export interface RecoverRun {
  code: number;
  result: CliResult;
  err: string;
  /** `Service.Operation` of every call that is not a read. */
  writes: string[];
  clonesBefore: number;
  clonesAfter: number;
}

export async function recoverOnAccount(account: SimAccount, executionArn: string, lockTable: string): Promise<RecoverRun> {
  const clones = () => [...account.sfn.executions.values()].filter((x) => /:stateMachine:Clone/.test(x.stateMachineArn)).length;
  const clonesBefore = clones();
  const callsBefore = account.calls.length;
  const t = terminal();
  const code = await runOnSimulatedClock(() => runCli(['recover', executionArn, '--table', lockTable, '--json'], t.deps), account.now());
  const writes = account.calls.slice(callsBefore).filter((c) => !READ_ONLY.test(c.operation)).map((c) => `${c.service}.${c.operation}`);
  return { code, result: t.json(), err: t.err.join('\n'), writes, clonesBefore, clonesAfter: clones() };
}
