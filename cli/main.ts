/**
 * The env-migrator command. Each subcommand lives in its own file; this one only dispatches.
 */
// Loaded on use: rehearse and run-local bring the CDK and the local executor (1.6 s), which a
// pipeline's `env-migrator status` should not wait for.
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  rehearse: async (argv) => (await import('./rehearse')).rehearseCommand(argv),
  'run-local': async (argv) => (await import('./run-local')).runLocalCommand(argv),
  start: async (argv) => (await import('./start')).startCommand(argv),
  watch: async (argv) => (await import('./watch')).watchCommand(argv),
  status: async (argv) => (await import('./status')).statusCommand(argv),
  states: async () => (await import('./states')).statesCommand(),
  bench: async (argv) => (await import('./bench')).benchCommand(argv),
  faults: async (argv) => (await import('./faults')).faultsCommand(argv),
  mutants: async (argv) => (await import('./mutants')).mutantsCommand(argv),
};

const USAGE = `Usage: env-migrator <command> [options]

Commands:
  start        start a migration (--stack, --version); --wait follows it to its end
  watch        follow an execution state by state until it ends
  status       print an execution's status, error and output
  rehearse     rehearse a migration of the sample environment on a simulated AWS account
  run-local    run the synthesized definitions on this machine against a real AWS account or endpoint
  states       list every state of the synthesized Migrate and Clone definitions
  bench        measure the reference migration's downtime, cost and copy speed against the original script
  faults       run the fault matrix, randomized fault schedules and bad inputs on the simulated account
  mutants      mutation testing: how well the tests guard the safety cores, and which named bugs the end-to-end checks catch

Run "env-migrator <command> --help" for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
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
