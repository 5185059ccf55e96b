/**
 * The env-migrator command. Each subcommand lives in its own file; this one only dispatches.
 */
import { rehearseCommand } from './rehearse';
import { runLocalCommand } from './run-local';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  rehearse: rehearseCommand,
  'run-local': runLocalCommand,
};

const USAGE = `Usage: env-migrator <command> [options]

Commands:
  rehearse     rehearse a migration of the sample environment on a simulated AWS account
  run-local    run the synthesized definitions on this machine against a real AWS account or endpoint

Run "env-migrator <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    console.error(command ? `Unknown command "${command}".\n\n${USAGE}` : USAGE);
    return 2;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(70);
  },
);
