/**
 * Synth-time checks of a scheduled migration, so a bad schedule fails `cdk synth` instead of the run
 * at 3 a.m.: the expression and time zone as EventBridge Scheduler reads them, the input through the
 * workflow's own validation (the validate-input step's code), and the input against what this
 * deployment may touch (a managed stack, a template bucket it may read).
 */
import type { MigrationInputRaw } from '../lambdas/shared/contracts';
import { InputInvalid } from '../lambdas/shared/errors';
import { validateInput } from '../lambdas/validate-input/core';

export interface ScheduleToCheck {
  expression: string;
  timeZone?: string;
  input: MigrationInputRaw;
}

export interface DeploymentLimits {
  prefixes: readonly string[];
  templateBucketNames: readonly string[];
}

// "Schedule types on EventBridge Scheduler" (Scheduler user guide): at(yyyy-mm-ddThh:mm:ss),
// rate(value unit) with a positive whole value and unit minute(s)/hour(s)/day(s), cron(six fields).
const AT = /^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/;
const RATE = /^rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(([^\s()]+ ){5}[^\s()]+\)$/;

/** Throws an Error naming every problem of the schedule. */
export function validateSchedule(schedule: ScheduleToCheck, limits: DeploymentLimits): void {
  const problems: string[] = [];
  const expression = schedule.expression.trim();
  const rate = RATE.exec(expression);
  if (rate) {
    if ((rate[1] === '1') !== !rate[2]!.endsWith('s')) problems.push(`expression: "${expression}": a rate of 1 takes a singular unit, any other a plural one`);
  } else if (!AT.test(expression) && !CRON.test(expression)) {
    problems.push(`expression: "${schedule.expression}" is not cron(min hour day-of-month month day-of-week year), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)`);
  }
  if (schedule.timeZone !== undefined && !isTimeZone(schedule.timeZone)) problems.push(`timeZone: "${schedule.timeZone}" is not an IANA time zone`);

  try {
    validateInput({ input: schedule.input, execution: { id: 'arn:aws:states:::execution:Migrate:scheduled', name: 'scheduled' } });
  } catch (err) {
    if (!(err instanceof InputInvalid)) throw err;
    for (const issue of err.issues) problems.push(`input.${issue.field}: ${issue.problem}`);
  }
  const stackName = typeof schedule.input?.stackName === 'string' ? schedule.input.stackName : undefined;
  if (stackName !== undefined && !limits.prefixes.some((prefix) => stackName.startsWith(prefix))) {
    problems.push(`input.stackName: ${stackName} does not start with a managed prefix (${limits.prefixes.join(', ')}): the workflow may not touch it`);
  }
  // Blue/green: the run creates the idle slot and retire deletes the previous one, so both are held to the same rule.
  const slots = Array.isArray(schedule.input?.slots) ? (schedule.input.slots as unknown[]) : [];
  for (const [i, slot] of slots.entries()) {
    if (typeof slot === 'string' && !limits.prefixes.some((prefix) => slot.startsWith(prefix))) {
      problems.push(`input.slots.${i}: ${slot} does not start with a managed prefix (${limits.prefixes.join(', ')}): the workflow may not touch it`);
    }
  }
  const templateUrl = typeof schedule.input?.templateUrl === 'string' ? schedule.input.templateUrl : undefined;
  if (templateUrl !== undefined) {
    const bucket = templateBucketOf(templateUrl);
    if (bucket !== undefined && !limits.templateBucketNames.includes(bucket)) {
      problems.push(`input.templateUrl: bucket ${bucket} is not in templateBucketNames: CloudFormation could not read the template with the workflow's credentials`);
    }
  }
  if (problems.length) throw new Error(`EnvironmentMigrator: the schedule is invalid:\n  - ${problems.join('\n  - ')}`);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The bucket of an S3 https URL: virtual-hosted (`<bucket>.s3.<region>.amazonaws.com/<key>`, also
 * `s3-<region>` and the legacy global endpoint) or path style (`s3.<region>.amazonaws.com/<bucket>/<key>`).
 */
export function templateBucketOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.hostname;
  const virtual = /^(.+)\.s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/.exec(host);
  if (virtual) return virtual[1];
  if (/^s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/.test(host)) return parsed.pathname.split('/')[1] || undefined;
  return undefined;
}
