/**
 * The deployed product: the 16 step functions, the Clone and Migrate state machines (Standard), the
 * environment lock table, the notification topic, and the role CloudFormation uses to create and
 * delete environments on the workflow's behalf.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { MIGRATION_TIMEOUT_SECONDS, STEP_NAMES, type StepName } from '../lambdas/steps';
import type { StepFunctions } from '../statemachine/building-blocks';
import { buildCloneDefinition } from '../statemachine/clone';
import { buildMigrateDefinition } from '../statemachine/migrate';
import { StepFunction } from './lambda-step';
import { ENVIRONMENT_ACTIONS, stepStatements } from './step-permissions';

/** Steps that call CreateStack / DeleteStack and pass the CloudFormation role (env CFN_ROLE_ARN). */
const STACK_STEPS: readonly StepName[] = ['create-stack', 'delete-stack'];

export class EnvironmentMigratorStack extends Stack {
  readonly migrateStateMachine: sfn.StateMachine;
  readonly cloneStateMachine: sfn.StateMachine;
  readonly topic: sns.Topic;
  readonly lockTable: dynamodb.Table;
  readonly steps: Record<StepName, StepFunction>;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const cloudFormationRole = new iam.Role(this, 'EnvironmentDeployRole', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: 'Used by CloudFormation to create and delete the environments env-migrator clones',
    });
    cloudFormationRole.addToPolicy(new iam.PolicyStatement({ actions: ENVIRONMENT_ACTIONS, resources: ['*'] }));

    const steps = {} as Record<StepName, StepFunction>;
    const fns = {} as StepFunctions;
    for (const step of STEP_NAMES) {
      const isStackStep = STACK_STEPS.includes(step);
      const fn = new StepFunction(this, `Step-${step}`, {
        step,
        environment: isStackStep ? { CFN_ROLE_ARN: cloudFormationRole.roleArn } : undefined,
      });
      for (const statement of stepStatements(step)) fn.function.addToRolePolicy(statement);
      if (isStackStep) cloudFormationRole.grantPassRole(fn.function.grantPrincipal);
      steps[step] = fn;
      fns[step] = fn.function;
    }
    this.steps = steps;

    this.topic = new sns.Topic(this, 'Notifications', { displayName: 'env-migrator', enforceSSL: true });

    this.lockTable = new dynamodb.Table(this, 'EnvironmentLocks', {
      partitionKey: { name: 'stackName', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });

    const timeout = Duration.seconds(MIGRATION_TIMEOUT_SECONDS);
    this.cloneStateMachine = new sfn.StateMachine(this, 'Clone', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(buildCloneDefinition(new Construct(this, 'CloneStates'), fns)),
      timeout,
      comment: 'Copies an environment (stack, databases, buckets) into a new stack and verifies the copy',
    });
    this.migrateStateMachine = new sfn.StateMachine(this, 'Migrate', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(
        buildMigrateDefinition(new Construct(this, 'MigrateStates'), {
          fns,
          cloneStateMachine: this.cloneStateMachine,
          lockTable: this.lockTable,
          topic: this.topic,
        }),
      ),
      timeout,
      comment: 'Migrates an environment to a new template version without losing data (double clone)',
    });

    new CfnOutput(this, 'MigrateStateMachineArn', { value: this.migrateStateMachine.stateMachineArn });
    new CfnOutput(this, 'CloneStateMachineArn', { value: this.cloneStateMachine.stateMachineArn });
    new CfnOutput(this, 'NotificationTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'LockTableName', { value: this.lockTable.tableName });
  }
}
