/**
 * The shapes of the Step Functions ARNs the CLI is given, checked before any AWS call: a mistyped
 * ARN is a usage error (exit 2), not an AWS error after a round trip to the wrong region. The region
 * the CLI talks to comes from the ARN, which names it, rather than from the caller's configuration.
 */

/**
 * A name Step Functions accepts for a state machine or an execution: 1 to 80 characters, none of
 * white space, brackets `< > { } [ ]`, wildcards `? *`, the specials `" # % \ ^ | ~ \` $ & , ; : /`,
 * or control characters (StartExecution API reference, "name"; CreateStateMachine, "name").
 */
const NAME = String.raw`[^\s<>{}\[\]?*"#%\\^|~\x60$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}`;
const PARTITION = String.raw`aws(?:-[a-z]+)*`;
const REGION = String.raw`[a-z]{2}(?:-[a-z]+)+-\d+`;
const ACCOUNT = String.raw`\d{12}`;

const EXECUTION_ARN = new RegExp(`^arn:${PARTITION}:states:(${REGION}):(${ACCOUNT}):execution:(${NAME}):(${NAME})$`, 'u');
/** Unqualified, or qualified with a version number or an alias (StartExecution API reference, "stateMachineArn"). */
const STATE_MACHINE_ARN = new RegExp(`^arn:${PARTITION}:states:(${REGION}):(${ACCOUNT}):stateMachine:(${NAME})(?::(${NAME}))?$`, 'u');

export const EXECUTION_ARN_SHAPE = 'arn:aws:states:<region>:<account>:execution:<state machine>:<name>';
export const STATE_MACHINE_ARN_SHAPE = 'arn:aws:states:<region>:<account>:stateMachine:<name>';

export interface ExecutionArn {
  arn: string;
  region: string;
  account: string;
  stateMachine: string;
  name: string;
}

/** The parts of a standard workflow's execution ARN; undefined when the text is not one. */
export function parseExecutionArn(text: string): ExecutionArn | undefined {
  const m = EXECUTION_ARN.exec(text);
  if (!m) return undefined;
  return { arn: text, region: m[1]!, account: m[2]!, stateMachine: m[3]!, name: m[4]! };
}

/** The region a state machine ARN names; undefined when the text is not a state machine ARN. */
export function stateMachineRegion(text: string): string | undefined {
  return STATE_MACHINE_ARN.exec(text)?.[1];
}
