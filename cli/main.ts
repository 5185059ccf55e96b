/**
 * The env-migrator command (the entry point that package.json "bin" and the npm scripts run; the
 * package build bundles it). The command line is cli/program.ts; each command lives in its own file,
 * imported only when it runs.
 */
import { runCli } from './program';

runCli(process.argv.slice(2)).then(
  (code) => {
    // Let stdout drain (a piped JSON result) before leaving.
    process.exitCode = code;
  },
  (err: unknown) => {
    // Not a usage error nor an AWS error: a bug. Its stack is what a report needs.
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(70);
  },
);
