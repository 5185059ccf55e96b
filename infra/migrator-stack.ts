/**
 * The standalone deployment: one stack around the EnvironmentMigrator construct, with the outputs
 * the CLI and the local runner read (MigrateStateMachineArn, CloneStateMachineArn, RetireStateMachineArn, RollbackStateMachineArn,
 * NotificationTopicArn, LockTableName, WorkflowBucketName).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { EnvironmentMigrator, type EnvironmentMigratorProps } from './environment-migrator';

export interface EnvironmentMigratorStackProps extends StackProps, EnvironmentMigratorProps {
  /**
   * The CloudFormation service role by ARN (the standalone app's context value); cloudFormationRole wins.
   *
   * @default - the construct's own role (see EnvironmentMigratorProps.cloudFormationRole)
   */
  readonly cloudFormationRoleArn?: string;
}

export class EnvironmentMigratorStack extends Stack {
  readonly migrator: EnvironmentMigrator;
  readonly migrateStateMachine: sfn.IStateMachine;
  readonly cloneStateMachine: sfn.IStateMachine;
  readonly topic: sns.ITopic;
  readonly lockTable: dynamodb.ITable;

  constructor(scope: Construct, id: string, props: EnvironmentMigratorStackProps) {
    super(scope, id, props);
    // 'Default' adds nothing to the logical IDs: the resources keep the IDs they had when the stack
    // built them itself (Migrate…, Clone…), which the local runner finds them by.
    const cloudFormationRole =
      props.cloudFormationRole ??
      (props.cloudFormationRoleArn ? iam.Role.fromRoleArn(this, 'CloudFormationRole', props.cloudFormationRoleArn, { mutable: false }) : undefined);
    this.migrator = new EnvironmentMigrator(this, 'Default', { ...props, cloudFormationRole });
    this.migrateStateMachine = this.migrator.migrateStateMachine;
    this.cloneStateMachine = this.migrator.cloneStateMachine;
    this.topic = this.migrator.topic;
    this.lockTable = this.migrator.lockTable;

    new CfnOutput(this, 'MigrateStateMachineArn', { value: this.migrateStateMachine.stateMachineArn });
    new CfnOutput(this, 'CloneStateMachineArn', { value: this.cloneStateMachine.stateMachineArn });
    new CfnOutput(this, 'RetireStateMachineArn', { value: this.migrator.retireStateMachine.stateMachineArn });
    new CfnOutput(this, 'RollbackStateMachineArn', { value: this.migrator.rollbackStateMachine.stateMachineArn });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'LockTableName', { value: this.lockTable.tableName });
    new CfnOutput(this, 'WorkflowBucketName', { value: this.migrator.workflowBucket.bucketName });
  }
}
