import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CANCEL_CHECK_STEPS, normalizedRecordName, stepGrants, type PermissionScope } from '../../infra/step-permissions';

const BASE: PermissionScope = {
  stackPrefixes: ['orders-'],
  partition: 'aws',
  region: 'eu-west-1',
  account: '123456789012',
  cloudFormationRoleArn: 'arn:aws:iam::123456789012:role/cfn',
  templateBucketNames: [],
  statisticsSecretArns: [],
};
const FULL: PermissionScope = {
  ...BASE,
  hostedZoneIds: ['Z0123456789ABC', '/hostedzone/Z0SECOND'],
  retireScheduleGroupName: 'env-migrator',
  retireScheduleRoleArn: 'arn:aws:iam::123456789012:role/retire-scheduler',
};

type Statement = { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> };
const statements = (step: Parameters<typeof stepGrants>[0], scope: PermissionScope): Statement[] =>
  stepGrants(step, scope).map((g) => new Stack().resolve(g.statement.toStatementJson()) as Statement);

const ZONES = ['arn:aws:route53:::hostedzone/Z0123456789ABC', 'arn:aws:route53:::hostedzone/Z0SECOND'];

describe('blue/green step grants', () => {
  it('entry-point reads the slots everywhere and the record only in the hosted zones given', () => {
    expect(statements('entry-point', FULL)).toEqual([
      { Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-*/*' },
      { Effect: 'Allow', Action: 'route53:ListResourceRecordSets', Resource: ZONES },
    ]);
    expect(statements('entry-point', BASE).map((s) => s.Action)).toEqual(['cloudformation:DescribeStacks']);
  });

  it('switch-entry-point may only DELETE and CREATE A or CNAME records, in the given zones, never UPSERT', () => {
    expect(statements('switch-entry-point', FULL)).toEqual([
      { Effect: 'Allow', Action: 'route53:ListResourceRecordSets', Resource: ZONES },
      {
        Effect: 'Allow',
        Action: 'route53:ChangeResourceRecordSets',
        Resource: ZONES,
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'CNAME'],
          },
        },
      },
    ]);
    expect(statements('switch-entry-point', BASE)).toEqual([]);
  });

  it('switch-entry-point is narrowed to the entry point names when they are known, in the condition key normal form', () => {
    const [, change] = statements('switch-entry-point', { ...FULL, entryPointRecordNames: ['App.Example.com.', '*.example.com'] });
    expect(change!.Condition!['ForAllValues:StringEquals']!['route53:ChangeResourceRecordSetsNormalizedRecordNames']).toEqual(['app.example.com', '\\052.example.com']);
    expect(normalizedRecordName('My_App-1.Example.COM')).toBe('my_app-1.example.com');
  });

  it('switch-status reads record changes only, and obeys cancel requests', () => {
    expect(statements('switch-status', BASE)).toEqual([{ Effect: 'Allow', Action: 'route53:GetChange', Resource: 'arn:aws:route53:::change/*' }]);
    expect(CANCEL_CHECK_STEPS).toContain('switch-status');
  });

  it('schedule-retire creates and reads em-retire-* schedules of its group and passes the scheduler role to EventBridge Scheduler only', () => {
    expect(statements('schedule-retire', FULL)).toEqual([
      {
        Effect: 'Allow',
        Action: ['scheduler:CreateSchedule', 'scheduler:GetSchedule'],
        Resource: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/env-migrator/em-retire-*',
      },
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: 'arn:aws:iam::123456789012:role/retire-scheduler',
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    expect(statements('schedule-retire', { ...FULL, retireScheduleRoleArn: undefined })).toEqual([]);
    expect(statements('schedule-retire', BASE)).toEqual([]);
  });
});
