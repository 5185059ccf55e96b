/**
 * Option defaults and value parsers of the env-migrator command line. Light on purpose: the program
 * (cli/program.ts) is built from these on every run, before any command's module is loaded, so a
 * pipeline's `status` never waits for the CDK. A parser throws commander's InvalidArgumentError, which
 * the program reports as a usage error naming the option and the value (exit 2).
 */
import { InvalidArgumentError } from 'commander';
import { EXECUTION_ARN_SHAPE, type ExecutionArn, STATE_MACHINE_ARN_SHAPE, parseExecutionArn, stateMachineRegion } from './arn';

/** Seconds between polls. GetExecutionHistory's quota is a bucket of 250 refilled at 5 per second
 *  (Step Functions quotas, API action throttling): one watcher at this pace is far below it. */
export const DEFAULT_POLL_SECONDS = 5;
export const STATE_MACHINE_ARN_ENV = 'ENV_MIGRATOR_STATE_MACHINE_ARN';
export const DEFAULT_MIGRATOR_STACK = 'EnvMigrator';
/** The output of the deployed migrator stack that holds the Migrate state machine's ARN (infra/migrator-stack.ts). */
export const STATE_MACHINE_OUTPUT = 'MigrateStateMachineArn';
export const DEFAULT_SCENARIO = 'happy';
export const FAULT_PARTS = ['matrix', 'random', 'bad', 'verification', 'guards'] as const;
export const DEFAULT_FAULT_RUNS = 1000;
export const DEFAULT_INIT_IMPORTS = 20;

/** --interval: whole or fractional seconds from 1 to 3600. */
export function parseInterval(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 1 || n > 3600) throw new InvalidArgumentError('Expected a number of seconds from 1 to 3600.');
  return n;
}

/** The execution ARN argument of watch and status, checked before any AWS call. */
export function parseExecutionArnArgument(text: string): ExecutionArn {
  const parsed = parseExecutionArn(text);
  if (!parsed) throw new InvalidArgumentError(`Expected an execution ARN, ${EXECUTION_ARN_SHAPE}.`);
  return parsed;
}

/** --state-machine-arn: checked before any AWS call; its region is where the execution starts. */
export function parseStateMachineArn(text: string): string {
  if (!stateMachineRegion(text)) throw new InvalidArgumentError(`Expected a state machine ARN, ${STATE_MACHINE_ARN_SHAPE}.`);
  return text;
}

/** --parameter Key=Value, repeatable: collected in order. */
export function collectParameter(text: string, previous: string[] = []): string[] {
  if (text.indexOf('=') <= 0) throw new InvalidArgumentError('Expected Key=Value.');
  return [...previous, text];
}

/** A whole number at least `min`. */
export function integerAtLeast(min: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`Expected a whole number${min > Number.MIN_SAFE_INTEGER ? ` of at least ${min}` : ''}.`);
    return n;
  };
}

/** faults --only: a comma-separated list of parts. */
export function parseFaultParts(text: string): string[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !(FAULT_PARTS as readonly string[]).includes(p));
  if (parts.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`Expected parts among ${FAULT_PARTS.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}.`);
  return parts;
}

/** bench --size: reference, tiny, or the reference with n objects per bucket (more than 10). */
export function parseBenchSize(text: string): 'reference' | 'tiny' | number {
  if (text === 'reference' || text === 'tiny') return text;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 10) throw new InvalidArgumentError('Expected reference, tiny, or a whole number of objects per bucket above 10.');
  return n;
}
