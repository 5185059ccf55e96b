import { createHash } from 'node:crypto';
import { DescribeStacksCommand, type CloudFormationClient, type Stack, type Tag } from '@aws-sdk/client-cloudformation';

/** What create-stack and the promotion change set acknowledge: environment templates may create IAM resources and use macros. */
export const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;

/**
 * DescribeStacks answers a missing stack with a ValidationError ("Stack with id X does not exist"),
 * not with an empty list (API_DescribeStacks: "If the stack doesn't exist, a ValidationError is
 * returned"). Any other ValidationError is a real failure.
 */
export function isStackMissing(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { name, message } = err as { name?: unknown; message?: unknown };
  return name === 'ValidationError' && typeof message === 'string' && /does not exist/i.test(message);
}

/**
 * The live stack that a name (or stack ID) resolves to, or undefined when there is none. A name only
 * resolves to a live stack: deleted stacks are reachable by stack ID alone.
 */
export async function describeStack(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return out.Stacks?.[0];
  } catch (err) {
    if (isStackMissing(err)) return undefined;
    throw err;
  }
}

export function tagMap(tags: Tag[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) map[t.Key] = t.Value ?? '';
  return map;
}

/**
 * A deterministic ClientRequestToken, so CloudFormation recognises a retried request as the same one.
 * Tokens are 1-128 characters matching [a-zA-Z0-9][-a-zA-Z0-9]* (API_CreateStack, API_DeleteStack):
 * execution ARNs hold colons, so the parts are hashed.
 */
export function requestToken(operation: string, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 48);
  return `env-migrator-${operation}-${digest}`;
}
