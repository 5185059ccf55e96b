/**
 * The env-migrator command line: help, version, the deprecated `start --version`, usage errors (exit 2,
 * one line on stderr, one JSON result on stdout under --json), the execution ARN checked before any
 * AWS call and its region used. Parsed in-process through runCli; a few runs as a real process check
 * what only a process shows (exit status, which stream got what, no stack trace).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SFNClient, DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { EXIT } from '../../cli/exit-codes';
import { buildProgram, runCli } from '../../cli/program';
import { cliResultSchema } from '../../cli/result';
import { ioOf } from '../../cli/io';

const sfnMock = mockClient(SFNClient);
beforeEach(() => sfnMock.reset());

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Migrate';
const EXECUTION = 'arn:aws:states:ap-southeast-2:123456789012:execution:Migrate7A1B2C3D-xYz:orders-prod-1-4-0-20260301T030000Z';

/** Runs the command line in-process; stdout and stderr captured apart. */
async function run(argv: string[], sfn?: SFNClient) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { sfn, out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), out, err };
}

describe('help and version', () => {
  it('--help and -h print every command on stdout and exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: env-migrator \[options\] \[command\]/);
      for (const command of ['start', 'plan', 'watch', 'status', 'rehearse', 'run-local', 'states', 'bench', 'faults', 'mutants', 'help']) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('help start and start --help list every start option on stdout, the deprecated --version hidden, and exit 0', async () => {
    const viaHelp = await run(['help', 'start']);
    const viaFlag = await run(['start', '--help']);
    expect(viaHelp).toMatchObject({ code: 0, stderr: '' });
    expect(viaFlag.stdout).toBe(viaHelp.stdout);
    for (const option of ['--stack <name>', '--target-version <version>', '--template-url <url>', '--parameter <Key=Value>', '--input <file.json>', '--name <name>', '--state-machine-arn <arn>', '--migrator-stack <name>', '--wait', '--interval <seconds>', '--json']) {
      expect(viaHelp.stdout).toContain(`  ${option}`);
    }
    expect(viaHelp.stdout).not.toContain('--version <version>');
    expect(viaHelp.stdout).toContain('3  input rejected');
  });

  it("every command's help lists each of its visible options, and what only its module knows (scenarios, named mutants)", async () => {
    const program = buildProgram(ioOf({ out: () => undefined, err: () => undefined }), () => undefined);
    for (const command of program.commands.filter((c) => c.name() !== 'faults')) {
      const r = await run([command.name(), '--help']);
      expect(r.code, command.name()).toBe(0);
      for (const option of command.options.filter((o) => !o.hidden)) expect(r.stdout, command.name()).toContain(option.flags);
    }
    expect((await run(['help', 'rehearse'])).stdout).toMatch(/^ {2}stats-mismatch-second-clone +the new environment/m);
    expect((await run(['mutants', '-h'])).stdout).toContain('Named mutants:');
  });

  it('--version prints the package version on stdout and exits 0', async () => {
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: packageJson.version, stderr: '' });
  });

  it('start --version still sets the target version, with one deprecation line on stderr', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:x', startDate: new Date() });
    const r = await run(['start', '--stack', 'orders-prod', '--version', '1.4.0', '--state-machine-arn', MACHINE, '--name', 'x', '--json'], new SFNClient({ region: 'eu-west-1' }));
    expect(r.code).toBe(0);
    expect(JSON.parse(String(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input))).toMatchObject({ targetVersion: '1.4.0' });
    expect(r.err.filter((l) => /deprecated/.test(l))).toEqual([expect.stringContaining('use --target-version')]);
    expect(cliResultSchema.parse(JSON.parse(r.stdout))).toMatchObject({ outcome: 'STARTED', exitCode: 0 });
  });
});

describe('usage errors', () => {
  it('an unknown option exits 2 with one line on stderr naming it, nothing on stdout, nothing called', async () => {
    const r = await run(['status', EXECUTION, '--colour']);
    expect(r).toMatchObject({ code: EXIT.USAGE, stdout: '' });
    expect(r.err).toEqual([`env-migrator status: unknown option '--colour' (see "env-migrator status --help")`]);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('an unknown command exits 2 suggesting the nearest one; no command at all prints the help on stderr and exits 2', async () => {
    const r = await run(['stauts']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toEqual([expect.stringMatching(/unknown command 'stauts'.*status/)]);
    expect((await run(['help', 'stauts'])).err).toEqual([expect.stringContaining("unknown command 'stauts'")]);
    const bare = await run([]);
    expect(bare).toMatchObject({ code: EXIT.USAGE, stdout: '' });
    expect(bare.stderr).toMatch(/^Usage: env-migrator/);
  });

  it('missing required options exit 2 in one line naming every one missing', async () => {
    const r = await run(['run-local', '--input', 'migration.json']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/'--topic-arn <arn>'.*'--lock-table <table>'.*'--workflow-bucket <bucket>'/);
    // Clone alone needs no lock table.
    expect((await run(['run-local', '--clone', '--input', 'migration.json'])).err[0]).not.toContain('--lock-table');
  });

  it('a bad value exits 2 naming the option and the value', async () => {
    for (const [argv, named] of [
      [['watch', EXECUTION, '--interval', '0'], "option '--interval <seconds>' argument '0' is invalid"],
      [['start', '--stack', 'orders-prod', '--parameter', 'NoEquals'], "option '--parameter <Key=Value>' argument 'NoEquals' is invalid"],
      [['faults', '--only', 'matrix,bogus'], 'unknown: bogus'],
      [['bench', '--size', '3'], "option '--size <size>' argument '3' is invalid"],
      [['mutants', '--named-only', '--stryker-only'], "option '--named-only' cannot be used with option '--stryker-only'"],
    ] as const) {
      const r = await run([...argv]);
      expect(r.code, argv.join(' ')).toBe(EXIT.USAGE);
      expect(r.err).toEqual([expect.stringContaining(named)]);
    }
  });

  it('status and watch refuse a malformed or missing execution ARN before any AWS call, naming its shape', async () => {
    for (const arn of ['orders-prod-1-4-0', 'arn:aws:states:eu-west-1:123456789012:stateMachine:Migrate', 'arn:aws:states:eu-west-1:1234:execution:Migrate:x', `${EXECUTION} `]) {
      for (const command of ['status', 'watch']) {
        const r = await run([command, arn], new SFNClient({}));
        expect(r.code, `${command} ${arn}`).toBe(EXIT.USAGE);
        expect(r.err).toEqual([expect.stringContaining('Expected an execution ARN, arn:aws:states:<region>:<account>:execution:<state machine>:<name>')]);
      }
    }
    expect((await run(['watch'])).err).toEqual([expect.stringContaining("missing required argument 'executionArn'")]);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('under --json, a usage error prints one JSON result on stdout (USAGE_ERROR, exit code 2, the cause) and its line on stderr', async () => {
    const r = await run(['status', 'not-an-arn', '--json']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.out).toHaveLength(1);
    const result = cliResultSchema.parse(JSON.parse(r.stdout));
    expect(result).toEqual({ outcome: 'USAGE_ERROR', exitCode: 2, survivor: null, error: { name: 'UsageError', cause: expect.stringContaining("'not-an-arn' is invalid for argument 'executionArn'") }, executionArn: null });
    expect(r.err).toHaveLength(1);
  });
});

describe('the region', () => {
  const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("status calls Step Functions in the region the execution ARN names, whatever the SDK's configured region", async () => {
    process.env.AWS_REGION = 'us-east-1';
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status: 'RUNNING' });
    const r = await run(['status', EXECUTION]);
    expect(r.code).toBe(EXIT.RUNNING);
    const client = sfnMock.call(0).thisValue as SFNClient;
    expect(await client.config.region()).toBe('ap-southeast-2');
  });

  it('start starts the execution in the region the state machine ARN names', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:x', startDate: new Date() });
    expect((await run(['start', '--stack', 'orders-prod', '--target-version', '1.4.0', '--state-machine-arn', MACHINE, '--name', 'x'])).code).toBe(0);
    expect(await (sfnMock.call(0).thisValue as SFNClient).config.region()).toBe('eu-west-1');
  });
});

describe('env-migrator as a process', () => {
  const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
  type Ran = { code: number | null; stdout: string; stderr: string };
  const spawnCli = (argv: string[]) =>
    new Promise<Ran>((resolve) => {
      // No credentials, no region: a call to AWS would fail with exit 6.
      execFile(process.execPath, ['--import', 'tsx', main, ...argv], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'utf8' }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });
  let help: Ran;
  let version: Ran;
  let badArn: Ran;
  let rejected: Ran;
  // Each process costs about a second of tsx: started together, once.
  beforeAll(async () => {
    [help, version, badArn, rejected] = await Promise.all([
      spawnCli(['--help']),
      spawnCli(['--version']),
      spawnCli(['watch', 'arn:aws:states:eu-west-1:123456789012:execution:Migrate', '--json']),
      spawnCli(['start', '--stack', 'orders prod', '--target-version', '1.4.0', '--json']),
    ]);
  }, 60_000);

  it('--help exits 0 with the usage on stdout and nothing on stderr', () => {
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: env-migrator/);
  });

  it('--version exits 0 printing the package version alone', () => {
    expect(version).toEqual({ code: 0, stdout: `${packageJson.version}\n`, stderr: '' });
  });

  it('a usage error under --json exits 2: one line on stderr, no stack trace, one JSON result on stdout', () => {
    expect(badArn.code).toBe(EXIT.USAGE);
    expect(badArn.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(badArn.stderr).not.toMatch(/\n\s+at /);
    expect(cliResultSchema.parse(JSON.parse(badArn.stdout))).toMatchObject({ outcome: 'USAGE_ERROR', exitCode: 2 });
  });

  it('rejected input exits 3 without touching AWS, the fields on stderr and the JSON result alone on stdout', () => {
    expect(rejected.code).toBe(EXIT.INPUT_REJECTED);
    expect(rejected.stderr).toContain('stackName: must be a CloudFormation stack name');
    expect(cliResultSchema.parse(JSON.parse(rejected.stdout))).toMatchObject({ outcome: 'REJECTED_INPUT', exitCode: 3, error: { name: 'InputInvalid' } });
  });
});
