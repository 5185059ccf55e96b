/**
 * The AWS actions each step calls, and those CloudFormation needs to create and delete an
 * environment (ASG behind a load balancer, RDS from snapshots, S3 buckets). Actions are listed
 * explicitly (never `*` nor `service:*`); resources are not narrowed yet (the environments' names are
 * only known at run time): least-privilege hardening is a later issue.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { StepName } from '../lambdas/steps';

const read = {
  stacks: ['cloudformation:DescribeStacks', 'cloudformation:ListStackResources'],
  snapshots: ['rds:DescribeDBSnapshots', 'rds:ListTagsForResource'],
  groups: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeTags'],
};
const standbyChanges = [
  'autoscaling:SuspendProcesses',
  'autoscaling:ResumeProcesses',
  'autoscaling:EnterStandby',
  'autoscaling:ExitStandby',
  'autoscaling:UpdateAutoScalingGroup',
  'autoscaling:CreateOrUpdateTags',
  'autoscaling:DeleteTags',
];

/** Per step: the actions its core calls (see each lambdas/<step>/core.ts). */
export const STEP_ACTIONS: Record<StepName, string[]> = {
  'validate-input': [],
  discover: [...read.stacks, 'cloudformation:GetTemplate', 'rds:DescribeDBInstances'],
  'standby-enter': [...read.groups, ...standbyChanges],
  'standby-exit': [...read.groups, ...standbyChanges],
  'standby-status': read.groups,
  snapshot: ['rds:CreateDBSnapshot', 'rds:AddTagsToResource', 'rds:DescribeDBInstances', ...read.snapshots],
  'snapshot-status': read.snapshots,
  'delete-snapshots': ['rds:DeleteDBSnapshot', ...read.snapshots],
  // TemplateURL / GetTemplateSummary: CloudFormation reads the template with the caller's credentials.
  'create-stack': [...read.stacks, 'cloudformation:CreateStack', 'cloudformation:GetTemplateSummary', 'cloudformation:GetTemplate', 's3:GetObject'],
  'stack-status': [...read.stacks, 'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStackResources'],
  'delete-stack': [
    ...read.stacks,
    'cloudformation:DeleteStack',
    's3:ListBucket',
    's3:ListBucketVersions',
    's3:DeleteObject',
    's3:DeleteObjectVersion',
  ],
  'copy-bucket': [
    's3:ListBucket',
    's3:GetObject',
    's3:GetObjectVersion',
    's3:GetObjectTagging',
    's3:PutObject',
    's3:PutObjectTagging',
    's3:AbortMultipartUpload',
    's3:ListMultipartUploadParts',
    // SSE-KMS buckets: reading the source and writing the destination go through KMS.
    'kms:Decrypt',
    'kms:GenerateDataKey',
  ],
  'verify-bucket': ['s3:ListBucket', 's3:GetObject', 's3:GetEncryptionConfiguration'],
  'smoke-test': ['cloudformation:DescribeStacks'],
  'compare-statistics': ['cloudformation:DescribeStacks', 'secretsmanager:GetSecretValue'],
  'compose-notification': [],
};

/** The statements of one step's role. */
export function stepStatements(step: StepName): iam.PolicyStatement[] {
  const actions = STEP_ACTIONS[step];
  return actions.length ? [new iam.PolicyStatement({ actions, resources: ['*'] })] : [];
}

/**
 * What CloudFormation does on our behalf when create-stack / delete-stack pass this role
 * (CreateStack/DeleteStack RoleARN): create and delete the resources of an environment template.
 */
export const ENVIRONMENT_ACTIONS: string[] = [
  'cloudformation:CreateStack',
  'cloudformation:DeleteStack',
  'cloudformation:Describe*',
  'cloudformation:GetTemplate',
  'ec2:Describe*',
  'ec2:CreateSecurityGroup',
  'ec2:DeleteSecurityGroup',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:RevokeSecurityGroupIngress',
  'ec2:RevokeSecurityGroupEgress',
  'ec2:CreateLaunchTemplate',
  'ec2:CreateLaunchTemplateVersion',
  'ec2:DeleteLaunchTemplate',
  'ec2:RunInstances',
  'ec2:TerminateInstances',
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'autoscaling:Describe*',
  'autoscaling:CreateAutoScalingGroup',
  'autoscaling:UpdateAutoScalingGroup',
  'autoscaling:DeleteAutoScalingGroup',
  'autoscaling:CreateOrUpdateTags',
  'autoscaling:DeleteTags',
  'autoscaling:PutScalingPolicy',
  'autoscaling:DeletePolicy',
  'autoscaling:SetDesiredCapacity',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
  'elasticloadbalancing:Describe*',
  'elasticloadbalancing:CreateLoadBalancer',
  'elasticloadbalancing:DeleteLoadBalancer',
  'elasticloadbalancing:ModifyLoadBalancerAttributes',
  'elasticloadbalancing:CreateTargetGroup',
  'elasticloadbalancing:DeleteTargetGroup',
  'elasticloadbalancing:ModifyTargetGroup',
  'elasticloadbalancing:ModifyTargetGroupAttributes',
  'elasticloadbalancing:CreateListener',
  'elasticloadbalancing:DeleteListener',
  'elasticloadbalancing:ModifyListener',
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:DeregisterTargets',
  'elasticloadbalancing:AddTags',
  'elasticloadbalancing:RemoveTags',
  'rds:Describe*',
  'rds:ListTagsForResource',
  'rds:CreateDBInstance',
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:ModifyDBInstance',
  'rds:DeleteDBInstance',
  'rds:CreateDBSubnetGroup',
  'rds:DeleteDBSubnetGroup',
  'rds:AddTagsToResource',
  'rds:RemoveTagsFromResource',
  's3:CreateBucket',
  's3:DeleteBucket',
  's3:ListBucket',
  's3:GetBucket*',
  's3:PutBucket*',
  's3:GetEncryptionConfiguration',
  's3:PutEncryptionConfiguration',
  's3:GetLifecycleConfiguration',
  's3:PutLifecycleConfiguration',
  'iam:GetRole',
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:TagRole',
  'iam:GetInstanceProfile',
  'iam:CreateInstanceProfile',
  'iam:DeleteInstanceProfile',
  'iam:AddRoleToInstanceProfile',
  'iam:RemoveRoleFromInstanceProfile',
  'iam:PassRole',
  'ssm:GetParameters',
  'secretsmanager:GetSecretValue',
];
