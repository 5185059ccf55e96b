import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { STEPS, STEP_NAMES } from '../../lambdas/steps';
import { synth } from './synth';

type Resource = { Type: string; Properties?: Record<string, unknown> };

function resourcesOf(type: string): [string, Resource][] {
  return Object.entries(synth().json.Resources).filter(([, r]) => r.Type === type);
}

function functionOf(step: string): Resource {
  const found = resourcesOf('AWS::Lambda::Function').filter(
    ([, r]) => (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables?.ENV_MIGRATOR_STEP === step,
  );
  expect(found, `functions of step ${step}`).toHaveLength(1);
  return found[0]![1];
}

describe('EnvMigrator stack', () => {
  it('has the Clone and Migrate state machines, both Standard, found by the names the local runner looks for', () => {
    const machines = resourcesOf('AWS::StepFunctions::StateMachine');
    expect(machines.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['Clone', 'Migrate']);
    for (const [, r] of machines) expect(r.Properties?.StateMachineType).toBe('STANDARD');
  });

  it('has one function per step: Node.js 22 on arm64 with the step timeout and memory, source maps and the step name', () => {
    expect(resourcesOf('AWS::Lambda::Function').length).toBe(STEP_NAMES.length);
    for (const step of STEP_NAMES) {
      const p = functionOf(step).Properties!;
      expect(p.Runtime, step).toBe('nodejs22.x');
      expect(p.Architectures, step).toEqual(['arm64']);
      expect(p.Timeout, step).toBe(STEPS[step].timeoutSeconds);
      expect(p.MemorySize, step).toBe(STEPS[step].memoryMb);
      expect((p.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'env-migrator',
        ENV_MIGRATOR_STEP: step,
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(p.LoggingConfig, `${step} logs to its own log group`).toMatchObject({ LogGroup: { Ref: expect.any(String) } });
    }
  });

  it('gives every function log group a retention', () => {
    const groups = resourcesOf('AWS::Logs::LogGroup');
    expect(groups.length).toBe(STEP_NAMES.length);
    for (const [, g] of groups) expect(g.Properties?.RetentionInDays).toBeGreaterThan(0);
  });

  it('lets the stack steps pass the CloudFormation role, and only them', () => {
    for (const step of STEP_NAMES) {
      const vars = (functionOf(step).Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      if (step === 'create-stack' || step === 'delete-stack') expect(vars.CFN_ROLE_ARN, step).toBeDefined();
      else expect(vars.CFN_ROLE_ARN, step).toBeUndefined();
    }
    synth().template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudformation.amazonaws.com' } })]),
      }),
    });
  });

  it('grants no wildcard action (neither "*" nor "service:*") in any IAM policy', () => {
    const statements = [
      ...resourcesOf('AWS::IAM::Policy').flatMap(([, r]) => (r.Properties!.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement),
      ...resourcesOf('AWS::IAM::Role').flatMap(([, r]) =>
        ((r.Properties!.Policies as { PolicyDocument: { Statement: { Action: string | string[] }[] } }[] | undefined) ?? []).flatMap((p) => p.PolicyDocument.Statement),
      ),
    ];
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      for (const action of [s.Action].flat()) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/:\*$/);
      }
    }
  });

  it('keeps the environment locks in an on-demand table keyed by stack name, with TTL and point-in-time recovery', () => {
    synth().template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'stackName', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'stackName', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(resourcesOf('AWS::DynamoDB::Table')).toHaveLength(1);
    expect(resourcesOf('AWS::SNS::Topic')).toHaveLength(1);
  });

  it('outputs the state machine and topic ARNs', () => {
    const outputs = synth().template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['MigrateStateMachineArn', 'CloneStateMachineArn', 'NotificationTopicArn']));
  });
});
