/**
 * The env-migrator command line, on commander: every command, its options and its help, and how a
 * run ends — the exit code, and a usage error as one line on stderr (plus one JSON result on stdout
 * under --json), never a stack trace. Each command's module is imported only when that command runs:
 * rehearse, run-local, states, bench, faults and mutants bring the CDK and the local executor, which
 * a pipeline's `env-migrator status` must not wait for.
 */
import { Command, CommanderError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import type { ExecutionArn } from './arn';
import { EXIT, EXIT_CODE_HELP } from './exit-codes';
import { type CliDeps, type Io, ioOf } from './io';
import {
  DEFAULT_FAULT_RUNS,
  DEFAULT_INIT_IMPORTS,
  DEFAULT_MIGRATOR_STACK,
  DEFAULT_POLL_SECONDS,
  DEFAULT_SCENARIO,
  FAULT_PARTS,
  STATE_MACHINE_ARN_ENV,
  STATE_MACHINE_OUTPUT,
  collectParameter,
  integerAtLeast,
  parseBenchSize,
  parseExecutionArnArgument,
  parseFaultParts,
  parseInterval,
  parseStateMachineArn,
} from './options';
import { UsageError, usageError } from './result';

export const PROGRAM = 'env-migrator';
export const VERSION: string = packageJson.version;

/**
 * Help that lists what only a command's own (heavier) modules know — the scenarios, the fault kinds,
 * the named mutants. Loaded before parsing, and only when help for that command is asked for.
 */
const HELP_EXTRAS: Record<string, () => Promise<string>> = {
  // All three lists: the double clone's, --strategy blue-green's, and those after a blue/green switch.
  rehearse: async () => (await import('./rehearse')).rehearseHelp(),
  faults: async () => (await import('./faults')).faultsHelp(),
  mutants: async () => (await import('./mutants')).mutantsHelp(),
};

const AWS_COMMAND_HELP = `AWS credentials come from the standard AWS SDK configuration (AWS_PROFILE, AWS_REGION...); the
region of an execution or a state machine is the one its ARN names.

With --json, the lines for people go to stderr and stdout holds one JSON result (watch: its events first, the result last):
  {"outcome", "exitCode", "survivor", "error": {"name", "cause"} | null, "executionArn", ...}
(README, "With the env-migrator command").

${EXIT_CODE_HELP}`;

/** What the parsed options of a command look like before they are checked and typed. */
type Flags = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const flag = (v: unknown): boolean => v === true;

/** The flags of a migration's input, shared by start and plan: each overrides the same field of --input. */
function withInputOptions(c: Command): Command {
  return c
    .option('--stack <name>', "the environment's CloudFormation stack (stackName)")
    .option('--target-version <version>', 'the target version (targetVersion)')
    .option('--template-url <url>', "the new version's template in Amazon S3 (templateUrl); absent: the current template")
    .option('--parameter <Key=Value>', 'a parameter override (parameters), repeatable', collectParameter)
    .option('--input <file.json>', 'the whole execution input (README "Execution input")');
}

/** What withInputOptions parsed. */
function inputFlags(o: Flags) {
  return {
    stack: str(o.stack),
    targetVersion: str(o.targetVersion),
    templateUrl: str(o.templateUrl),
    parameter: Array.isArray(o.parameter) ? o.parameter.map(String) : [],
    input: str(o.input),
  };
}

/**
 * Builds the program. `done` receives the exit code of the command that ran. Output goes through
 * `io` (help on stdout, errors handled by runCli), and no path calls process.exit.
 */
export function buildProgram(io: Io, done: (code: number) => void, extraHelp: Record<string, string> = {}): Command {
  const program = new Command(PROGRAM)
    .description('Migrates a stateful CloudFormation environment to a new template version without losing its data, with the Migrate state machine.')
    .version(VERSION, '-V, --version', 'print the version of env-migrator')
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', 'show the help of a command')
    // Options of env-migrator itself only before the command: after it, `start --version` is start's own.
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, '')),
      writeErr: (text) => io.err(text.replace(/\n$/, '')),
      // Parse errors are printed by runCli, as one line (and a JSON result under --json).
      outputError: () => undefined,
    })
    .addHelpText('after', `\nRun "${PROGRAM} help <command>" or "${PROGRAM} <command> --help" for a command's options.`);

  const command = (name: string, summary: string) => {
    const c = program.command(name).summary(summary).description(summary);
    if (extraHelp[name]) c.addHelpText('after', `\n${extraHelp[name]}`);
    return c;
  };

  withInputOptions(command('start', 'start a migration (--stack, --target-version); --wait follows it to its end'))
    .description(
      `Starts a migration of a stack to a template version. The input is validated here first, with the same rules as the workflow's first state: a bad field fails before any AWS call. Flags override the same fields of --input. The state machine is the first found of --state-machine-arn, the ${STATE_MACHINE_ARN_ENV} variable, and the output ${STATE_MACHINE_OUTPUT} of the deployed stack --migrator-stack. --version, the former name of --target-version, still works but is deprecated.`,
    )
    // The old name, from before --version meant the program's version: still accepted, with a warning.
    .addOption(new Option('--version <version>', 'deprecated: use --target-version').hideHelp())
    .option('--name <name>', 'execution name (default <stack>-<version>-<UTC time>); the same name and input while it runs return the same execution')
    .option('--state-machine-arn <arn>', 'the Migrate state machine', parseStateMachineArn)
    .option('--migrator-stack <name>', 'the deployed migrator stack whose output names the state machine', DEFAULT_MIGRATOR_STACK)
    .option('--wait', 'follow the execution until it ends, like "watch", and exit with its outcome (Ctrl-C stops watching, not the migration)')
    .option('--interval <seconds>', 'seconds between polls with --wait', parseInterval, DEFAULT_POLL_SECONDS)
    .option('--json', 'print the result as one JSON object on stdout (the rest on stderr)')
    .addHelpText('after', `\n${AWS_COMMAND_HELP}`)
    .action(async (o: Flags) => {
      const deprecated = str(o.version);
      if (deprecated !== undefined) {
        io.err(`warning: "${PROGRAM} start --version" is deprecated, use --target-version ("${PROGRAM} --version" prints the version of ${PROGRAM})`);
        if (o.targetVersion !== undefined && o.targetVersion !== deprecated) {
          throw new UsageError(`options '--target-version' and '--version' (its deprecated name) give different versions: '${String(o.targetVersion)}' and '${deprecated}'.`);
        }
      }
      const { startCommand } = await import('./start');
      done(
        await startCommand(io, {
          ...inputFlags(o),
          targetVersion: str(o.targetVersion) ?? deprecated,
          name: str(o.name),
          stateMachineArn: str(o.stateMachineArn),
          migratorStack: str(o.migratorStack) ?? DEFAULT_MIGRATOR_STACK,
          wait: flag(o.wait),
          interval: Number(o.interval),
          json: flag(o.json),
        }),
      );
    });

  withInputOptions(command('plan', 'dry run: every check Migrate makes before the standby, read-only, and what it would create, copy and delete'))
    .description(
      'Runs, with read-only calls only, every check Migrate makes before it touches anything (the input and --strategy, the environment\'s lock, the stack and its template contract, the new template and the pairing of resources, the deletion preflight, each bucket counted), and prints what the migration would create, copy and delete, what it would not carry, each bucket\'s CloudWatch storage metrics beside its listing, the expected downtime and the expected cost at list prices. Flags override the same fields of --input. The lock table is --table, or the output LockTableName of --migrator-stack. Exit 0 when the migration can start, 3 when the input is rejected, 1 when a preflight check refuses or another migration holds the lock.',
    )
    .option('--strategy <strategy>', "the migration strategy: double-clone (the default) or blue-green (the input's entryPoint and slots then required); the input's own strategy when not given")
    .option('--table <name>', 'the DynamoDB lock table (default: the output LockTableName of --migrator-stack)')
    .option('--migrator-stack <name>', 'the deployed migrator stack whose output names the lock table', DEFAULT_MIGRATOR_STACK)
    .option('--json', 'print the result as one JSON object on stdout (the rest on stderr)')
    .addHelpText('after', `\n${AWS_COMMAND_HELP}`)
    .action(async (o: Flags) => {
      const { planCommand } = await import('./plan');
      done(
        await planCommand(io, {
          ...inputFlags(o),
          strategy: str(o.strategy),
          table: str(o.table),
          migratorStack: str(o.migratorStack) ?? DEFAULT_MIGRATOR_STACK,
          json: flag(o.json),
        }),
      );
    });

  command('watch', 'follow an execution state by state until it ends')
    .description(
      `Follows the execution state by state until it ends (Clone executions nested under Migrate), with a heartbeat at least every 30 s of a wait, then prints the outcome, the stack that holds the data, the error and cause, and the downtime and where it went. Ctrl-C stops watching, not the migration; watch again at any time.`,
    )
    .argument('<executionArn>', 'arn:aws:states:<region>:<account>:execution:<state machine>:<name>', parseExecutionArnArgument)
    .option('--interval <seconds>', 'seconds between polls (at most 30 is used, for the heartbeat)', parseInterval, DEFAULT_POLL_SECONDS)
    .option('--json', 'print each state and heartbeat as a JSON line on stdout, then the result as the last one (the rest on stderr)')
    .addHelpText('after', `\n${AWS_COMMAND_HELP}`)
    .action(async (execution: ExecutionArn, o: Flags) => {
      const { watchCommand } = await import('./watch');
      done(await watchCommand(io, execution, { interval: Number(o.interval), json: flag(o.json) }));
    });

  command('status', "print an execution's status, error and output")
    .description("Prints the execution's status, error and cause, and its output when it succeeded (one DescribeExecution).")
    .argument('<executionArn>', 'arn:aws:states:<region>:<account>:execution:<state machine>:<name>', parseExecutionArnArgument)
    .option('--json', 'print the result as one JSON object on stdout (the rest on stderr)')
    .addHelpText('after', `\n${AWS_COMMAND_HELP}`)
    .action(async (execution: ExecutionArn, o: Flags) => {
      const { statusCommand } = await import('./status');
      done(await statusCommand(io, execution, { json: flag(o.json) }));
    });

  command('unlock', "release an environment's migration lock once the execution holding it has ended")
    .description(
      `Releases the migration lock of --stack, left by an execution that ended without releasing it (stopped, timed out), only when DescribeExecution says that execution is no longer running (RUNNING and PENDING_REDRIVE refuse), and only while the lock still names it: a lock taken meanwhile by a new migration is never released. The lock table is --table, or the output LockTableName of the deployed stack --migrator-stack. Exit 0 when released or when no lock is held, 1 when refused.`,
    )
    .requiredOption('--stack <name>', "the environment's CloudFormation stack whose lock to release")
    .option('--table <name>', 'the DynamoDB lock table (default: the output LockTableName of --migrator-stack)')
    .option('--migrator-stack <name>', 'the deployed migrator stack whose output names the lock table', DEFAULT_MIGRATOR_STACK)
    .option('--json', 'print the result as one JSON object on stdout (the rest on stderr)')
    .addHelpText('after', `\n${AWS_COMMAND_HELP.replace(/Exit codes:[\s\S]*$/, 'Exit codes:\n  0  the lock was released, or no lock was held\n  1  refused: the holder still runs, the lock changed meanwhile, or it names no execution\n  2  usage error\n  6  AWS error in the CLI\'s own calls (nothing was deleted)')}`)
    .action(async (o: Flags) => {
      const { unlockCommand } = await import('./unlock');
      done(await unlockCommand(io, { stack: String(o.stack), table: str(o.table), migratorStack: str(o.migratorStack) ?? DEFAULT_MIGRATOR_STACK, json: flag(o.json) }));
    });

  command('report', 'write one self-contained HTML page picturing an execution: state graphs, downtime timeline, notification')
    .description(
      "Reads an execution (Migrate, with the Clone executions it started, or a Clone alone) from Step Functions and writes one self-contained HTML page: each state graph with the path taken and each state's time, a timeline of the downtime (which AWS operation ran when, and the workflow's own share, the critical path as the benchmark measures it), and the notification sent. The page needs no network to open. Read-only: DescribeExecution, DescribeStateMachineForExecution, GetExecutionHistory. Exit 0 when the page was written, whatever the execution's outcome; 1 when the file cannot be written; 6 when a Step Functions call fails.",
    )
    .argument('<executionArn>', 'arn:aws:states:<region>:<account>:execution:<state machine>:<name>', parseExecutionArnArgument)
    .requiredOption('--out <file.html>', 'where to write the page')
    .option('--json', 'print the result as one JSON object on stdout (the rest on stderr)')
    .action(async (execution: ExecutionArn, o: Flags) => {
      const { reportCommand } = await import('./report');
      done(await reportCommand(io, execution, { out: String(o.out), json: flag(o.json) }));
    });

  command('recover', 'after a migration failed once the original was being deleted: clone the temporary copy back under the original name and verify it')
    .description(
      `Reads a failed Migrate execution (its outcome, where it failed, which stack holds the data). After a failure once the original's deletion had started (the data kept in the temporary stack), starts the Clone state machine that migration used to clone the temporary stack back under the original name, at the target version (or the original's with --version-of-original), and verifies it exactly as the second clone would, holding the environment's lock as Migrate does; then follows it to its end and releases the lock. Otherwise says why nothing needs recovering. The lock table is --table, or the output LockTableName of the deployed stack --migrator-stack.`,
    )
    .argument('<executionArn>', 'the failed Migrate execution, arn:aws:states:<region>:<account>:execution:<state machine>:<name>', parseExecutionArnArgument)
    .option('--version-of-original', "recreate the version the original had, from its own template (the temporary stack's), without the migration's parameter overrides")
    .option('--table <name>', 'the DynamoDB lock table (default: the output LockTableName of --migrator-stack)')
    .option('--migrator-stack <name>', 'the deployed migrator stack whose output names the lock table', DEFAULT_MIGRATOR_STACK)
    .option('--no-wait', 'return once the recovery started (the lock stays with it until unlock)')
    .option('--interval <seconds>', 'seconds between polls while following the recovery', parseInterval, DEFAULT_POLL_SECONDS)
    .option('--json', 'print the result as one JSON object on stdout (the rest on stderr)')
    .addHelpText(
      'after',
      `\n${AWS_COMMAND_HELP.replace(/Exit codes:[\s\S]*$/, 'Exit codes:\n  0  recovered and verified, started (--no-wait), or nothing to recover\n  1  refused (nothing done), or the recovery failed or differs: the temporary stack keeps the data\n  2  usage error\n  4  the recovery timed out\n  5  the recovery was stopped\n  6  AWS error in the CLI\'s own calls')}`,
    )
    .action(async (execution: ExecutionArn, o: Flags) => {
      const { recoverCommand } = await import('./recover');
      done(
        await recoverCommand(io, execution, {
          versionOfOriginal: flag(o.versionOfOriginal),
          table: str(o.table),
          migratorStack: str(o.migratorStack) ?? DEFAULT_MIGRATOR_STACK,
          wait: o.wait !== false,
          interval: Number(o.interval),
          json: flag(o.json),
        }),
      );
    });

  command('cancel', 'ask a running migration to stop at its next safe point and compensate')
    .description(
      `Puts a cancel request on the lock of the running Migrate execution (only while that execution holds it). The execution reads it at its next safe point (each wait loop, each Map iteration, each phase boundary, in Migrate and its Clone runs), then compensates as for an error of its phase: before the original's deletion starts, the temporary copy is deleted and the original returns to service; once it has started, the temporary copy is kept (it holds the data). Then it releases the lock, notifies and fails with MigrationCancelled. Unlike StopExecution, nothing is left half-done and the lock is released. The command does not wait: follow with watch. The lock table is --table, or the output LockTableName of --migrator-stack. Exit 0 when the request is on the lock, 1 when refused.`,
    )
    .argument('<executionArn>', 'arn:aws:states:<region>:<account>:execution:<state machine>:<name>', parseExecutionArnArgument)
    .option('--reason <text>', 'why, in your words: it reaches the error cause and the notification')
    .option('--table <name>', 'the DynamoDB lock table (default: the output LockTableName of --migrator-stack)')
    .option('--migrator-stack <name>', 'the deployed migrator stack whose output names the lock table', DEFAULT_MIGRATOR_STACK)
    .option('--json', 'print the result as one JSON object on stdout (the rest on stderr)')
    .addHelpText('after', `\n${AWS_COMMAND_HELP.replace(/Exit codes:[\s\S]*$/, "Exit codes:\n  0  the cancel request is on the execution's lock (or was already)\n  1  refused: the execution is not running, is not a migration, or does not hold its lock (nothing written)\n  2  usage error\n  6  AWS error in the CLI's own calls (nothing written)")}`)
    .action(async (execution: ExecutionArn, o: Flags) => {
      const { cancelCommand } = await import('./cancel');
      done(await cancelCommand(io, execution, { table: str(o.table), migratorStack: str(o.migratorStack) ?? DEFAULT_MIGRATOR_STACK, reason: str(o.reason), json: flag(o.json) }));
    });

  command('rollback', 'switch a blue/green entry point back to the slot its last switch replaced')
    .description(
      `Undoes the last blue/green switch of the entry point --environment (its record name): the Rollback state machine checks, under the locks of the record and both slots, that the switch can be undone and that the live slot's statistics still equal those recorded at the switch, returns the previous slot to service, switches the record back, waits until the previous slot answers through the record, puts the live slot in standby (kept for inspection) and deletes the retire schedule. When the statistics changed (writes since the switch would be lost) it refuses, naming what differed, unless --accept-discarding-writes. The switch record is found in the workflow bucket (--bucket, or the output WorkflowBucketName of --migrator-stack); the state machine is --state-machine-arn, or the output RollbackStateMachineArn. Follows the rollback to its end unless --no-wait.`,
    )
    .requiredOption('--environment <recordName>', "the entry point's record name, e.g. orders.example.com")
    .option('--hosted-zone-id <id>', 'the hosted zone of the record, when switches of that name are recorded in several')
    .option('--accept-discarding-writes', 'roll back even when the live slot changed since the switch: those writes are discarded (the notification names them)')
    .option('--state-machine-arn <arn>', 'the Rollback state machine (default: the output RollbackStateMachineArn of --migrator-stack)')
    .option('--bucket <name>', 'the workflow bucket holding the switch records (default: the output WorkflowBucketName of --migrator-stack)')
    .option('--migrator-stack <name>', 'the deployed migrator stack whose outputs name them', DEFAULT_MIGRATOR_STACK)
    .option('--no-wait', 'return once the rollback started')
    .option('--interval <seconds>', 'seconds between polls while following the rollback', parseInterval, DEFAULT_POLL_SECONDS)
    .option('--json', 'print the result as one JSON object on stdout (the rest on stderr)')
    .addHelpText(
      'after',
      `\n${AWS_COMMAND_HELP.replace(/Exit codes:[\s\S]*$/, "Exit codes:\n  0  rolled back (or started, with --no-wait)\n  1  refused (nothing to roll back, already rolled back, writes since the switch, locked) or failed: the notification says where the record points\n  2  usage error\n  6  AWS error in the CLI's own calls")}`,
    )
    .action(async (o: Flags) => {
      const { rollbackCommand } = await import('./rollback');
      done(
        await rollbackCommand(io, {
          environment: String(o.environment),
          hostedZoneId: str(o.hostedZoneId),
          acceptDiscardingWrites: flag(o.acceptDiscardingWrites),
          stateMachineArn: str(o.stateMachineArn),
          bucket: str(o.bucket),
          migratorStack: str(o.migratorStack) ?? DEFAULT_MIGRATOR_STACK,
          wait: o.wait !== false,
          interval: Number(o.interval),
          json: flag(o.json),
        }),
      );
    });

  command('rehearse', 'rehearse a migration of the sample environment on a simulated AWS account')
    .option('--scenario <name>', 'the scenario to rehearse (listed below)', DEFAULT_SCENARIO)
    .option('--strategy <strategy>', 'double-clone (the default) or blue-green: which scenarios --scenario names (blue-green: two slots behind the sample entry point)', 'double-clone')
    .option('--report <file.html>', 'also write the run\'s report page (as "env-migrator report" does) to this file')
    .option('--json', 'print each state and heartbeat as a JSON line on stdout, then the summary as the last one (the rest on stderr)')
    .option('--recover', 'after the migration, clear the scenario\'s faults and run "env-migrator recover <arn>" as the notification says, then check the environment on the account')
    .option('--version-of-original', 'with --recover: pass --version-of-original to recover (recreate the version the original had)')
    .option('--live-sync', 'migrate with liveSync: the copy\'s databases start as read replicas and its buckets are pre-copied while the environment serves (any scenario)')
    .addHelpText('after', '\nExit code 0 only when the migration succeeded, or, with --recover, when recover put the environment back\n(RECOVERED, the stack under its name, its data equal to before, the lock released) and no invariant broke.')
    .action(async (o: Flags) => {
      if (flag(o.versionOfOriginal) && !flag(o.recover)) throw new UsageError("option '--version-of-original' needs '--recover'");
      const { rehearseCommand } = await import('./rehearse');
      done(await rehearseCommand(io, { scenario: str(o.scenario) ?? DEFAULT_SCENARIO, strategy: str(o.strategy), json: flag(o.json), report: str(o.report), recover: flag(o.recover), versionOfOriginal: flag(o.versionOfOriginal), liveSync: flag(o.liveSync) }));
    });

  command('run-local', 'run the synthesized definitions on this machine against a real AWS account or endpoint')
    .description(
      `Runs the Migrate definition (or Clone with --clone) locally against the account of the default AWS SDK configuration. Set AWS_REGION / AWS_PROFILE as usual; AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE> for other endpoints; S3_FORCE_PATH_STYLE=true for S3-compatible endpoints that need path-style addressing.`,
    )
    .option('--input <file.json>', 'the execution input (required)')
    .option('--topic-arn <arn>', 'the SNS topic notifications go to (required)')
    .option('--lock-table <table>', 'the DynamoDB lock table, string partition key "stackName" (required but with --clone)')
    .option('--workflow-bucket <bucket>', "the bucket that receives the run's documents under runs/<execution name>/, e.g. a deployed EnvMigrator's WorkflowBucketName (required)")
    .option('--clone', 'run the Clone definition instead of Migrate')
    .option('--name <name>', 'execution name (default run-local-<time>)')
    .option('--json', 'print the summary as one JSON object on stdout (the rest on stderr)')
    .action(async (o: Flags) => {
      const clone = flag(o.clone);
      const required: [string, unknown][] = [
        ['--input <file.json>', o.input],
        ['--topic-arn <arn>', o.topicArn],
        ...(clone ? [] : ([['--lock-table <table>', o.lockTable]] as [string, unknown][])),
        ['--workflow-bucket <bucket>', o.workflowBucket],
      ];
      const missing = required.filter(([, v]) => !v).map(([name]) => `'${name}'`);
      if (missing.length > 0) throw new UsageError(`required option${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not specified.`);
      const { runLocalCommand } = await import('./run-local');
      done(
        await runLocalCommand(io, {
          input: String(o.input),
          topicArn: String(o.topicArn),
          lockTable: str(o.lockTable),
          workflowBucket: String(o.workflowBucket),
          clone,
          name: str(o.name),
          json: flag(o.json),
        }),
      );
    });

  command('states', 'list every state of the synthesized Migrate and Clone definitions').action(async () => {
    const { statesCommand } = await import('./states');
    done(await statesCommand(io));
  });

  command('bench', "measure the reference migration's downtime, cost and copy speed against the original script")
    .option('--size <size>', 'reference, tiny, or the reference with this many objects per bucket', parseBenchSize, 'reference')
    .option('--init-imports <n>', 'fresh imports per Lambda bundle for its init time (0 skips the bundles)', integerAtLeast(0), DEFAULT_INIT_IMPORTS)
    .option('--workflow-only', 'the migration alone: no baseline script, no re-run of a copy, no bundles (for large sizes)')
    .option('--strategy <strategy>', 'double-clone (the default) or blue-green: the reference adopts the scheme as slot A behind an entry point and migrates into slot B', 'double-clone')
    .option('--live-sync', 'the migration input asks for liveSync: read replicas and buckets pre-copied while the environment serves, the delta after the standby')
    .option('--db-gb <n>', "the reference database's allocated storage in GB (snapshot, restore and replica times scale with it)", integerAtLeast(20), 100)
    .option('--compare-to <file>', "a file whose last line is an earlier run's --json line (the 100 GB run of the same strategy): print this downtime's ratio to it")
    .option('--json', 'print the figures as one JSON object on stdout (the rest on stderr)')
    .action(async (o: Flags) => {
      const { benchCommand } = await import('./bench');
      const size = o.size === 'reference' || o.size === 'tiny' || typeof o.size === 'number' ? o.size : 'reference';
      done(
        await benchCommand(io, {
          json: flag(o.json),
          size,
          initImports: Number(o.initImports),
          workflowOnly: flag(o.workflowOnly),
          strategy: str(o.strategy),
          liveSync: flag(o.liveSync),
          dbGb: Number(o.dbGb),
          compareTo: str(o.compareTo),
        }),
      );
    });

  command('faults', 'run the fault matrix, randomized fault schedules and bad inputs on the simulated account')
    .option('--only <parts>', `run only these parts, comma-separated: ${FAULT_PARTS.join(',')}`, parseFaultParts, [...FAULT_PARTS])
    .option('--runs <n>', 'randomized fault schedules to run', integerAtLeast(0), DEFAULT_FAULT_RUNS)
    .option('--seed <n>', 'seed of the randomized schedules (default: the seed shown below)', integerAtLeast(Number.MIN_SAFE_INTEGER))
    .option('--filter <text>', 'matrix rows whose state contains this text only')
    .option('--json', 'print the totals as one JSON object on stdout (the rest on stderr)')
    .addHelpText('after', '\nExit code 0 only when every invariant held in every scenario and schedule and every bad input was rejected.')
    .action(async (o: Flags) => {
      const { faultsCommand } = await import('./faults');
      done(
        await faultsCommand(io, {
          json: flag(o.json),
          only: Array.isArray(o.only) ? o.only.map(String) : [...FAULT_PARTS],
          runs: Number(o.runs),
          seed: typeof o.seed === 'number' ? o.seed : undefined,
          filter: str(o.filter),
        }),
      );
    });

  command('mutants', 'mutation testing: how well the tests guard the safety cores, and which named bugs the end-to-end checks catch')
    .addOption(new Option('--named-only', 'only the named mutants against the end-to-end checks (about 9 minutes idle)').conflicts('strykerOnly'))
    .addOption(new Option('--stryker-only', 'only Stryker over the safety cores (about 20 minutes idle)'))
    .option('--only <ids>', 'named mutants whose id contains one of these, comma-separated (implies the named part)')
    .option('--check-anchors', "only check that every named mutant's anchors are found once; run nothing")
    .option('--json', 'print the figures as one JSON object on stdout (the rest on stderr)')
    .addHelpText('after', '\nExit code 0 only when the score is at least 90 % and every named mutant is killed end to end.')
    .action(async (o: Flags) => {
      const { mutantsCommand } = await import('./mutants');
      done(await mutantsCommand(io, { json: flag(o.json), namedOnly: flag(o.namedOnly), strykerOnly: flag(o.strykerOnly), only: str(o.only), checkAnchors: flag(o.checkAnchors) }));
    });

  return program;
}

/** The command a command line is about: its first word, or the one after `help`. */
function commandOf(program: Command, argv: string[]): string | undefined {
  const word = argv[0] === 'help' ? argv[1] : argv[0];
  return program.commands.some((c) => c.name() === word) ? word : undefined;
}

/** The arguments before `--`, where options are. */
const optionsPart = (argv: string[]) => (argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv);

/** A parse error as commander words it ("error: unknown option '--x'\n(Did you mean --y?)"), in one line. */
function causeOf(message: string): string {
  return message
    .replace(/^error:\s*/, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/**
 * Runs the env-migrator command line (the arguments after the program's name) and returns the exit
 * code: the command's own, 0 for --help, help <command> and --version, 2 for a usage error (one line
 * on stderr naming the option, plus one JSON result on stdout under --json). Errors that are not the
 * command line's are rethrown: they are bugs.
 */
export async function runCli(argv: string[], deps: CliDeps = {}): Promise<number> {
  const io = ioOf(deps);
  const json = optionsPart(argv).includes('--json');
  const probe = buildProgram(io, () => undefined);
  const name = commandOf(probe, argv);
  const helpAsked = argv[0] === 'help' || optionsPart(argv).some((a) => a === '--help' || a === '-h');
  const extraHelp = name && helpAsked && HELP_EXTRAS[name] ? { [name]: await HELP_EXTRAS[name]() } : {};

  let code: number = EXIT.SUCCEEDED;
  const program = buildProgram(io, (c) => (code = c), extraHelp);
  const where = name ? `${PROGRAM} ${name}` : PROGRAM;
  const report = (cause: string) => usageError(io, `${where}: ${cause.replace(/\.$/, '')} (see "${where} --help")`, cause, json);
  // `help nope`: commander would print the whole help on stderr; one line says it better.
  if (argv[0] === 'help' && argv[1] !== undefined && !name) return report(`unknown command '${argv[1]}'`);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help, help <command>, --version: printed on stdout, done.
      if (err.exitCode === 0) return EXIT.SUCCEEDED;
      // No command at all, or help for one that does not exist: the help went to stderr.
      if (err.code === 'commander.help') return EXIT.USAGE;
      return report(causeOf(err.message));
    }
    if (err instanceof UsageError) return report(err.message);
    throw err;
  }
}
