/**
 * cdk-nag AwsSolutions findings that are the design, acknowledged on the construct that carries them
 * (CDK's Validations.acknowledge, which cdk-nag 3 reads), each with its reason.
 *
 * AwsSolutions-IAM5 reports one finding per wildcard resource (`AwsSolutions-IAM5[Resource::…]`).
 * Each is acknowledged only when a reason below recognises the resource: a wildcard nobody explained
 * stays a finding and fails the cdk-nag test.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/** Why a wildcard resource is needed: first matching pattern wins. */
export type WildcardReasons = [RegExp, string][];

/** The wildcards of the step functions' own grants (infra/step-permissions.ts). */
export const STEP_WILDCARDS: WildcardReasons = [
  [/:cloudformation:.*:stack\/[^/]+\*\/\*$/, 'Stacks of the managed prefixes, named at run time (a temporary copy is <stack>-tmp-<runId>).'],
  [/:s3:::[^/]+\*(\/\*)?$/, 'Buckets (and their objects) CloudFormation generated for stacks of the managed prefixes: their names start with the lowercased stack name.'],
  [/:rds:.*:db:[^:]+\*$/, 'DB instances CloudFormation generated for stacks of the managed prefixes: their identifiers start with the lowercased stack name.'],
  [/:rds:.*:snapshot:em-\*$/, 'Manual snapshots this workflow makes are named em-<runId>-<phase>-<logical id>.'],
  [/:autoscaling:.*:autoScalingGroup:\*:autoScalingGroupName\/[^/]+\*$/, 'Auto Scaling groups of stacks of the managed prefixes: generated names start with the stack name.'],
  [/:kms:.*:key\/\*$/, "The keys of SSE-KMS buckets belong to the environment; they are usable only through S3 (condition kms:ViaService)."],
  [/:secretsmanager:.*:secret:[^:]+\*$/, 'Statistics header secrets named with a managed prefix (or the ARNs given in statisticsSecretArns).'],
  [/:s3:::[^/*]+\/\*$/, 'Templates read from the template buckets given in templateBucketNames.'],
  [/:s3:::[^/*]+\/runs\/\*$/, "Documents and manifests of the workflow's own bucket, under runs/<execution name>/, named at run time."],
  [
    /^\*$/,
    'Actions with no resource-level permission: xray:PutTraceSegments/PutTelemetryRecords, autoscaling:DescribeAutoScalingGroups, cloudformation:GetTemplateSummary of a template URL, rds:DescribeDBSnapshots without an identifier (the sweep of this run\'s snapshots).',
  ],
];

/** The wildcards CDK generates for the state machine roles and the Scheduler role. */
export const GENERATED_WILDCARDS: WildcardReasons = [
  [/^<[A-Za-z0-9]+\.Arn>:\*$/, "CDK's Lambda invoke grant also covers the function's versions and aliases (<function arn>:*)."],
  [/:states:.*:execution:.*\*$/, 'Migrate follows the Clone executions it starts (startExecution.sync): DescribeExecution/StopExecution on Clone executions only.'],
  [/^\*$/, 'X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and the like) support no resource-level permission.'],
];

/** The wildcards of the sample CloudFormation service role (infra/environment-role.ts). */
export const ENVIRONMENT_ROLE_WILDCARDS: WildcardReasons = [
  [
    /./,
    'CloudFormation service role for environments like examples/environment.yaml: names CloudFormation generates are matched by the managed prefixes where they start with the stack name, by resource type elsewhere (security groups, endpoints, load balancer parts, launch templates, secrets); Describe calls support no resource-level permission. Pass cloudFormationRole to use your own.',
  ],
];

/** Acknowledges every explained wildcard resource of the IAM policies (and roles) under `scope`. */
export function acknowledgeWildcards(scope: IConstruct, reasons: WildcardReasons): void {
  for (const node of scope.node.findAll()) {
    if (!(node instanceof CfnResource)) continue;
    for (const document of policyDocumentsOf(node)) {
      for (const resource of wildcardResources(document)) {
        const reason = reasons.find(([pattern]) => pattern.test(resource))?.[1];
        if (reason) Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
      }
    }
  }
}

/** Acknowledges one rule on a construct and everything under it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

interface PolicyDocumentJson {
  Statement?: { Effect?: string; Resource?: unknown }[];
}

function policyDocumentsOf(node: CfnResource): PolicyDocumentJson[] {
  const stack = Stack.of(node);
  if (node instanceof iam.CfnPolicy) return [stack.resolve(node.policyDocument) as PolicyDocumentJson];
  if (node instanceof iam.CfnRole) {
    const policies = (stack.resolve(node.policies) ?? []) as { policyDocument: unknown }[];
    return policies.map((p) => stack.resolve(p.policyDocument) as PolicyDocumentJson);
  }
  return [];
}

function wildcardResources(document: PolicyDocumentJson): string[] {
  const found = new Set<string>();
  for (const statement of document.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue;
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const r of resources) {
      const flat = flattenCfnReference(r);
      if (flat.includes('*')) found.add(flat);
    }
  }
  return [...found];
}
