/**
 * The permissions CloudFormation needs to create and delete an environment like
 * examples/environment.yaml (security groups, interface endpoints, an Application Load Balancer, a
 * Lambda function with its role, a launch template and an Auto Scaling group, an RDS instance
 * restored from a snapshot with its subnet group and secret, two buckets) when create-stack and
 * delete-stack pass the service role as RoleARN. Another template needs another list: pass your own
 * role (EnvironmentMigratorProps.cloudFormationRole).
 *
 * examples/cloudformation-role-policy.json is this policy for the prefix `orders-` in any region and
 * account (a test keeps the two equal; after a change here, rewrite it with
 *   npx tsx -e "import('./infra/environment-role.ts').then((m) => console.log(JSON.stringify(m.samplePolicyDocument(['orders-']), null, 2)))" > examples/cloudformation-role-policy.json
 * ). Resources are narrowed by name where CloudFormation's
 * generated names start with the stack name (buckets, DB instances and subnet groups, IAM roles,
 * Lambda functions, Auto Scaling groups), by type elsewhere; Describe/List calls that support no
 * resource-level permission get `*`.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { SNAPSHOT_NAME_PREFIX } from './step-permissions';

export interface EnvironmentRoleScope {
  stackPrefixes: readonly string[];
  partition: string;
  region: string;
  account: string;
}

/** The statements of the sample CloudFormation service role. */
export function environmentRoleStatements(scope: EnvironmentRoleScope): iam.PolicyStatement[] {
  const { partition: p, region: r, account: a } = scope;
  const lower = scope.stackPrefixes.map((prefix) => prefix.toLowerCase());
  const ec2 = (type: string) => `arn:${p}:ec2:${r}:${a}:${type}/*`;
  const elb = (type: string) => `arn:${p}:elasticloadbalancing:${r}:${a}:${type}/*`;
  const s = (sid: string, actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>) =>
    new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) });

  return [
    s(
      'DescribeWhatTheTemplateReferences',
      [
        'ec2:DescribeAccountAttributes',
        'ec2:DescribeAvailabilityZones',
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInternetGateways',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribeLaunchTemplateVersions',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSecurityGroupRules',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcEndpoints',
        'ec2:DescribeVpcs',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTags',
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeScalingActivities',
        'rds:DescribeDBInstances',
        'rds:DescribeDBSubnetGroups',
        'secretsmanager:GetRandomPassword',
      ],
      ['*'],
    ),
    s('ResolveTheAmiParameter', ['ssm:GetParameters'], [`arn:${p}:ssm:${r}::parameter/aws/service/ami-amazon-linux-latest/*`]),
    s(
      'SecurityGroupsAndEndpoints',
      [
        'ec2:CreateSecurityGroup',
        'ec2:DeleteSecurityGroup',
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupIngress',
        'ec2:RevokeSecurityGroupEgress',
        'ec2:CreateVpcEndpoint',
        'ec2:ModifyVpcEndpoint',
        'ec2:DeleteVpcEndpoints',
        'ec2:CreateTags',
        'ec2:DeleteTags',
      ],
      [ec2('vpc'), ec2('subnet'), ec2('security-group'), ec2('security-group-rule'), ec2('vpc-endpoint'), ec2('route-table')],
    ),
    s(
      'LaunchTemplateAndInstances',
      ['ec2:CreateLaunchTemplate', 'ec2:CreateLaunchTemplateVersion', 'ec2:DeleteLaunchTemplate', 'ec2:RunInstances', 'ec2:CreateTags'],
      [
        ec2('launch-template'),
        ec2('instance'),
        ec2('volume'),
        ec2('network-interface'),
        ec2('subnet'),
        ec2('security-group'),
        `arn:${p}:ec2:${r}::image/*`,
      ],
    ),
    s(
      'LoadBalancer',
      [
        'elasticloadbalancing:CreateLoadBalancer',
        'elasticloadbalancing:DeleteLoadBalancer',
        'elasticloadbalancing:ModifyLoadBalancerAttributes',
        'elasticloadbalancing:SetSecurityGroups',
        'elasticloadbalancing:CreateTargetGroup',
        'elasticloadbalancing:DeleteTargetGroup',
        'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes',
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterTargets',
        'elasticloadbalancing:CreateListener',
        'elasticloadbalancing:DeleteListener',
        'elasticloadbalancing:ModifyListener',
        'elasticloadbalancing:CreateRule',
        'elasticloadbalancing:DeleteRule',
        'elasticloadbalancing:ModifyRule',
        'elasticloadbalancing:AddTags',
        'elasticloadbalancing:RemoveTags',
      ],
      [elb('loadbalancer/app/*'), elb('targetgroup/*'), elb('listener/app/*'), elb('listener-rule/app/*')],
    ),
    s(
      'ServiceLinkedRoles',
      ['iam:CreateServiceLinkedRole'],
      [`arn:${p}:iam::${a}:role/aws-service-role/*`],
      {
        StringEquals: {
          'iam:AWSServiceName': ['autoscaling.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'rds.amazonaws.com'],
        },
      },
    ),
    s(
      'StatisticsFunctionRole',
      [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:GetRole',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:PutRolePolicy',
        'iam:GetRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:AttachRolePolicy',
        'iam:DetachRolePolicy',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
      ],
      scope.stackPrefixes.map((prefix) => `arn:${p}:iam::${a}:role/${prefix}*`),
    ),
    s('PassTheFunctionRoleToLambda', ['iam:PassRole'], scope.stackPrefixes.map((prefix) => `arn:${p}:iam::${a}:role/${prefix}*`), {
      StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' },
    }),
    s(
      'StatisticsFunction',
      [
        'lambda:CreateFunction',
        'lambda:DeleteFunction',
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:UpdateFunctionConfiguration',
        'lambda:TagResource',
        'lambda:UntagResource',
        'lambda:ListTags',
        'lambda:AddPermission',
        'lambda:RemovePermission',
      ],
      scope.stackPrefixes.map((prefix) => `arn:${p}:lambda:${r}:${a}:function:${prefix}*`),
    ),
    s('StatisticsFunctionLayer', ['lambda:GetLayerVersion'], [`arn:${p}:lambda:${r}:*:layer:*:*`]),
    s(
      'AutoScalingGroup',
      ['autoscaling:CreateAutoScalingGroup', 'autoscaling:UpdateAutoScalingGroup', 'autoscaling:DeleteAutoScalingGroup', 'autoscaling:CreateOrUpdateTags', 'autoscaling:DeleteTags'],
      scope.stackPrefixes.map((prefix) => `arn:${p}:autoscaling:${r}:${a}:autoScalingGroup:*:autoScalingGroupName/${prefix}*`),
    ),
    s(
      'DatabaseFromSnapshot',
      [
        'rds:CreateDBInstance',
        'rds:RestoreDBInstanceFromDBSnapshot',
        // Live sync: a database created as a read replica of the source's (SourceDBInstanceIdentifier), promoted by the update that empties it.
        'rds:CreateDBInstanceReadReplica',
        'rds:PromoteReadReplica',
        'rds:ModifyDBInstance',
        'rds:DeleteDBInstance',
        'rds:CreateDBSubnetGroup',
        'rds:ModifyDBSubnetGroup',
        'rds:DeleteDBSubnetGroup',
        'rds:AddTagsToResource',
        'rds:RemoveTagsFromResource',
        'rds:ListTagsForResource',
      ],
      [
        ...lower.map((prefix) => `arn:${p}:rds:${r}:${a}:db:${prefix}*`),
        ...lower.map((prefix) => `arn:${p}:rds:${r}:${a}:subgrp:${prefix}*`),
        `arn:${p}:rds:${r}:${a}:snapshot:${SNAPSHOT_NAME_PREFIX}*`,
        `arn:${p}:rds:${r}:${a}:og:default:*`,
        `arn:${p}:rds:${r}:${a}:pg:default.*`,
      ],
    ),
    s('EncryptedDatabaseStorage', ['kms:DescribeKey', 'kms:CreateGrant'], [`arn:${p}:kms:${r}:${a}:key/*`], {
      StringEquals: { 'kms:ViaService': `rds.${r}.amazonaws.com` },
    }),
    // CloudFormation names a secret after its logical ID, not the stack: the tag CloudFormation puts
    // on every resource it creates (aws:cloudformation:stack-name) narrows the sensitive read.
    s(
      'DatabaseSecret',
      ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource'],
      [`arn:${p}:secretsmanager:${r}:${a}:secret:*`],
    ),
    s('ResolveTheDatabasePassword', ['secretsmanager:GetSecretValue'], [`arn:${p}:secretsmanager:${r}:${a}:secret:*`], {
      StringLike: { 'aws:ResourceTag/aws:cloudformation:stack-name': scope.stackPrefixes.map((prefix) => `${prefix}*`) },
    }),
    s(
      'Buckets',
      [
        's3:CreateBucket',
        's3:DeleteBucket',
        's3:ListBucket',
        's3:GetBucketLocation',
        's3:GetBucketVersioning',
        's3:PutBucketVersioning',
        's3:GetEncryptionConfiguration',
        's3:PutEncryptionConfiguration',
        's3:GetBucketPublicAccessBlock',
        's3:PutBucketPublicAccessBlock',
        's3:GetBucketOwnershipControls',
        's3:PutBucketOwnershipControls',
        's3:GetBucketTagging',
        's3:PutBucketTagging',
      ],
      lower.map((prefix) => `arn:${p}:s3:::${prefix}*`),
    ),
  ];
}

/** The sample policy document (examples/cloudformation-role-policy.json) for some prefixes, any region and account. */
export function samplePolicyDocument(stackPrefixes: readonly string[]): unknown {
  const statements = environmentRoleStatements({ stackPrefixes, partition: 'aws', region: '*', account: '*' });
  return new iam.PolicyDocument({ statements }).toJSON();
}
