/**
 * The env-migrator command (the entry point that package.json "bin" and the npm scripts run; the
 * package build bundles it). The command line is cli/program.ts; each command lives in its own file,
 * imported only when it runs.
 */
import { EXIT_BUG } from './exit-codes';
import { runCli } from './program';

/** Exits once what was written reached stdout and stderr: a piped JSON result must not be cut short,
 *  and an open handle (an SDK socket, a simulator's timer) must not keep the process alive. */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

runCli(process.argv.slice(2)).then(exitAfterFlush, (err: unknown) => {
  // Not a usage error nor an AWS error: a bug. Its stack is what a report needs.
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  exitAfterFlush(EXIT_BUG);
});
