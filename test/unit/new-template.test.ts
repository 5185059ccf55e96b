import { CloudFormationClient, GetTemplateSummaryCommand, ValidateTemplateCommand } from '@aws-sdk/client-cloudformation';
import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type CurrentStack, newTemplateProblems } from '../../lambdas/discover/new-template';
import { parseTemplate } from '../../lambdas/shared/cfn-template';
import type { NewTemplateCheck } from '../../lambdas/shared/contracts';

const cfnMock = mockClient(CloudFormationClient);
const secretsMock = mockClient(SecretsManagerClient);
const clients = { cfn: new CloudFormationClient({ region: 'eu-west-1' }), secrets: new SecretsManagerClient({ region: 'eu-west-1' }) };
const URL = 'https://artifacts.s3.amazonaws.com/env-1.4.0.yaml';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/token';

const current: CurrentStack = {
  stackName: 'orders-prod',
  template: parseTemplate(`Parameters:
  EnvironmentVersion: { Type: String }
  DbSnapshotIdentifier: { Type: String, Default: '' }
  Token: { Type: String, NoEcho: true }
  Size: { Type: String }
Resources:
  Uploads: { Type: AWS::S3::Bucket }
  Reports: { Type: AWS::S3::Bucket }
  Db: { Type: AWS::RDS::DBInstance }
`),
  parameters: [
    { key: 'EnvironmentVersion', value: '1.3.0' },
    { key: 'DbSnapshotIdentifier', value: '' },
    { key: 'Token', value: '****' },
    { key: 'Size', value: 'small' },
  ],
  buckets: [
    { logicalId: 'Uploads', bucketName: 'orders-prod-uploads-1' },
    { logicalId: 'Reports', bucketName: 'orders-prod-reports-1' },
  ],
  dbLogicalIds: ['Db'],
};

const check = (extra: Partial<NewTemplateCheck> = {}): NewTemplateCheck => ({ targetVersion: '1.4.0', templateUrl: URL, parameters: {}, secretParameters: { Token: SECRET }, ...extra });

function newTemplate(parameters: { key: string; def?: string; noEcho?: boolean }[], resources: Record<string, string[]>) {
  cfnMock.on(ValidateTemplateCommand, { TemplateURL: URL }).resolves({
    Parameters: parameters.map((p) => ({ ParameterKey: p.key, ...(p.def !== undefined ? { DefaultValue: p.def } : {}), NoEcho: p.noEcho ?? false })),
  });
  cfnMock.on(GetTemplateSummaryCommand, { TemplateURL: URL }).resolves({
    Parameters: parameters.map((p) => ({ ParameterKey: p.key, ...(p.def !== undefined ? { DefaultValue: p.def } : {}), NoEcho: p.noEcho ?? false })),
    ResourceIdentifierSummaries: Object.entries(resources).map(([ResourceType, LogicalResourceIds]) => ({ ResourceType, LogicalResourceIds })),
  });
}
const GOOD_PARAMETERS = [{ key: 'EnvironmentVersion' }, { key: 'DbSnapshotIdentifier', def: '' }, { key: 'Token', noEcho: true }, { key: 'Size' }];
const GOOD_RESOURCES = { 'AWS::S3::Bucket': ['Uploads', 'Reports'], 'AWS::RDS::DBInstance': ['Db'] };

beforeEach(() => {
  cfnMock.reset();
  secretsMock.reset();
  secretsMock.on(DescribeSecretCommand).resolves({ ARN: `${SECRET}-AbCdEf` });
});

describe('the new template in the preflight', () => {
  it('finds nothing to refuse when every bucket and database pairs and every parameter gets a value, without reading any secret value', async () => {
    newTemplate(GOOD_PARAMETERS, GOOD_RESOURCES);
    expect(await newTemplateProblems(clients, current, check())).toEqual([]);
    expect(secretsMock.commandCalls(DescribeSecretCommand).map((c) => c.args[0].input.SecretId)).toEqual([SECRET]);
  });

  it('names EVERY problem at once: a renamed bucket, a database of another type, a parameter without a value, no EnvironmentVersion, a NoEcho value not in secretParameters, a typo in parameters, a missing secret', async () => {
    newTemplate([{ key: 'DbSnapshotIdentifier', def: '' }, { key: 'Token', noEcho: true }, { key: 'Size' }, { key: 'AlertEmail' }], {
      'AWS::S3::Bucket': ['Uploads', 'ReportArchive'],
      'AWS::RDS::DBCluster': ['Db'],
    });
    secretsMock.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    const problems = await newTemplateProblems(clients, current, check({ secretParameters: { Size: SECRET }, parameters: { Sise: 'large' } }));
    expect(problems).toEqual([
      `bucket Reports (AWS::S3::Bucket) of orders-prod has no partner in the new template ${URL} (its buckets not in orders-prod: ReportArchive; a renamed bucket is a new, empty one): its data would have nowhere to go; resources pair by logical ID`,
      `database Db of orders-prod is a AWS::RDS::DBCluster in the new template ${URL}, not a AWS::RDS::DBInstance: its data would have nowhere to go`,
      'parameter Token of orders-prod is NoEcho: CloudFormation shows its value as **** and never gives it back, so the copy cannot be created with it; store it in Secrets Manager and name the secret in secretParameters ({"Token": "<secret ARN>"})',
      `the new template ${URL} declares no parameter EnvironmentVersion (template contract): the new environment could not say its version`,
      `parameter AlertEmail of the new template ${URL} has no default and gets no value: give it in parameters`,
      `parameters.Sise: the new template ${URL} declares no parameter Sise`,
      `secretParameters.Size: secret ${SECRET} does not exist`,
    ]);
  });

  it('refuses a NoEcho value given in parameters (it would sit in the execution history)', async () => {
    newTemplate(GOOD_PARAMETERS, GOOD_RESOURCES);
    const problems = await newTemplateProblems(clients, current, check({ parameters: { Token: 'plain' }, secretParameters: {} }));
    expect(problems.join('\n')).toMatch(/parameter Token of orders-prod is NoEcho/);
    expect(problems.join('\n')).not.toContain('plain');
  });

  it('reports a template CloudFormation refuses as one problem quoting its answer, and lets other errors through for a retry', async () => {
    cfnMock.on(ValidateTemplateCommand).rejects(Object.assign(new Error('Template format error: YAML not well-formed.'), { name: 'ValidationError' }));
    expect(await newTemplateProblems(clients, current, check())).toEqual([`the new template ${URL} cannot be used: CloudFormation answers "Template format error: YAML not well-formed."`]);
    cfnMock.on(ValidateTemplateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(newTemplateProblems(clients, current, check())).rejects.toMatchObject({ name: 'Throttling' });
  });

  it('without templateUrl checks the current template for both clones (a pure clone): its NoEcho value still needs its secret', async () => {
    const problems = await newTemplateProblems(clients, current, check({ templateUrl: undefined, secretParameters: {} }));
    expect(problems).toEqual([expect.stringMatching(/^parameter Token of orders-prod is NoEcho/)]);
    expect(cfnMock.commandCalls(ValidateTemplateCommand)).toHaveLength(0);
  });
});
