/**
 * The construct's blue/green resources (`entryPoints`): what the entry point steps, schedule-retire,
 * record-switch and Migrate may do, the Scheduler role that starts the retire run, the schedule group,
 * and the retention the switch records' documents need. cdk-nag stays clean with them.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { synthStack } from './synth';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

const ENTRY_POINTS = [{ hostedZoneId: 'Z0123456789ABC', recordNames: ['orders.example.com', 'Billing.Example.com.'] }];
const bg = synthStack({ managedStackPrefixes: ['orders-'], entryPoints: ENTRY_POINTS });

const resourcesOf = (template: Template, type: string): [string, Resource][] =>
  Object.entries(template.toJSON().Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
const resolve = (v: unknown): string => JSON.stringify(Stack.of(bg.stack).resolve(v));

function functionOf(template: Template, step: string): Resource {
  const found = resourcesOf(template, 'AWS::Lambda::Function').filter(([, r]) => (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables?.ENV_MIGRATOR_STEP === step);
  expect(found).toHaveLength(1);
  return found[0]![1];
}
function roleStatements(template: Template, roleId: string): Statement[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}
const stepStatements = (template: Template, step: string) => roleStatements(template, (functionOf(template, step).Properties!.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]);
/** The actions granted, without the logs and X-Ray every function has. */
const actions = (ss: Statement[]) => ss.flatMap((s) => [s.Action].flat()).filter((a) => !/^(logs|xray):/.test(a));

describe('EnvironmentMigrator with entryPoints (blue/green)', () => {
  it('defines the schedule group env-migrator and gives schedule-retire and close-switch-record its name (RETIRE_SCHEDULE_GROUP)', () => {
    expect((functionOf(bg.template, 'close-switch-record').Properties!.Environment as { Variables: Record<string, string> }).Variables.RETIRE_SCHEDULE_GROUP).toBe('env-migrator');
    expect(resourcesOf(bg.template, 'AWS::Scheduler::ScheduleGroup').map(([, r]) => r.Properties?.Name)).toEqual(['env-migrator']);
    expect((functionOf(bg.template, 'schedule-retire').Properties!.Environment as { Variables: Record<string, string> }).Variables.RETIRE_SCHEDULE_GROUP).toBe('env-migrator');
    // Without entryPoints: no group, no role, no variable (schedule-retire then fails ConfigurationMissing).
    const plain = synthStack({ managedStackPrefixes: ['orders-'] });
    expect(resourcesOf(plain.template, 'AWS::Scheduler::ScheduleGroup')).toEqual([]);
    expect((functionOf(plain.template, 'schedule-retire').Properties!.Environment as { Variables: Record<string, string> }).Variables.RETIRE_SCHEDULE_GROUP).toBeUndefined();
    expect(actions(stepStatements(plain.template, 'schedule-retire'))).toEqual([]);
  });

  it("the Scheduler role is trusted by scheduler.amazonaws.com for this account only, and may only start the retire state machine", () => {
    const roles = resourcesOf(bg.template, 'AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'));
    expect(roles).toHaveLength(1);
    const [roleId, role] = roles[0]!;
    const trust = (role.Properties!.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]!.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    const granted = roleStatements(bg.template, roleId);
    expect(actions(granted)).toEqual(['states:StartExecution']);
    expect(granted).toHaveLength(1);
    // schedule-retire may pass this role, and only to Scheduler.
    const pass = stepStatements(bg.template, 'schedule-retire').find((s) => s.Action === 'iam:PassRole')!;
    expect(resolve(pass.Resource)).toContain(roleId);
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });

  it("the Scheduler role and Migrate's retire schedules target the construct's own Retire machine", () => {
    const [retireId] = resourcesOf(bg.template, 'AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('Retire'))!;
    const [roleId] = resourcesOf(bg.template, 'AWS::IAM::Role').find(([, r]) => JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'))!;
    expect(roleStatements(bg.template, roleId)[0]!.Resource).toEqual({ Ref: retireId });
    // Migrate's definition (schedule-retire's targetArn) names it too.
    const [, migrate] = resourcesOf(bg.template, 'AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('Migrate'))!;
    expect(JSON.stringify(migrate.Properties!.DefinitionString)).toContain(JSON.stringify({ Ref: retireId }));
  });

  it('the switch may change only the named records of the given zone, A and CNAME by DELETE and CREATE', () => {
    const change = stepStatements(bg.template, 'switch-entry-point').find((s) => s.Action === 'route53:ChangeResourceRecordSets')!;
    expect(resolve(change.Resource)).toContain(':route53:::hostedzone/Z0123456789ABC"');
    expect(change.Condition).toEqual({
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'CNAME'],
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['orders.example.com', 'billing.example.com'],
      },
    });
    expect(actions(stepStatements(bg.template, 'entry-point'))).toEqual(['cloudformation:DescribeStacks', 'route53:ListResourceRecordSets']);
  });

  it('record-switch writes the switch records under entry-points/ and its run documents under runs/, nothing else of the bucket', () => {
    const s3 = stepStatements(bg.template, 'record-switch').filter((s) => actions([s]).some((a) => a.startsWith('s3:')));
    expect(s3.map((s) => [actions([s]).sort(), resolve(s.Resource).match(/\/(runs|entry-points)\/\*/)?.[1]])).toEqual([
      [['s3:GetObject', 's3:PutObject'], 'runs'],
      [['s3:PutObject'], 'entry-points'],
    ]);
  });

  it('refuses entry points it cannot scope, and a document retention shorter than a previous slot may be kept', () => {
    expect(() => synthStack({ managedStackPrefixes: ['orders-'], entryPoints: [{ hostedZoneId: 'not a zone', recordNames: ['a.example.com'] }] })).toThrow(/entryPoints\[0\]\.hostedZoneId/);
    expect(() => synthStack({ managedStackPrefixes: ['orders-'], entryPoints: [{ hostedZoneId: 'Z1', recordNames: [] }] })).toThrow(/entryPoints\[0\]\.recordNames/);
    expect(() => synthStack({ managedStackPrefixes: ['orders-'], entryPoints: ENTRY_POINTS, documentRetentionDays: 14 })).toThrow(/documentRetentionDays 14 .* at least 33 days/);
  });

  it('alarms to the topic when a retire schedule could not start its retire run (AWS/Scheduler InvocationDroppedCount of the group)', () => {
    const [topicId] = resourcesOf(bg.template, 'AWS::SNS::Topic')[0]!;
    const dropped = resourcesOf(bg.template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!).filter((a) => a.Namespace === 'AWS/Scheduler');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ MetricName: 'InvocationDroppedCount', Dimensions: [{ Name: 'ScheduleGroup', Value: 'env-migrator' }], Threshold: 1, AlarmActions: [{ Ref: topicId }] });
  });

  it('pass cdk-nag AwsSolutions with no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks().validateScope(bg.stack);
    expect(report.violations.map((v) => `${v.ruleName} on ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
  });
});
