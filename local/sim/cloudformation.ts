/**
 * Simulated AWS CloudFormation: stacks that create their resources from the template.
 *
 * CreateStack validates the request like CloudFormation (template, parameters, capabilities, name),
 * then provisions the resources in dependency order through the other simulated services: buckets in
 * S3, databases in RDS (fresh or restored from a snapshot), groups in Auto Scaling, and load balancers
 * whose hosts answer HTTP (./environment-app.ts). Side effects happen at once; what the API shows
 * follows simulated time: every stack and resource event carries the time it happens (the stack is
 * CREATE_IN_PROGRESS until start + timing.stackCreateSeconds + the databases' restore time), and every
 * read shows only the events whose time has come. No timers.
 *
 * Deletion runs the other way (reverse dependency order, DeletionPolicy honoured). A bucket that still
 * holds objects cannot be deleted, which leaves the stack DELETE_FAILED, as in AWS.
 */
import type {
  Change,
  ChangeSetStatus,
  CreateChangeSetCommandInput,
  CreateChangeSetCommandOutput,
  DeleteChangeSetCommandInput,
  DescribeChangeSetCommandInput,
  DescribeChangeSetCommandOutput,
  ExecuteChangeSetCommandInput,
  ExecutionStatus,
  ListChangeSetsCommandInput,
  ListChangeSetsCommandOutput,
  CreateStackCommandInput,
  CreateStackCommandOutput,
  DeleteStackCommandInput,
  DescribeStackEventsCommandInput,
  DescribeStackEventsCommandOutput,
  DescribeStackResourcesCommandInput,
  DescribeStackResourcesCommandOutput,
  DescribeStacksCommandInput,
  DescribeStacksCommandOutput,
  GetTemplateCommandInput,
  GetTemplateCommandOutput,
  GetTemplateSummaryCommandInput,
  GetTemplateSummaryCommandOutput,
  ListStackResourcesCommandInput,
  ListStackResourcesCommandOutput,
  ListStacksCommandInput,
  ListStacksCommandOutput,
  Output,
  ResourceStatus,
  Stack,
  UpdateStackCommandInput,
  UpdateStackCommandOutput,
  ValidateTemplateCommandInput,
  ValidateTemplateCommandOutput,
  UpdateTerminationProtectionCommandInput,
  UpdateTerminationProtectionCommandOutput,
  StackEvent,
  StackStatus,
  Tag,
} from '@aws-sdk/client-cloudformation';
import { type CfnTemplate, parseTemplate } from '../../lambdas/shared/cfn-template';
import type { SimAccount } from './account';
import {
  NO_VALUE,
  type ResolvedParameter,
  type ResourcePlan,
  type Scope,
  TemplateValidationError,
  creationOrder,
  dependencyGraph,
  dependents,
  evaluate,
  evaluateConditions,
  knownParameterType,
  parameterDefinitions,
  parametersReferenced,
  planResource,
  referencesIn,
  requiredCapabilities,
  resolveParameters,
} from './cfn-engine';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';
import { environmentApp } from './environment-app';
import { HEX, IdSource, LOWER_ALNUM, MIXED_ALNUM } from './ids';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const STACK_TYPE = 'AWS::CloudFormation::Stack';
/** CreateStack limits (API_CreateStack): TemplateBody up to 51,200 bytes, a template in S3 up to 1 MB. */
const TEMPLATE_BODY_MAX = 51_200;
const TEMPLATE_URL_MAX_BYTES = 1024 * 1024;
const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]*$/;
const REQUEST_TOKEN = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;
const PAGE = 100;

type Policy = 'Delete' | 'Retain' | 'Snapshot' | 'RetainExceptOnCreate';

/** The property holding a custom physical name, per type: a replacement that keeps it cannot be made (the name is taken). */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::AutoScaling::AutoScalingGroup': 'AutoScalingGroupName',
  'AWS::RDS::DBSubnetGroup': 'DBSubnetGroupName',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'Name',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Name',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::EC2::LaunchTemplate': 'LaunchTemplateName',
};

/** Statuses from which UpdateStack is accepted (API_UpdateStack: a stack whose last operation completed, and not a failed creation). */
const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

/**
 * The Route 53 hosted zone of Application Load Balancers in us-east-1 (the sample's region), what
 * Fn::GetAtt CanonicalHostedZoneID returns and what an alias record to the load balancer names
 * (Elastic Load Balancing endpoints and quotas, AWS General Reference).
 */
export const ALB_CANONICAL_HOSTED_ZONE_ID = 'Z35SXDOTRQ7X7K';

/** A load balancer created by a stack; its DNS name is a host the account answers. */
export interface LoadBalancerRecord {
  arn: string;
  name: string;
  dnsName: string;
  stackId: string;
  logicalId: string;
}
export interface TargetGroupRecord {
  arn: string;
  name: string;
  targetType: 'instance' | 'ip' | 'lambda';
  /** Registered targets: function ARNs for a lambda target group. */
  targets: string[];
  stackId: string;
}
export interface ListenerAction {
  type: string;
  targetGroupArns: string[];
  fixedResponse?: { statusCode: number; contentType: string; body: string };
}
export interface ListenerRecord {
  arn: string;
  loadBalancerArn: string;
  port: number;
  defaultActions: ListenerAction[];
  stackId: string;
}
export interface ListenerRuleRecord {
  arn: string;
  listenerArn: string;
  priority: number;
  /** path-pattern condition values (`*` and `?` wildcards); empty matches every path. */
  pathPatterns: string[];
  actions: ListenerAction[];
  stackId: string;
}
export interface FunctionRecord {
  arn: string;
  name: string;
  stackId: string;
  logicalId: string;
  environment: Record<string, string>;
}

/** A stack as seeding code and assertions read it: values by key, outputs only once they are shown. */
export interface StackSummaryView {
  stackId: string;
  stackName: string;
  status: string;
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  tags: Record<string, string>;
  /** EnableTerminationProtection. */
  terminationProtection?: boolean;
}

/** One resource of a stack, as seeding code and assertions read it. */
export interface StackResourceView {
  logicalId: string;
  type: string;
  physicalId: string;
  status: string;
}

interface ResourceRecord {
  logicalId: string;
  type: string;
  policy: Policy;
  physicalId: string;
  properties: Record<string, unknown>;
  attributes: Record<string, unknown>;
  /** The thing itself is alive in its service (created and not yet deleted or retained). */
  exists: boolean;
  /** UpdateReplacePolicy: what happens to it when an update replaces it (default Delete). */
  replacePolicy?: Policy;
}

interface EventRecord {
  id: string;
  at: number;
  seq: number;
  logicalId: string;
  physicalId: string;
  type: string;
  status: string;
  reason?: string;
  properties?: string;
  token?: string;
}

interface StackRecord {
  id: string;
  name: string;
  description?: string;
  templateBody: string;
  template: CfnTemplate;
  parameters: ResolvedParameter[];
  tags: Tag[];
  capabilities: string[];
  roleArn?: string;
  onFailure: 'ROLLBACK' | 'DELETE' | 'DO_NOTHING';
  terminationProtection: boolean;
  createdAt: number;
  deletionTime?: number;
  createToken?: string;
  deleteTokens: Set<string>;
  conditions: Record<string, boolean>;
  graph: Map<string, Set<string>>;
  order: string[];
  resources: Map<string, ResourceRecord>;
  events: EventRecord[];
  outputs: Output[];
  /** Counts the updates started: a change set made before the last one is OBSOLETE. */
  version: number;
  /** The last change set executed on it (DescribeStacks ChangeSetId). */
  changeSetId?: string;
}

/** What an update applies: the new template compiled, capabilities and tags (UpdateStack or a change set). */
interface UpdateRequest {
  body: string;
  template: CfnTemplate;
  parameters: ResolvedParameter[];
  conditions: Record<string, boolean>;
  graph: Map<string, Set<string>>;
  order: string[];
  capabilities: string[];
  tags?: Tag[];
}

interface ChangeSetRecord {
  id: string;
  name: string;
  stackId: string;
  description?: string;
  createdAt: number;
  /** When its creation is over (CREATE_COMPLETE or FAILED). */
  readyAt: number;
  /** FAILED's StatusReason. */
  failure?: string;
  request: UpdateRequest;
  /** The stack's version it was planned on. */
  stackVersion: number;
  changes: Change[];
  deleted: boolean;
  executed?: { end: number; ok: boolean; token?: string };
}

/**
 * How long creating a change set takes: a twelfth of the stack time, at most 15 s (an estimate: AWS
 * documents no figure; change sets of small stacks take seconds). CREATE_PENDING for its first second.
 */
function changeSetSeconds(stackCreateSeconds: number): number {
  return Math.min(15, stackCreateSeconds / 12);
}
const CHANGE_SET_PENDING_MS = 1000;

/** A change as DescribeChangeSet shows it without IncludePropertyValues: no paths, values or change types. */
function withoutValues(change: Change): Change {
  const rc = change.ResourceChange;
  if (!rc?.Details) return change;
  return {
    ...change,
    ResourceChange: {
      ...rc,
      Details: rc.Details.map((d) => {
        const { Path: _p, AttributeChangeType: _a, BeforeValue: _b, AfterValue: _v, ...target } = d.Target ?? {};
        return { ...d, Target: target };
      }),
    },
  };
}
/** Marks a value a change set cannot know before the update runs (a Ref/GetAtt of what it creates or replaces). */
const UNKNOWN_VALUE = '{{sim:unknown-until-update:';

export interface CreateStackOptions {
  parameters?: Record<string, string>;
  tags?: Record<string, string>;
}

function validation(message: string): SimServiceError {
  return new SimServiceError('ValidationError', message, 400);
}

function missingStack(nameOrId: string): SimServiceError {
  return validation(`Stack with id ${nameOrId} does not exist`);
}

/** The services whose errors appear in resource handler messages, by resource type prefix. */
function serviceOf(type: string): string {
  if (type.startsWith('AWS::S3::')) return 'S3';
  if (type.startsWith('AWS::RDS::')) return 'Rds';
  if (type.startsWith('AWS::AutoScaling::')) return 'AutoScaling';
  return type.split('::')[1] ?? 'Unknown';
}

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : typeof v === 'string' ? v : String(v);
}

function num(v: unknown, fallback: number): number {
  const n = Number(v);
  return v === undefined || v === null || v === '' || !Number.isFinite(n) ? fallback : n;
}

function tagList(v: unknown): { Key: string; Value: string; PropagateAtLaunch?: boolean }[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((t) =>
    t && typeof t === 'object' && typeof (t as { Key?: unknown }).Key === 'string'
      ? [{ Key: (t as { Key: string }).Key, Value: str((t as { Value?: unknown }).Value) ?? '', PropagateAtLaunch: (t as { PropagateAtLaunch?: unknown }).PropagateAtLaunch !== false && (t as { PropagateAtLaunch?: unknown }).PropagateAtLaunch !== 'false' }]
      : [],
  );
}

/**
 * What AWS::RDS::DBInstance must not be given with SourceDBInstanceIdentifier (template reference,
 * SourceDBInstanceIdentifier): "If you specify SourceDBInstanceIdentifier, don't specify the
 * DBSnapshotIdentifier property. You can't create a read replica from a snapshot." and "Don't set the
 * BackupRetentionPeriod, DBName, MasterUsername, MasterUserPassword, and PreferredBackupWindow
 * properties. The database attributes are inherited from the source DB instance, and backups are
 * disabled for read replicas."; StorageEncrypted: "If you specify the SourceDBInstanceIdentifier
 * property, don't specify this property. The value is inherited from the source DB instance". The
 * resource fails rather than guess what an undocumented combination does (the provider applies some of
 * them after the creation, some not at all): a template that passes here follows the reference.
 * KmsKeyId (a replica under another key, e.g. cross-Region) is not modelled: refused too.
 */
export const REPLICA_FORBIDDEN_PROPERTIES = ['DBSnapshotIdentifier', 'BackupRetentionPeriod', 'DBName', 'MasterUsername', 'MasterUserPassword', 'PreferredBackupWindow', 'StorageEncrypted', 'KmsKeyId'];

function checkReplicaProperties(p: Record<string, unknown>): void {
  const given = REPLICA_FORBIDDEN_PROPERTIES.filter((k) => p[k] !== undefined);
  if (given.length === 0) return;
  if (given.includes('DBSnapshotIdentifier')) {
    throw new Error('Invalid request provided: SourceDBInstanceIdentifier and DBSnapshotIdentifier cannot be specified together: a read replica cannot be created from a snapshot');
  }
  throw new Error(`Invalid request provided: a read replica (SourceDBInstanceIdentifier) inherits ${given.join(', ')} from its source: do not specify ${given.length > 1 ? 'them' : 'it'}`);
}

/**
 * The deletion (or replacement) policy that applies: "Read replicas don't support deletion policies.
 * AWS CloudFormation ignores any deletion policy that's associated with a read replica"
 * (AWS::RDS::DBInstance, SourceDBInstanceIdentifier): a replica is deleted, without a final snapshot.
 */
function replicaPolicy(r: { type: string; properties: Record<string, unknown> }, policy: Policy): Policy {
  const source = r.properties.SourceDBInstanceIdentifier;
  return r.type === 'AWS::RDS::DBInstance' && source !== undefined && source !== '' ? 'Delete' : policy;
}

/** Attributes Fn::GetAtt accepts per type (CloudFormation template reference, "Return values"). */
const ATTRIBUTES: Record<string, string[]> = {
  'AWS::S3::Bucket': ['Arn', 'DomainName', 'DualStackDomainName', 'RegionalDomainName', 'WebsiteURL'],
  'AWS::RDS::DBInstance': ['Endpoint.Address', 'Endpoint.Port', 'Endpoint.HostedZoneId', 'DBInstanceArn', 'DbiResourceId', 'MasterUserSecret.SecretArn'],
  'AWS::AutoScaling::AutoScalingGroup': [],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['DNSName', 'CanonicalHostedZoneID', 'LoadBalancerArn', 'LoadBalancerFullName', 'LoadBalancerName', 'SecurityGroups'],
  'AWS::ElasticLoadBalancingV2::TargetGroup': ['TargetGroupArn', 'TargetGroupFullName', 'TargetGroupName', 'LoadBalancerArns'],
  'AWS::ElasticLoadBalancingV2::Listener': ['ListenerArn'],
  'AWS::ElasticLoadBalancingV2::ListenerRule': ['RuleArn', 'IsDefault'],
  'AWS::Lambda::Function': ['Arn', 'SnapStartResponse', 'SnapStartResponse.ApplyOn', 'SnapStartResponse.OptimizationStatus'],
  'AWS::IAM::Role': ['Arn', 'RoleId'],
  'AWS::EC2::SecurityGroup': ['GroupId', 'VpcId'],
  'AWS::EC2::LaunchTemplate': ['LaunchTemplateId', 'DefaultVersionNumber', 'LatestVersionNumber'],
  'AWS::EC2::VPCEndpoint': ['Id', 'CreationTimestamp', 'DnsEntries', 'NetworkInterfaceIds'],
  'AWS::KMS::Key': ['Arn', 'KeyId'],
  'AWS::KMS::Alias': [],
};

export class CloudFormationSim implements SimService {
  readonly serviceName = 'CloudFormation';
  readonly operations: Record<string, OpHandler>;
  /** Elastic Load Balancing and Lambda as far as the environments need them (no API of their own here). */
  readonly loadBalancers = new Map<string, LoadBalancerRecord>();
  readonly targetGroups = new Map<string, TargetGroupRecord>();
  readonly listeners = new Map<string, ListenerRecord>();
  readonly listenerRules = new Map<string, ListenerRuleRecord>();
  readonly functions = new Map<string, FunctionRecord>();

  private readonly stacks: StackRecord[] = [];
  private readonly changeSets: ChangeSetRecord[] = [];
  private readonly ids = new IdSource('cloudformation');
  private seq = 0;

  constructor(private readonly account: SimAccount) {
    this.operations = {
      CreateStack: (i) => this.createStackOp(i),
      DescribeStacks: (i) => this.describeStacks(i),
      DescribeStackEvents: (i) => this.describeStackEvents(i),
      DescribeStackResources: (i) => this.describeStackResources(i),
      ListStackResources: (i) => this.listStackResources(i),
      GetTemplate: (i) => this.getTemplate(i),
      GetTemplateSummary: (i) => this.getTemplateSummary(i),
      ValidateTemplate: (i) => this.validateTemplate(i),
      DeleteStack: (i) => this.deleteStackOp(i),
      UpdateStack: (i) => this.updateStackOp(i),
      ListStacks: (i) => this.listStacks(i),
      UpdateTerminationProtection: (i) => this.updateTerminationProtection(i),
      CreateChangeSet: (i) => this.createChangeSetOp(i),
      DescribeChangeSet: (i) => this.describeChangeSetOp(i),
      ExecuteChangeSet: (i) => this.executeChangeSetOp(i),
      DeleteChangeSet: (i) => this.deleteChangeSetOp(i),
      ListChangeSets: (i) => this.listChangeSetsOp(i),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // SDK operations
  // ---------------------------------------------------------------------------------------------

  private async createStackOp(raw: OpInput): Promise<Omit<CreateStackCommandOutput, '$metadata'>> {
    const input = raw as unknown as CreateStackCommandInput;
    const name = String(input.StackName ?? '');
    if (!STACK_NAME.test(name) || name.length > 128) {
      throw validation(`1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
    }
    const token = input.ClientRequestToken;
    if (token !== undefined && (!REQUEST_TOKEN.test(token) || token.length > 128)) {
      throw validation(`1 validation error detected: Value '${token}' at 'clientRequestToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9][-a-zA-Z0-9]*`);
    }
    const live = this.liveByName(name);
    if (live) {
      // A retried CreateStack with the same token is the same request (API_CreateStack, ClientRequestToken).
      if (token !== undefined && live.createToken === token) return { StackId: live.id };
      throw new SimServiceError('AlreadyExistsException', `Stack [${name}] already exists`, 400);
    }
    // "You can specify either OnFailure or DisableRollback, but not both" (API_CreateStack).
    if (input.DisableRollback !== undefined && input.OnFailure !== undefined) {
      throw validation('You cannot specify both OnFailure and DisableRollback');
    }
    const body = await this.templateBodyOf(input.TemplateBody, input.TemplateURL);
    const onFailure = input.DisableRollback ? 'DO_NOTHING' : (input.OnFailure ?? 'ROLLBACK');
    const stack = this.prepare(name, body, input.Parameters ?? [], input.Tags ?? [], input.Capabilities ?? [], {
      onFailure: onFailure as StackRecord['onFailure'],
      terminationProtection: input.EnableTerminationProtection === true,
      ...(input.RoleARN ? { roleArn: input.RoleARN } : {}),
      ...(token !== undefined ? { token } : {}),
    });
    this.provision(stack, false);
    return { StackId: stack.id };
  }

  private describeStacks(raw: OpInput): Omit<DescribeStacksCommandOutput, '$metadata'> {
    const input = raw as unknown as DescribeStacksCommandInput;
    if (input.StackName) return { Stacks: [this.toStack(this.resolve(input.StackName))] };
    const live = this.stacks.filter((s) => this.status(s) !== 'DELETE_COMPLETE').reverse();
    const { items, next } = this.page(live, input.NextToken);
    return { Stacks: items.map((s) => this.toStack(s)), ...(next ? { NextToken: next } : {}) };
  }

  private describeStackEvents(raw: OpInput): Omit<DescribeStackEventsCommandOutput, '$metadata'> {
    const input = raw as unknown as DescribeStackEventsCommandInput;
    const stack = this.resolve(input.StackName);
    // Newest first, as the API returns them.
    const events = this.visibleEvents(stack).reverse();
    const { items, next } = this.page(events, input.NextToken);
    return { StackEvents: items.map((e) => this.toEvent(stack, e)), ...(next ? { NextToken: next } : {}) };
  }

  private describeStackResources(raw: OpInput): Omit<DescribeStackResourcesCommandOutput, '$metadata'> {
    const input = raw as unknown as DescribeStackResourcesCommandInput;
    let stack: StackRecord;
    if (input.StackName) stack = this.resolve(input.StackName);
    else if (input.PhysicalResourceId) {
      const owner = [...this.stacks].reverse().find((s) => [...s.resources.values()].some((r) => r.physicalId === input.PhysicalResourceId));
      if (!owner) throw validation(`Stack for ${input.PhysicalResourceId} does not exist`);
      stack = owner;
    } else {
      throw validation('Either StackName or PhysicalResourceId must be specified');
    }
    const rows = this.visibleResources(stack).filter((r) => !input.LogicalResourceId || r.logicalId === input.LogicalResourceId);
    return {
      StackResources: rows.map((r) => ({
        StackName: stack.name,
        StackId: stack.id,
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId || undefined,
        ResourceType: r.type,
        Timestamp: new Date(r.event.at),
        ResourceStatus: r.event.status as ResourceStatus,
        ...(r.event.reason ? { ResourceStatusReason: r.event.reason } : {}),
        DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
      })),
    };
  }

  private listStackResources(raw: OpInput): Omit<ListStackResourcesCommandOutput, '$metadata'> {
    const input = raw as unknown as ListStackResourcesCommandInput;
    const stack = this.resolve(input.StackName);
    const { items, next } = this.page(this.visibleResources(stack), input.NextToken);
    return {
      StackResourceSummaries: items.map((r) => ({
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId || undefined,
        ResourceType: r.type,
        LastUpdatedTimestamp: new Date(r.event.at),
        ResourceStatus: r.event.status as ResourceStatus,
        ...(r.event.reason ? { ResourceStatusReason: r.event.reason } : {}),
        DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private getTemplate(raw: OpInput): Omit<GetTemplateCommandOutput, '$metadata'> {
    const input = raw as unknown as GetTemplateCommandInput;
    const stack = this.resolve(input.StackName);
    // The Original stage is the body as submitted; Processed is the same here (no transforms run).
    return { TemplateBody: stack.templateBody, StagesAvailable: ['Original', 'Processed'] };
  }

  private async getTemplateSummary(raw: OpInput): Promise<Omit<GetTemplateSummaryCommandOutput, '$metadata'>> {
    const input = raw as unknown as GetTemplateSummaryCommandInput;
    const sources = [input.TemplateBody, input.TemplateURL, input.StackName].filter((v) => v !== undefined).length;
    if (sources !== 1) throw validation('Exactly one of TemplateBody, TemplateUrl, StackName or StackSetName must be specified');
    const body = input.StackName ? this.resolve(input.StackName).templateBody : await this.templateBodyOf(input.TemplateBody, input.TemplateURL);
    const template = this.parse(body);
    const defs = parameterDefinitions(template);
    const capabilities = requiredCapabilities(template);
    return {
      Parameters: Object.entries(defs).map(([key, def]) => ({
        ParameterKey: key,
        ...(def.Default !== undefined ? { DefaultValue: String(def.Default) } : {}),
        ParameterType: def.Type,
        NoEcho: def.NoEcho === true || def.NoEcho === 'true',
        ...(def.Description ? { Description: def.Description } : {}),
        ParameterConstraints: def.AllowedValues ? { AllowedValues: def.AllowedValues.map(String) } : {},
      })),
      ...(template.Description ? { Description: template.Description } : {}),
      ...(capabilities.length
        ? {
            Capabilities: capabilities as NonNullable<GetTemplateSummaryCommandOutput['Capabilities']>,
            CapabilitiesReason: `The following resource(s) require capabilities: [${[...new Set(Object.values(template.Resources).map((r) => r.Type).filter((t) => t.startsWith('AWS::IAM::')))].join(', ')}]`,
          }
        : {}),
      ResourceTypes: [...new Set(Object.values(template.Resources).map((r) => r.Type))],
      ResourceIdentifierSummaries: resourceIdentifierSummaries(template),
      Version: template.AWSTemplateFormatVersion ?? '2010-09-09',
      DeclaredTransforms: [],
    };
  }

  /**
   * ValidateTemplate (API_ValidateTemplate): "CloudFormation first checks if the template is valid
   * JSON. If it isn't, CloudFormation checks if the template is valid YAML. If both these checks fail,
   * CloudFormation returns a template validation error." TemplateBody (at most 51,200 bytes) or
   * TemplateURL (an S3 object, at most 1 MB); "If both are passed, only TemplateBody is used." Answers
   * the declared parameters (key, default, NoEcho, description), the description and the capabilities.
   * Like AWS it validates the template's form, not the parameters' values: missing values show at CreateStack.
   */
  private async validateTemplate(raw: OpInput): Promise<Omit<ValidateTemplateCommandOutput, '$metadata'>> {
    const input = raw as unknown as ValidateTemplateCommandInput;
    const body = input.TemplateBody !== undefined ? await this.templateBodyOf(input.TemplateBody, undefined) : await this.templateBodyOf(undefined, input.TemplateURL);
    const template = this.parse(body);
    const defs = parameterDefinitions(template);
    for (const def of Object.values(defs)) {
      // An unknown parameter type is a template error at validation already, as at CreateStack.
      if (!knownParameterType(String(def?.Type))) throw validation(`Template format error: Unrecognized parameter type: ${String(def?.Type)}`);
    }
    const capabilities = requiredCapabilities(template);
    return {
      Parameters: Object.entries(defs).map(([key, def]) => ({
        ParameterKey: key,
        ...(def.Default !== undefined ? { DefaultValue: String(def.Default) } : {}),
        NoEcho: def.NoEcho === true || def.NoEcho === 'true',
        ...(def.Description ? { Description: def.Description } : {}),
      })),
      ...(template.Description ? { Description: template.Description } : {}),
      ...(capabilities.length
        ? {
            Capabilities: capabilities as NonNullable<ValidateTemplateCommandOutput['Capabilities']>,
            CapabilitiesReason: `The following resource(s) require capabilities: [${[...new Set(Object.values(template.Resources).map((r) => r.Type).filter((t) => t.startsWith('AWS::IAM::')))].join(', ')}]`,
          }
        : {}),
      DeclaredTransforms: [],
    };
  }

  /**
   * UpdateStack (API_UpdateStack): the new template (TemplateBody, TemplateURL or UsePreviousTemplate)
   * and parameters, each either a value or UsePreviousValue ("use the existing parameter value that
   * the stack is using"; API reference, Parameter). An omitted parameter takes its default, as at
   * creation. Nothing to change is the ValidationError "No updates are to be performed.".
   */
  private async updateStackOp(raw: OpInput): Promise<Omit<UpdateStackCommandOutput, '$metadata'>> {
    const input = raw as unknown as UpdateStackCommandInput;
    const stack = this.resolve(input.StackName);
    const next = await this.prepareUpdate(stack, input);
    if (next.noChanges) throw validation('No updates are to be performed.');
    this.updateStack(stack, { ...next, ...(input.ClientRequestToken ? { token: input.ClientRequestToken } : {}) });
    return { StackId: stack.id };
  }

  /**
   * What UpdateStack and CreateChangeSet (ChangeSetType UPDATE) take alike: the template (TemplateBody,
   * TemplateURL or UsePreviousTemplate), the parameters (a value, UsePreviousValue, or the default when
   * omitted), the capabilities and tags. `noChanges`: same template, same values, no tags (UpdateStack's
   * "No updates are to be performed.", a change set's FAILED "didn't contain changes").
   */
  private async prepareUpdate(
    stack: StackRecord,
    input: Pick<UpdateStackCommandInput, 'TemplateBody' | 'TemplateURL' | 'UsePreviousTemplate' | 'Parameters' | 'Capabilities' | 'Tags'>,
  ): Promise<UpdateRequest & { noChanges: boolean }> {
    const status = this.status(stack);
    if (!UPDATABLE.has(status)) throw validation(`Stack:${stack.id} is in ${status} state and can not be updated.`);
    const sources = [input.TemplateBody, input.TemplateURL, input.UsePreviousTemplate ? true : undefined].filter((v) => v !== undefined).length;
    if (sources !== 1) throw validation('Exactly one of TemplateBody, TemplateURL or UsePreviousTemplate must be specified');
    const body = input.UsePreviousTemplate ? stack.templateBody : await this.templateBodyOf(input.TemplateBody, input.TemplateURL);
    const previous = new Map(stack.parameters.map((p) => [p.key, p.value]));
    const given = (input.Parameters ?? []).map((p) => {
      if (!p.UsePreviousValue) return { ParameterKey: p.ParameterKey, ParameterValue: p.ParameterValue };
      if (p.ParameterValue !== undefined) throw validation(`Invalid input for parameter key ${p.ParameterKey}. Cannot specify usePreviousValue as true and non empty value for a parameter`);
      if (!previous.has(p.ParameterKey ?? '')) throw validation(`Invalid input for parameter key ${p.ParameterKey}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`);
      return { ParameterKey: p.ParameterKey, ParameterValue: previous.get(p.ParameterKey ?? '') };
    });
    const template = this.parse(body);
    let compiled: ReturnType<CloudFormationSim['compile']>;
    try {
      compiled = this.compile(stack.name, stack.id, template, given);
    } catch (err) {
      if (err instanceof TemplateValidationError) throw validation(err.message);
      throw err;
    }
    const capabilities: string[] = input.Capabilities ?? [];
    const needed = requiredCapabilities(template).filter((c) => !capabilities.includes(c) && !(c === 'CAPABILITY_IAM' && capabilities.includes('CAPABILITY_NAMED_IAM')));
    if (needed.length) throw new SimServiceError('InsufficientCapabilitiesException', `Requires capabilities : [${needed.join(', ')}]`, 400);
    const sameParameters = compiled.parameters.every((p) => previous.get(p.key) === p.value) && compiled.parameters.length === stack.parameters.length;
    return {
      body,
      template,
      ...compiled,
      capabilities: [...capabilities],
      ...(input.Tags ? { tags: input.Tags } : {}),
      noChanges: body === stack.templateBody && sameParameters && input.Tags === undefined,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Change sets
  // ---------------------------------------------------------------------------------------------

  /**
   * CreateChangeSet (API_CreateChangeSet), ChangeSetType UPDATE (the default) on an existing stack:
   * the same request as UpdateStack (prepareUpdate; its validation errors are thrown at once), planned
   * by the same rule as the update (planResource). Asynchronous: CREATE_PENDING, CREATE_IN_PROGRESS, then
   * CREATE_COMPLETE, or FAILED with "The submitted information didn't contain changes. Submit different
   * information to create a change set." (the reason AWS gives, e.g. aws-cloudformation/rain#94,
   * localstack/localstack#13123) when template, parameters and tags are the stack's. Names: "[a-zA-Z][-a-zA-Z0-9]*",
   * at most 128 characters (API_ChangeSetSummary); a name already used on the stack is AlreadyExistsException.
   */
  private async createChangeSetOp(raw: OpInput): Promise<Omit<CreateChangeSetCommandOutput, '$metadata'>> {
    const input = raw as unknown as CreateChangeSetCommandInput;
    const name = String(input.ChangeSetName ?? '');
    if (!STACK_NAME.test(name) || name.length > 128) {
      throw validation(`1 validation error detected: Value '${name}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
    }
    const type = input.ChangeSetType ?? 'UPDATE';
    if (type !== 'UPDATE') throw validation(`ChangeSetType ${type} is not supported by the simulated account (UPDATE only)`);
    const stack = this.resolve(input.StackName);
    if (this.liveChangeSets(stack).some((c) => c.name === name)) throw new SimServiceError('AlreadyExistsException', `ChangeSet [${name}] already exists`, 400);
    const next = await this.prepareUpdate(stack, input);
    const now = this.account.now();
    const { noChanges, ...request } = next;
    const record: ChangeSetRecord = {
      id: `arn:aws:cloudformation:${this.account.region}:${this.account.accountId}:changeSet/${name}/${this.ids.uuid()}`,
      name,
      stackId: stack.id,
      ...(input.Description ? { description: input.Description } : {}),
      createdAt: now,
      readyAt: now + changeSetSeconds(this.account.timing.stackCreateSeconds) * 1000,
      ...(noChanges ? { failure: "The submitted information didn't contain changes. Submit different information to create a change set." } : {}),
      request,
      stackVersion: stack.version,
      changes: noChanges ? [] : this.planChanges(stack, request),
      deleted: false,
    };
    this.changeSets.push(record);
    return { Id: record.id, StackId: stack.id };
  }

  /** DescribeChangeSet (API_DescribeChangeSet): the changes once CREATE_COMPLETE, paginated; NoEcho parameters masked. */
  private describeChangeSetOp(raw: OpInput): Omit<DescribeChangeSetCommandOutput, '$metadata'> {
    const input = raw as unknown as DescribeChangeSetCommandInput;
    const cs = this.changeSetOf(input.ChangeSetName, input.StackName);
    const stack = this.stacks.find((s) => s.id === cs.stackId) as StackRecord;
    const status = this.changeSetStatus(cs);
    // Property values only when asked (DescribeChangeSet IncludePropertyValues).
    const changes = status !== 'CREATE_COMPLETE' ? [] : input.IncludePropertyValues ? cs.changes : cs.changes.map(withoutValues);
    const { items, next } = this.page(changes, input.NextToken);
    return {
      ChangeSetName: cs.name,
      ChangeSetId: cs.id,
      StackId: stack.id,
      StackName: stack.name,
      ...(cs.description ? { Description: cs.description } : {}),
      Parameters: cs.request.parameters.map((p) => ({ ParameterKey: p.key, ParameterValue: p.noEcho ? '****' : p.value, ...(p.resolvedValue !== undefined ? { ResolvedValue: p.resolvedValue } : {}) })),
      CreationTime: new Date(cs.createdAt),
      ExecutionStatus: this.executionStatus(cs),
      Status: status,
      ...(status === 'FAILED' && cs.failure ? { StatusReason: cs.failure } : {}),
      NotificationARNs: [],
      RollbackConfiguration: {},
      Capabilities: cs.request.capabilities as NonNullable<DescribeChangeSetCommandOutput['Capabilities']>,
      Tags: (cs.request.tags ?? stack.tags).map((t) => ({ Key: t.Key, Value: t.Value ?? '' })),
      Changes: items,
      IncludeNestedStacks: false,
      ...(next ? { NextToken: next } : {}),
    };
  }

  /**
   * ExecuteChangeSet (API_ExecuteChangeSet): runs exactly the update the change set was made from.
   * "When you execute a change set, CloudFormation deletes all other change sets associated with the
   * stack because they aren't valid for the updated stack." A change set that is not AVAILABLE (still
   * being created, FAILED, already executed, OBSOLETE because the stack was updated since) cannot be
   * executed: InvalidChangeSetStatusException ("The specified change set can't be used to update the
   * stack. For example, the change set status might be CREATE_IN_PROGRESS, or the stack status might be
   * UPDATE_IN_PROGRESS", API reference, Errors; the message's wording is the simulator's). A retry with
   * the same ClientRequestToken is the same request.
   */
  private executeChangeSetOp(raw: OpInput): Record<string, never> {
    const input = raw as unknown as ExecuteChangeSetCommandInput;
    const cs = this.changeSetOf(input.ChangeSetName, input.StackName);
    if (input.ClientRequestToken !== undefined && cs.executed?.token === input.ClientRequestToken) return {};
    const stack = this.stacks.find((s) => s.id === cs.stackId) as StackRecord;
    const execution = this.executionStatus(cs);
    if (execution !== 'AVAILABLE') {
      throw new SimServiceError('InvalidChangeSetStatusException', `ChangeSet [${cs.id}] cannot be executed in its current execution status of [${execution}]`, 400);
    }
    const stackStatus = this.status(stack);
    if (!UPDATABLE.has(stackStatus)) throw new SimServiceError('InvalidChangeSetStatusException', `ChangeSet [${cs.id}] cannot be executed in its current status of [${stackStatus}] of stack [${stack.name}]`, 400);
    this.updateStack(stack, { ...cs.request, ...(input.ClientRequestToken ? { token: input.ClientRequestToken } : {}) });
    const last = stack.events.filter((e) => e.logicalId === stack.name && e.type === STACK_TYPE).sort((a, b) => a.at - b.at || a.seq - b.seq).pop();
    cs.executed = { end: last?.at ?? this.account.now(), ok: last?.status === 'UPDATE_COMPLETE', ...(input.ClientRequestToken ? { token: input.ClientRequestToken } : {}) };
    stack.changeSetId = cs.id;
    for (const other of this.liveChangeSets(stack)) if (other !== cs) other.deleted = true;
    return {};
  }

  /** DeleteChangeSet (API_DeleteChangeSet): not while it executes (InvalidChangeSetStatusException). */
  private deleteChangeSetOp(raw: OpInput): Record<string, never> {
    const input = raw as unknown as DeleteChangeSetCommandInput;
    const cs = this.changeSetOf(input.ChangeSetName, input.StackName);
    if (this.executionStatus(cs) === 'EXECUTE_IN_PROGRESS') {
      throw new SimServiceError('InvalidChangeSetStatusException', `ChangeSet [${cs.id}] cannot be deleted in its current execution status of [EXECUTE_IN_PROGRESS]`, 400);
    }
    cs.deleted = true;
    return {};
  }

  /** ListChangeSets (API_ListChangeSets): the stack's change sets, oldest first. */
  private listChangeSetsOp(raw: OpInput): Omit<ListChangeSetsCommandOutput, '$metadata'> {
    const input = raw as unknown as ListChangeSetsCommandInput;
    const stack = this.resolve(input.StackName);
    const { items, next } = this.page(this.liveChangeSets(stack), input.NextToken);
    return {
      Summaries: items.map((cs) => {
        const status = this.changeSetStatus(cs);
        return {
          StackId: stack.id,
          StackName: stack.name,
          ChangeSetId: cs.id,
          ChangeSetName: cs.name,
          ExecutionStatus: this.executionStatus(cs),
          Status: status,
          ...(status === 'FAILED' && cs.failure ? { StatusReason: cs.failure } : {}),
          CreationTime: new Date(cs.createdAt),
          ...(cs.description ? { Description: cs.description } : {}),
          IncludeNestedStacks: false,
        };
      }),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private liveChangeSets(stack: StackRecord): ChangeSetRecord[] {
    // A deleted stack takes its change sets along.
    if (this.status(stack) === 'DELETE_COMPLETE') return [];
    return this.changeSets.filter((c) => c.stackId === stack.id && !c.deleted);
  }

  /** A change set by ARN, or by name with its stack; ChangeSetNotFoundException otherwise (404, as the API answers). */
  private changeSetOf(nameOrArn: unknown, stackName: unknown): ChangeSetRecord {
    const key = String(nameOrArn ?? '');
    let found: ChangeSetRecord | undefined;
    if (key.startsWith('arn:')) {
      found = this.changeSets.find((c) => c.id === key && !c.deleted);
      const stack = found && this.stacks.find((s) => s.id === found?.stackId);
      if (stack && this.status(stack) === 'DELETE_COMPLETE') found = undefined;
    } else {
      if (stackName === undefined || stackName === '') throw validation('StackName must be specified if ChangeSetName is not specified as an ARN.');
      const stack = this.resolve(stackName);
      found = this.liveChangeSets(stack).find((c) => c.name === key);
    }
    if (!found) throw new SimServiceError('ChangeSetNotFoundException', `ChangeSet [${key}] does not exist`, 404);
    return found;
  }

  private changeSetStatus(cs: ChangeSetRecord): ChangeSetStatus {
    const now = this.account.now();
    if (now < cs.createdAt + CHANGE_SET_PENDING_MS && now < cs.readyAt) return 'CREATE_PENDING';
    if (now < cs.readyAt) return 'CREATE_IN_PROGRESS';
    return cs.failure ? 'FAILED' : 'CREATE_COMPLETE';
  }

  /**
   * ExecutionStatus (API_ChangeSetSummary): "a change set might be in an UNAVAILABLE state because
   * CloudFormation is still creating it or in an OBSOLETE state because the stack was already updated".
   */
  private executionStatus(cs: ChangeSetRecord): ExecutionStatus {
    if (cs.executed) return this.account.now() < cs.executed.end ? 'EXECUTE_IN_PROGRESS' : cs.executed.ok ? 'EXECUTE_COMPLETE' : 'EXECUTE_FAILED';
    if (this.changeSetStatus(cs) !== 'CREATE_COMPLETE') return 'UNAVAILABLE';
    const stack = this.stacks.find((s) => s.id === cs.stackId) as StackRecord;
    return stack.version !== cs.stackVersion ? 'OBSOLETE' : 'AVAILABLE';
  }

  /**
   * The Changes of a change set: each resource of the old and the new template through planResource,
   * in the new template's order (what an update would create, modify or remove). A value that refers to
   * a resource the update creates or replaces is not known yet (Evaluation Dynamic; a property that
   * always replaces then makes Replacement Conditional). ChangeSource: ResourceReference/ResourceAttribute
   * for those, ParameterReference when the property depends on a parameter whose value changes
   * (CausingEntity: its name), else DirectModification. Each detail keeps Path, BeforeValue/AfterValue and
   * AttributeChangeType, which DescribeChangeSet shows with IncludePropertyValues (API reference,
   * ResourceTargetDefinition); a value that depends on a NoEcho parameter is masked.
   */
  private planChanges(stack: StackRecord, next: UpdateRequest): Change[] {
    const previous = new Map(stack.parameters.map((p) => [p.key, p.value]));
    const changedParameters = new Set(next.parameters.filter((p) => previous.get(p.key) !== p.value).map((p) => p.key));
    const noEcho = new Set(next.parameters.filter((p) => p.noEcho).map((p) => p.key));
    const plans = new Map<string, ResourcePlan>();
    const unknown = (id: string) => `${UNKNOWN_VALUE}${id}}`;
    const pending = (id: string) => ['create', 'replace'].includes(plans.get(id)?.effect ?? '');
    const base = this.baseScope(stack.name, stack.id, next.parameters, next.template);
    const scope: Scope = {
      ...base,
      conditions: next.conditions,
      ref: (id) => (pending(id) || !stack.resources.get(id)?.exists ? unknown(id) : stack.resources.get(id)?.physicalId),
      getAtt: (id, attribute) => (pending(id) || !stack.resources.get(id)?.exists ? unknown(id) : stack.resources.get(id)?.attributes[attribute] ?? unknown(id)),
    };
    const isUnknown = (v: unknown) => v !== undefined && JSON.stringify(v).includes(UNKNOWN_VALUE);
    const changes: Change[] = [];
    for (const logicalId of next.order) {
      const def = next.template.Resources[logicalId] as CfnTemplate['Resources'][string];
      const old = stack.resources.get(logicalId);
      const evaluated = evaluate(def.Properties ?? {}, scope);
      const properties = evaluated === NO_VALUE ? {} : (evaluated as Record<string, unknown>);
      const plan = planResource(logicalId, old?.exists ? { type: old.type, properties: old.properties } : undefined, { type: def.Type, properties }, isUnknown);
      plans.set(logicalId, plan);
      if (plan.action === 'None') continue;
      if (plan.action === 'Add') {
        changes.push({ Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: logicalId, ResourceType: def.Type, Scope: [], Details: [] } });
        continue;
      }
      const replacePolicy = replicaPolicy(old as ResourceRecord, this.replacePolicyOf(def));
      const details = plan.changes.map((c) => {
        const node = (def.Properties ?? {})[c.name];
        const refs = referencesIn(node);
        const dependency = [...refs.refs, ...refs.getAtts].find((id) => pending(id));
        const parameter = [...parametersReferenced(node, next.template)].find((k) => changedParameters.has(k));
        const source = c.dynamic && dependency ? (refs.getAtts.has(dependency) ? 'ResourceAttribute' : 'ResourceReference') : parameter ? 'ParameterReference' : 'DirectModification';
        const masked = [...parametersReferenced(node, next.template)].some((k) => noEcho.has(k));
        const shown = (v: unknown) => (v === undefined ? undefined : masked ? '****' : typeof v === 'string' ? v : JSON.stringify(v));
        return {
          Target: {
            Attribute: c.name === 'Tags' ? ('Tags' as const) : ('Properties' as const),
            Name: c.name,
            RequiresRecreation: c.requiresRecreation,
            Path: `/Properties/${c.name}`,
            AttributeChangeType: c.change,
            ...(c.before !== undefined ? { BeforeValue: shown(c.before) } : {}),
            ...(c.after !== undefined && !c.dynamic ? { AfterValue: shown(c.after) } : {}),
          },
          Evaluation: c.dynamic ? ('Dynamic' as const) : ('Static' as const),
          ChangeSource: source as 'ResourceReference' | 'ResourceAttribute' | 'ParameterReference' | 'DirectModification',
          ...(source === 'ParameterReference' ? { CausingEntity: parameter } : dependency && source !== 'DirectModification' ? { CausingEntity: dependency } : {}),
        };
      });
      const scopes = [...new Set(details.map((d) => d.Target.Attribute))];
      changes.push({
        Type: 'Resource',
        ResourceChange: {
          Action: 'Modify',
          LogicalResourceId: logicalId,
          PhysicalResourceId: old?.physicalId,
          ResourceType: def.Type,
          Replacement: plan.replacement,
          ...(plan.replacement !== 'False' ? { PolicyAction: replacePolicy === 'Retain' || replacePolicy === 'RetainExceptOnCreate' ? 'ReplaceAndRetain' : replacePolicy === 'Snapshot' ? 'ReplaceAndSnapshot' : 'ReplaceAndDelete' } : {}),
          Scope: scopes,
          Details: details,
        },
      });
    }
    for (const old of stack.resources.values()) {
      if (!old.exists || next.graph.has(old.logicalId)) continue;
      const policy = replicaPolicy(old, old.policy);
      changes.push({
        Type: 'Resource',
        ResourceChange: {
          Action: 'Remove',
          LogicalResourceId: old.logicalId,
          PhysicalResourceId: old.physicalId,
          ResourceType: old.type,
          PolicyAction: policy === 'Retain' || policy === 'RetainExceptOnCreate' ? 'Retain' : policy === 'Snapshot' ? 'Snapshot' : 'Delete',
          Scope: [],
          Details: [],
        },
      });
    }
    return changes;
  }

  private deleteStackOp(raw: OpInput): Record<string, never> {
    const input = raw as unknown as DeleteStackCommandInput;
    const nameOrId = String(input.StackName ?? '');
    // Deleting a stack that does not exist succeeds without doing anything (API_DeleteStack).
    const stack = nameOrId.startsWith('arn:') ? this.stacks.find((s) => s.id === nameOrId) : this.liveByName(nameOrId);
    if (!stack) return {};
    if (input.ClientRequestToken !== undefined && stack.deleteTokens.has(input.ClientRequestToken)) return {};
    const status = this.status(stack);
    if (input.RetainResources?.length && status !== 'DELETE_FAILED') {
      throw validation(`Invalid operation on stack [${stack.id}]. RetainResources can only be specified when the stack is in the DELETE_FAILED state`);
    }
    // "If a user attempts to delete a stack with termination protection enabled, the operation fails and
    // the stack remains unchanged" (API_UpdateTerminationProtection); the error, as AWS words it, is the
    // ValidationError below (quoted in floci-io/floci#1692, rackspace/runway#199).
    if (stack.terminationProtection && status !== 'DELETE_COMPLETE') {
      throw validation(`Stack [${stack.name}] cannot be deleted while TerminationProtection is enabled`);
    }
    if (input.ClientRequestToken !== undefined) stack.deleteTokens.add(input.ClientRequestToken);
    this.deleteStack(stack, input.RetainResources ?? [], input.ClientRequestToken);
    return {};
  }

  /**
   * UpdateTerminationProtection (API_UpdateTerminationProtection): "If a user attempts to delete a
   * stack with termination protection enabled, the operation fails and the stack remains unchanged"
   * (deleteStackOp refuses). By name (live stacks) or unique ID; answers the StackId.
   */
  private updateTerminationProtection(raw: OpInput): Omit<UpdateTerminationProtectionCommandOutput, '$metadata'> {
    const input = raw as unknown as UpdateTerminationProtectionCommandInput;
    if (typeof input.EnableTerminationProtection !== 'boolean') throw validation('1 validation error detected: Value null at \'enableTerminationProtection\' failed to satisfy constraint: Member must not be null');
    const stack = this.resolve(input.StackName);
    if (this.status(stack) === 'DELETE_COMPLETE') throw missingStack(String(input.StackName));
    stack.terminationProtection = input.EnableTerminationProtection;
    return { StackId: stack.id };
  }

  private listStacks(raw: OpInput): Omit<ListStacksCommandOutput, '$metadata'> {
    const input = raw as unknown as ListStacksCommandInput;
    const filter = input.StackStatusFilter?.length ? new Set<string>(input.StackStatusFilter) : undefined;
    const rows = [...this.stacks].reverse().filter((s) => !filter || filter.has(this.status(s)));
    const { items, next } = this.page(rows, input.NextToken);
    return {
      StackSummaries: items.map((s) => {
        const last = this.lastStackEvent(s);
        return {
          StackId: s.id,
          StackName: s.name,
          ...(s.description ? { TemplateDescription: s.description } : {}),
          CreationTime: new Date(s.createdAt),
          ...(this.status(s) === 'DELETE_COMPLETE' && s.deletionTime !== undefined ? { DeletionTime: new Date(s.deletionTime) } : {}),
          StackStatus: this.status(s),
          ...(last?.reason ? { StackStatusReason: last.reason } : {}),
          DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
        };
      }),
      ...(next ? { NextToken: next } : {}),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Internal API (seeding, the environment app, assertions)
  // ---------------------------------------------------------------------------------------------

  /**
   * Creates a stack that is CREATE_COMPLETE at once, its databases available and its instances
   * InService: an environment that already exists when a rehearsal or test starts. Throws
   * SimServiceError for a request CreateStack would reject, and Error with the failure reason when a
   * resource cannot be created.
   */
  createStackNow(name: string, templateBody: string, parameters: Record<string, string> = {}, tags: Record<string, string> = {}): { stackId: string } {
    if (this.liveByName(name)) throw new SimServiceError('AlreadyExistsException', `Stack [${name}] already exists`, 400);
    const stack = this.prepare(
      name,
      templateBody,
      Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      { onFailure: 'ROLLBACK', terminationProtection: false },
    );
    this.provision(stack, true);
    if (this.status(stack) !== 'CREATE_COMPLETE') {
      const failed = this.visibleEvents(stack).find((e) => e.status === 'CREATE_FAILED');
      throw new Error(`stack ${name} could not be created: ${failed?.logicalId}: ${failed?.reason}`);
    }
    return { stackId: stack.id };
  }

  /** Starts deleting a stack as DeleteStack would (seeding scenarios, cleanup). */
  deleteStackNow(nameOrId: string): void {
    const stack = this.resolve(nameOrId);
    this.deleteStack(stack, []);
  }

  /** The live stack of that name (not DELETE_COMPLETE), or undefined. */
  stackByName(name: string): StackSummaryView | undefined {
    const stack = this.liveByName(name);
    return stack ? this.summary(stack) : undefined;
  }

  /** A stack by ID, deleted ones included. */
  stackById(stackId: string): StackSummaryView | undefined {
    const stack = this.stacks.find((s) => s.id === stackId);
    return stack ? this.summary(stack) : undefined;
  }

  /** Every stack that is not DELETE_COMPLETE, oldest first. */
  liveStacks(): StackSummaryView[] {
    return this.stacks.filter((s) => this.status(s) !== 'DELETE_COMPLETE').map((s) => this.summary(s));
  }

  /** Every stack, deleted ones included, oldest first (ListStacks keeps deleted stacks for 90 days). */
  allStacks(): StackSummaryView[] {
    return this.stacks.map((s) => this.summary(s));
  }

  /**
   * Sets one output of a stack (by name or ID) to `value`, as a template whose output is a fixed
   * value or parameter would have it (fault injection: two stacks reporting one statistics URL).
   */
  setOutput(nameOrId: string, key: string, value: string): void {
    const stack = this.resolve(nameOrId);
    const output = stack.outputs.find((o) => o.OutputKey === key);
    if (!output) throw new Error(`stack ${stack.name} has no output ${key}`);
    output.OutputValue = value;
  }

  /**
   * The stack re-created under its own name around the same resources, as an operator refactoring
   * it would ("Moving resources between stacks", CloudFormation User Guide: every resource given
   * DeletionPolicy Retain, the stack deleted, the resources imported into a new stack of the same
   * name, which an update then completes with its outputs and deletion policies). The old stack ends DELETE_COMPLETE, each
   * resource DELETE_SKIPPED; the new one, UPDATE_COMPLETE, has a new stack ID and the same physical
   * resources (its load balancer, target groups and functions now answer for it). Returns the new ID.
   */
  recreateAroundResources(name: string): { stackId: string } {
    const old = this.liveByName(name);
    if (!old) throw missingStack(name);
    const now = this.account.now();
    this.addEvent(old, now, old.name, 'DELETE_IN_PROGRESS', 'User Initiated', old.id, STACK_TYPE);
    for (const r of old.resources.values()) if (r.exists) this.addEvent(old, now, r.logicalId, 'DELETE_SKIPPED', undefined, r.physicalId, r.type);
    this.addEvent(old, now, old.name, 'DELETE_COMPLETE', undefined, old.id, STACK_TYPE);
    old.deletionTime = now;
    const id = `arn:aws:cloudformation:${this.account.region}:${this.account.accountId}:stack/${name}/${this.ids.uuid()}`;
    const stack: StackRecord = {
      ...old,
      id,
      createdAt: now,
      deleteTokens: new Set(),
      events: [],
      resources: new Map([...old.resources].map(([k, r]) => [k, { ...r }])),
      outputs: old.outputs.map((o) => ({ ...o })),
      terminationProtection: false,
    };
    delete stack.createToken;
    delete stack.deletionTime;
    for (const r of old.resources.values()) r.exists = false;
    this.stacks.push(stack);
    this.addEvent(stack, now, name, 'IMPORT_IN_PROGRESS', 'User Initiated', id, STACK_TYPE);
    for (const r of stack.resources.values()) if (r.exists) this.addEvent(stack, now, r.logicalId, 'IMPORT_COMPLETE', undefined, r.physicalId, r.type);
    this.addEvent(stack, now, name, 'IMPORT_COMPLETE', undefined, id, STACK_TYPE);
    this.addEvent(stack, now, name, 'UPDATE_IN_PROGRESS', 'User Initiated', id, STACK_TYPE);
    this.addEvent(stack, now, name, 'UPDATE_COMPLETE', undefined, id, STACK_TYPE);
    for (const records of [this.loadBalancers, this.targetGroups, this.listeners, this.listenerRules, this.functions] as Map<string, { stackId: string }>[]) {
      for (const record of records.values()) if (record.stackId === old.id) record.stackId = id;
    }
    // The completing update resolves `!Ref AWS::StackId` in function environments to the new ID.
    for (const fn of this.functions.values()) if (fn.stackId === id && fn.environment.STACK_ID === old.id) fn.environment.STACK_ID = id;
    return { stackId: id };
  }

  /** Resources of a stack (by name or ID) that exist in their services now. */
  resourcesOf(nameOrId: string): StackResourceView[] {
    const stack = nameOrId.startsWith('arn:') ? this.stacks.find((s) => s.id === nameOrId) : this.liveByName(nameOrId);
    if (!stack) return [];
    return stack.order
      .map((id) => stack.resources.get(id))
      .filter((r): r is ResourceRecord => !!r && r.exists)
      .map((r) => ({ logicalId: r.logicalId, type: r.type, physicalId: r.physicalId, status: this.resourceEvent(stack, r.logicalId)?.status ?? 'CREATE_IN_PROGRESS' }));
  }

  // ---------------------------------------------------------------------------------------------
  // Stack lifecycle
  // ---------------------------------------------------------------------------------------------

  /** Parameters, conditions and resource order of a template for stack `name`; throws TemplateValidationError. */
  private compile(name: string, id: string, template: CfnTemplate, given: NonNullable<CreateStackCommandInput['Parameters']>) {
    const parameters = resolveParameters(template, given, (parameter, type) => this.ssmValue(parameter, type));
    const conditions = evaluateConditions(template, this.baseScope(name, id, parameters, template));
    const graph = dependencyGraph(template, conditions);
    const order = creationOrder(graph);
    this.checkAttributes(template, graph);
    return { parameters, conditions, graph, order };
  }

  /**
   * Applies an update, in the new template's dependency order: a new resource is created; a changed
   * one is updated in place, or replaced when a changed property is one of REPLACEMENT_PROPERTIES
   * (the replacement is created first, other resources then refer to it); the old physical resources
   * of replaced and removed resources are deleted at the end (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS),
   * per UpdateReplacePolicy and DeletionPolicy (UpdateReplacePolicy attribute: "CloudFormation creates
   * the replacement resource first, and then changes references from other dependent resources to
   * point to the replacement resource. By default, CloudFormation then deletes the old resource").
   *
   * AWS::RDS::DBInstance, DBSnapshotIdentifier ("After you restore a DB instance with a
   * DBSnapshotIdentifier property, you must specify the same DBSnapshotIdentifier property for any
   * future updates to the DB instance. When you specify this property for an update, the DB instance
   * is not restored from the DB snapshot again, and the data in the database is not changed. However,
   * if you don't specify the DBSnapshotIdentifier property, an empty DB instance is created, and the
   * original DB instance is deleted. If you specify a property that is different from the previous
   * snapshot restore property, a new DB instance is restored from the specified DBSnapshotIdentifier
   * property, and the original DB instance is deleted."): unchanged, it is no change at all; changed
   * or removed, it replaces the instance, restored from the new snapshot or empty; any replacement
   * restores from the snapshot the template names, and fails when it no longer exists.
   *
   * A resource that fails stops the update: what it created is removed, the previous template,
   * parameters, resources and outputs are back (UPDATE_ROLLBACK_COMPLETE), nothing old was deleted.
   * Side effects happen at once; the events carry the simulated times at which they are seen.
   */
  private updateStack(stack: StackRecord, next: UpdateRequest & { token?: string }): void {
    stack.version += 1;
    const before = {
      templateBody: stack.templateBody,
      template: stack.template,
      parameters: stack.parameters,
      conditions: stack.conditions,
      graph: stack.graph,
      order: stack.order,
      resources: stack.resources,
      outputs: stack.outputs,
      description: stack.description,
    };
    const t0 = this.account.now();
    const timing = this.account.timing;
    this.addEvent(stack, t0, stack.name, 'UPDATE_IN_PROGRESS', 'User Initiated', stack.id, STACK_TYPE, undefined, next.token);
    stack.templateBody = next.body;
    stack.template = next.template;
    stack.parameters = next.parameters;
    stack.conditions = next.conditions;
    stack.graph = next.graph;
    stack.order = next.order;
    stack.capabilities = next.capabilities;
    if (next.template.Description) stack.description = next.template.Description;
    const tagsBefore = stack.tags;
    if (next.tags) stack.tags = next.tags.map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
    stack.resources = new Map();
    const scope = this.scopeFor(stack);
    const unitMs = Math.floor((timing.stackCreateSeconds * 1000) / Math.max(1, next.order.length));
    const created: ResourceRecord[] = [];
    const replaced: ResourceRecord[] = [];
    let cursor = t0;
    let failure: { logicalId: string; reason: string; type: string } | undefined;

    for (const logicalId of next.order) {
      const def = next.template.Resources[logicalId] as CfnTemplate['Resources'][string];
      const old = before.resources.get(logicalId);
      const policies = { policy: this.policyOf(def), replacePolicy: this.replacePolicyOf(def) };
      try {
        const evaluated = evaluate(def.Properties ?? {}, scope);
        const properties = evaluated === NO_VALUE ? {} : (evaluated as Record<string, unknown>);
        // One rule for what happens to it, the one a change set reports (planResource).
        const plan = planResource(logicalId, old?.exists ? { type: old.type, properties: old.properties } : undefined, { type: def.Type, properties });
        if (plan.effect === 'create' || !old) {
          const record: ResourceRecord = { logicalId, type: def.Type, ...policies, physicalId: '', properties, attributes: {}, exists: false };
          stack.resources.set(logicalId, record);
          this.addEvent(stack, cursor, logicalId, 'CREATE_IN_PROGRESS', undefined, '', record.type);
          const end = this.createResource(stack, record, cursor, cursor + this.stepMs(record, unitMs), false);
          created.push(record);
          this.addEvent(stack, end, logicalId, 'CREATE_COMPLETE', undefined, record.physicalId, record.type, properties);
          cursor = end;
          continue;
        }
        if (plan.effect === 'none') {
          stack.resources.set(logicalId, { ...old, ...policies });
          continue;
        }
        if (plan.effect === 'update') {
          stack.resources.set(logicalId, { ...old, ...policies, properties });
          this.addEvent(stack, cursor, logicalId, 'UPDATE_IN_PROGRESS', undefined, old.physicalId, old.type);
          cursor += unitMs;
          this.addEvent(stack, cursor, logicalId, 'UPDATE_COMPLETE', undefined, old.physicalId, old.type, properties);
          continue;
        }
        if (plan.effect === 'promote') {
          // The replica becomes a standalone instance in place (PromoteReadReplica): same physical ID,
          // the data it had applied when the promotion started; the resource completes when RDS is done.
          this.addEvent(stack, cursor, logicalId, 'UPDATE_IN_PROGRESS', undefined, old.physicalId, old.type);
          // A BackupRetentionPeriod the template now gives is the promoted instance's (PromoteReadReplica's own parameter).
          const { readyAt } = this.account.rds.promoteReadReplica(old.physicalId, properties.BackupRetentionPeriod !== undefined ? { backupRetentionPeriod: num(properties.BackupRetentionPeriod, 1) } : {});
          stack.resources.set(logicalId, { ...old, ...policies, properties });
          cursor = Math.max(cursor + unitMs, readyAt);
          this.addEvent(stack, cursor, logicalId, 'UPDATE_COMPLETE', undefined, old.physicalId, old.type, properties);
          continue;
        }
        const nameProperty = NAME_PROPERTIES[def.Type];
        if (nameProperty && properties[nameProperty] !== undefined && properties[nameProperty] === old.properties[nameProperty]) {
          throw new Error(`CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename ${String(properties[nameProperty])} and update the stack again.`);
        }
        const record: ResourceRecord = { logicalId, type: def.Type, ...policies, physicalId: '', properties, attributes: {}, exists: false };
        stack.resources.set(logicalId, record);
        this.addEvent(stack, cursor, logicalId, 'UPDATE_IN_PROGRESS', 'Requested update requires the creation of a new physical resource; hence creating one.', old.physicalId, def.Type);
        const end = this.createResource(stack, record, cursor, cursor + this.stepMs(record, unitMs), false);
        created.push(record);
        replaced.push(old);
        this.addEvent(stack, end, logicalId, 'UPDATE_COMPLETE', undefined, record.physicalId, record.type, properties);
        cursor = end;
      } catch (err) {
        failure = { logicalId, type: def.Type, reason: this.handlerMessage(def.Type, err) };
        const failed = stack.resources.get(logicalId);
        this.addEvent(stack, cursor, logicalId, 'UPDATE_FAILED', failure.reason, failed?.physicalId || old?.physicalId || '', def.Type);
        break;
      }
    }

    if (!failure) {
      try {
        stack.outputs = this.evaluateOutputs(stack, scope);
      } catch (err) {
        failure = { logicalId: stack.name, type: STACK_TYPE, reason: err instanceof Error ? err.message : String(err) };
      }
    }

    if (failure) {
      // Rollback: the new physical resources go, the previous ones were never touched.
      const reason = failure.logicalId === stack.name ? failure.reason : `The following resource(s) failed to update: [${failure.logicalId}]. `;
      this.addEvent(stack, cursor, stack.name, 'UPDATE_ROLLBACK_IN_PROGRESS', reason.trimEnd(), stack.id, STACK_TYPE, undefined, next.token);
      for (const r of created.reverse()) {
        this.addEvent(stack, cursor, r.logicalId, 'DELETE_IN_PROGRESS', undefined, r.physicalId, r.type);
        this.undoResource(r);
        cursor += unitMs;
        this.addEvent(stack, cursor, r.logicalId, 'DELETE_COMPLETE', undefined, r.physicalId, r.type);
      }
      Object.assign(stack, {
        templateBody: before.templateBody,
        template: before.template,
        parameters: before.parameters,
        conditions: before.conditions,
        graph: before.graph,
        order: before.order,
        resources: before.resources,
        outputs: before.outputs,
        tags: tagsBefore,
      });
      if (before.description !== undefined) stack.description = before.description;
      cursor += timing.stackCreateSeconds * 1000;
      this.addEvent(stack, cursor, stack.name, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', undefined, stack.id, STACK_TYPE, undefined, next.token);
      this.addEvent(stack, cursor, stack.name, 'UPDATE_ROLLBACK_COMPLETE', undefined, stack.id, STACK_TYPE, undefined, next.token);
      return;
    }

    // Cleanup: old physical resources of replaced ones (UpdateReplacePolicy), resources no longer in the template (DeletionPolicy).
    cursor = Math.max(cursor, t0 + timing.stackCreateSeconds * 1000);
    this.addEvent(stack, cursor, stack.name, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', undefined, stack.id, STACK_TYPE, undefined, next.token);
    const removed = [...before.resources.values()].filter((r) => r.exists && !stack.resources.has(r.logicalId));
    const doomed = [...replaced.map((r) => ({ r, policy: replicaPolicy(r, r.replacePolicy ?? 'Delete') })), ...removed.map((r) => ({ r, policy: replicaPolicy(r, r.policy) }))];
    for (const { r, policy } of doomed) {
      if (policy === 'Retain' || policy === 'RetainExceptOnCreate') {
        r.exists = false;
        continue;
      }
      this.addEvent(stack, cursor, r.logicalId, 'DELETE_IN_PROGRESS', undefined, r.physicalId, r.type);
      cursor += unitMs + (r.type === 'AWS::RDS::DBInstance' ? timing.dbDeleteSeconds * 1000 : 0);
      try {
        this.deleteResource(stack, { ...r, policy });
        r.exists = false;
        this.addEvent(stack, cursor, r.logicalId, 'DELETE_COMPLETE', undefined, r.physicalId, r.type);
      } catch (err) {
        // A cleanup failure does not fail the update: the old resource is left behind, outside the stack.
        r.exists = false;
        this.addEvent(stack, cursor, r.logicalId, 'DELETE_FAILED', this.handlerMessage(r.type, err), r.physicalId, r.type);
      }
    }
    this.addEvent(stack, cursor, stack.name, 'UPDATE_COMPLETE', undefined, stack.id, STACK_TYPE, undefined, next.token);
  }

  /** How long creating (or replacing) a resource takes within an update: a database its restore or create time. */
  private stepMs(r: ResourceRecord, unitMs: number): number {
    return r.type === 'AWS::RDS::DBInstance' ? Math.round(this.dbSeconds(r.properties) * 1000) : unitMs;
  }

  /** UpdateReplacePolicy of a resource: "By default, CloudFormation then deletes the old resource" (UpdateReplacePolicy attribute). */
  private replacePolicyOf(def: CfnTemplate['Resources'][string]): Policy {
    const policy = (def as { UpdateReplacePolicy?: unknown }).UpdateReplacePolicy;
    return typeof policy === 'string' ? (policy as Policy) : 'Delete';
  }

  private prepare(
    name: string,
    body: string,
    parameters: NonNullable<CreateStackCommandInput['Parameters']>,
    tags: Tag[],
    capabilities: string[],
    options: { onFailure: StackRecord['onFailure']; terminationProtection: boolean; roleArn?: string; token?: string },
  ): StackRecord {
    if (Buffer.byteLength(body, 'utf8') > TEMPLATE_URL_MAX_BYTES) throw validation('Template may not exceed 1048576 bytes in size.');
    const template = this.parse(body);
    if (tags.length > 50) throw validation('1 validation error detected: Value at \'tags\' failed to satisfy constraint: Member must have length less than or equal to 50');
    for (const t of tags) {
      // aws: is reserved for tags AWS sets itself (Tagging best practices, "aws: prefix").
      if ((t.Key ?? '').toLowerCase().startsWith('aws:')) throw validation(`Invalid tag key: ${t.Key}. Keys that begin with aws: are reserved`);
    }
    const id = `arn:aws:cloudformation:${this.account.region}:${this.account.accountId}:stack/${name}/${this.ids.uuid()}`;
    let resolved: ResolvedParameter[];
    let conditions: Record<string, boolean>;
    let graph: Map<string, Set<string>>;
    let order: string[];
    try {
      resolved = resolveParameters(template, parameters, (parameter, type) => this.ssmValue(parameter, type));
      const base = this.baseScope(name, id, resolved, template);
      conditions = evaluateConditions(template, base);
      graph = dependencyGraph(template, conditions);
      order = creationOrder(graph);
      this.checkAttributes(template, graph);
    } catch (err) {
      if (err instanceof TemplateValidationError) throw validation(err.message);
      throw err;
    }
    const needed = requiredCapabilities(template).filter((c) => !capabilities.includes(c) && !(c === 'CAPABILITY_IAM' && capabilities.includes('CAPABILITY_NAMED_IAM')));
    if (needed.length) throw new SimServiceError('InsufficientCapabilitiesException', `Requires capabilities : [${needed.join(', ')}]`, 400);

    const stack: StackRecord = {
      id,
      name,
      ...(template.Description ? { description: template.Description } : {}),
      templateBody: body,
      template,
      parameters: resolved,
      tags: tags.map((t) => ({ Key: t.Key, Value: t.Value ?? '' })),
      capabilities: [...capabilities],
      ...(options.roleArn ? { roleArn: options.roleArn } : {}),
      onFailure: options.onFailure,
      terminationProtection: options.terminationProtection,
      createdAt: this.account.now(),
      ...(options.token !== undefined ? { createToken: options.token } : {}),
      deleteTokens: new Set(),
      conditions,
      graph,
      order,
      resources: new Map(
        order.map((logicalId) => {
          const def = template.Resources[logicalId] as CfnTemplate['Resources'][string];
          return [
            logicalId,
            { logicalId, type: def.Type, policy: this.policyOf(def), physicalId: '', properties: {}, attributes: {}, exists: false },
          ];
        }),
      ),
      events: [],
      outputs: [],
      version: 0,
    };
    this.stacks.push(stack);
    return stack;
  }

  /**
   * Creates the resources in dependency order. Each resource starts when everything it depends on has
   * completed; databases take their restore (or create) time, everything else shares
   * timing.stackCreateSeconds along the longest chain. `immediate` makes every duration zero (seeding).
   */
  private provision(stack: StackRecord, immediate: boolean): void {
    const t0 = this.account.now();
    const timing = this.account.timing;
    this.addEvent(stack, t0, stack.name, 'CREATE_IN_PROGRESS', 'User Initiated', stack.id, STACK_TYPE);
    // Whole milliseconds, rounded down: the chain's sum never exceeds stackCreateSeconds.
    const unitMs = immediate ? 0 : Math.floor((timing.stackCreateSeconds * 1000) / Math.max(1, this.longestChain(stack)));
    const spans = new Map<string, { start: number; end: number }>();
    const scope = this.scopeFor(stack);
    let failure: { logicalId: string; at: number; reason: string } | undefined;
    let longestDbMs = 0;

    for (const logicalId of stack.order) {
      const resource = stack.resources.get(logicalId) as ResourceRecord;
      const start = Math.max(t0, ...[...(stack.graph.get(logicalId) ?? [])].map((d) => spans.get(d)?.end ?? t0));
      this.addEvent(stack, start, logicalId, 'CREATE_IN_PROGRESS', undefined, '', resource.type);
      try {
        const def = stack.template.Resources[logicalId] as CfnTemplate['Resources'][string];
        const properties = evaluate(def.Properties ?? {}, scope);
        resource.properties = properties === NO_VALUE ? {} : (properties as Record<string, unknown>);
        const plannedMs = resource.type === 'AWS::RDS::DBInstance' ? (immediate ? 0 : Math.round(this.dbSeconds(resource.properties) * 1000)) : unitMs;
        // A read replica's creation time is RDS's to tell (createResource answers when it is done).
        const durationMs = this.createResource(stack, resource, start, start + plannedMs, immediate) - start;
        if (resource.type === 'AWS::RDS::DBInstance') longestDbMs = Math.max(longestDbMs, durationMs);
        spans.set(logicalId, { start, end: start + durationMs });
        this.addEvent(stack, start, logicalId, 'CREATE_IN_PROGRESS', 'Resource creation Initiated', resource.physicalId, resource.type, resource.properties);
        this.addEvent(stack, start + durationMs, logicalId, 'CREATE_COMPLETE', undefined, resource.physicalId, resource.type, resource.properties);
      } catch (err) {
        failure = { logicalId, at: start, reason: this.handlerMessage(resource.type, err) };
        this.addEvent(stack, start, logicalId, 'CREATE_FAILED', failure.reason, resource.physicalId, resource.type);
        break;
      }
    }

    if (!failure) {
      const lastEnd = Math.max(t0, ...[...spans.values()].map((s) => s.end));
      const end = immediate ? t0 : Math.max(lastEnd, t0 + timing.stackCreateSeconds * 1000 + longestDbMs);
      try {
        stack.outputs = this.evaluateOutputs(stack, scope);
      } catch (err) {
        // An output that cannot be evaluated fails the stack after its resources (as CloudFormation does).
        failure = { logicalId: stack.name, at: end, reason: err instanceof Error ? err.message : String(err) };
      }
      if (!failure) {
        this.addEvent(stack, end, stack.name, 'CREATE_COMPLETE', undefined, stack.id, STACK_TYPE);
        return;
      }
    }
    this.failCreate(stack, failure, spans);
  }

  /** After a resource failed: cancel what was in flight, then roll back (or delete, or stop) per OnFailure. */
  private failCreate(stack: StackRecord, failure: { logicalId: string; at: number; reason: string }, spans: Map<string, { start: number; end: number }>): void {
    const tf = failure.at;
    const survivors: ResourceRecord[] = [];
    for (const [logicalId, span] of spans) {
      const resource = stack.resources.get(logicalId) as ResourceRecord;
      if (span.start > tf) {
        // Never started by the time the stack failed: it was never created.
        stack.events = stack.events.filter((e) => e.logicalId !== logicalId);
        this.undoResource(resource);
        continue;
      }
      if (span.end > tf) {
        stack.events = stack.events.filter((e) => !(e.logicalId === logicalId && e.at > tf));
        this.addEvent(stack, tf, logicalId, 'CREATE_FAILED', 'Resource creation cancelled', resource.physicalId, resource.type);
      }
      survivors.push(resource);
    }
    const cancelled = survivors.filter((r) => (spans.get(r.logicalId)?.end ?? 0) > tf).map((r) => r.logicalId);
    const reason =
      failure.logicalId === stack.name ? `${failure.reason}. ` : `The following resource(s) failed to create: [${[failure.logicalId, ...cancelled].join(', ')}]. `;
    if (stack.onFailure === 'DO_NOTHING') {
      this.addEvent(stack, tf, stack.name, 'CREATE_FAILED', reason.trimEnd(), stack.id, STACK_TYPE);
      return;
    }
    const rollback = stack.onFailure === 'ROLLBACK';
    this.addEvent(stack, tf, stack.name, rollback ? 'ROLLBACK_IN_PROGRESS' : 'DELETE_IN_PROGRESS', rollback ? `${reason}Rollback requested by user.` : reason.trimEnd(), stack.id, STACK_TYPE);
    const timing = this.account.timing;
    const order = [...stack.order].reverse().map((id) => stack.resources.get(id) as ResourceRecord);
    const hasDb = survivors.some((r) => r.type === 'AWS::RDS::DBInstance');
    const total = (timing.stackDeleteSeconds + (hasDb ? timing.dbDeleteSeconds : 0)) * 1000;
    const toDelete = order.filter((r) => survivors.includes(r) || r.logicalId === failure.logicalId);
    const unit = Math.floor(total / Math.max(1, toDelete.length));
    let cursor = tf;
    for (const r of toDelete) {
      this.addEvent(stack, cursor, r.logicalId, 'DELETE_IN_PROGRESS', undefined, r.physicalId, r.type);
      cursor += unit;
      this.addEvent(stack, cursor, r.logicalId, 'DELETE_COMPLETE', undefined, r.physicalId, r.type);
      this.undoResource(r);
    }
    const end = tf + total;
    this.addEvent(stack, end, stack.name, rollback ? 'ROLLBACK_COMPLETE' : 'DELETE_COMPLETE', undefined, stack.id, STACK_TYPE);
    if (!rollback) stack.deletionTime = end;
  }

  /**
   * DeleteStack: resources in reverse dependency order, each per its DeletionPolicy. A resource whose
   * deletion fails keeps the ones it depends on, and the stack ends DELETE_FAILED naming it.
   */
  private deleteStack(stack: StackRecord, retain: string[], token?: string): void {
    const status = this.status(stack);
    if (status === 'DELETE_COMPLETE' || status === 'DELETE_IN_PROGRESS') return;
    const now = this.account.now();
    // A create still in progress is cancelled: what it had scheduled never happens.
    stack.events = stack.events.filter((e) => e.at <= now);
    for (const r of stack.resources.values()) {
      if (this.resourceEvent(stack, r.logicalId)?.status === 'CREATE_IN_PROGRESS') {
        this.addEvent(stack, now, r.logicalId, 'CREATE_FAILED', 'Resource creation cancelled', r.physicalId, r.type);
      }
    }
    this.addEvent(stack, now, stack.name, 'DELETE_IN_PROGRESS', 'User Initiated', stack.id, STACK_TYPE, undefined, token);

    const timing = this.account.timing;
    const targets = [...stack.order].reverse().map((id) => stack.resources.get(id) as ResourceRecord).filter((r) => r.exists);
    const hasDb = targets.some((r) => r.type === 'AWS::RDS::DBInstance' && replicaPolicy(r, r.policy) !== 'Retain' && !retain.includes(r.logicalId));
    const total = (timing.stackDeleteSeconds + (hasDb ? timing.dbDeleteSeconds : 0)) * 1000;
    const unit = Math.floor((timing.stackDeleteSeconds * 1000) / Math.max(1, targets.length));
    const kept = new Set<string>();
    const failed: string[] = [];
    let cursor = now;
    for (const r of targets) {
      const policy = replicaPolicy(r, r.policy);
      if (policy === 'Retain' || policy === 'RetainExceptOnCreate' || retain.includes(r.logicalId)) {
        this.addEvent(stack, cursor, r.logicalId, 'DELETE_SKIPPED', undefined, r.physicalId, r.type);
        r.exists = false;
        continue;
      }
      // Something that depends on this resource could not be deleted: this one must stay too.
      if (dependents(stack.graph, r.logicalId).some((d) => kept.has(d))) {
        kept.add(r.logicalId);
        continue;
      }
      this.addEvent(stack, cursor, r.logicalId, 'DELETE_IN_PROGRESS', undefined, r.physicalId, r.type, undefined, token);
      cursor += unit + (r.type === 'AWS::RDS::DBInstance' ? timing.dbDeleteSeconds * 1000 : 0);
      try {
        this.deleteResource(stack, r);
        r.exists = false;
        this.addEvent(stack, cursor, r.logicalId, 'DELETE_COMPLETE', undefined, r.physicalId, r.type, undefined, token);
      } catch (err) {
        kept.add(r.logicalId);
        failed.push(r.logicalId);
        this.addEvent(stack, cursor, r.logicalId, 'DELETE_FAILED', this.handlerMessage(r.type, err), r.physicalId, r.type, undefined, token);
      }
    }
    const end = Math.max(now + total, cursor);
    if (failed.length) {
      this.addEvent(stack, end, stack.name, 'DELETE_FAILED', `The following resource(s) failed to delete: [${failed.join(', ')}]. `, stack.id, STACK_TYPE, undefined, token);
    } else {
      this.addEvent(stack, end, stack.name, 'DELETE_COMPLETE', undefined, stack.id, STACK_TYPE, undefined, token);
      stack.deletionTime = end;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Resources
  // ---------------------------------------------------------------------------------------------

  /** Seconds a DB resource takes: a restore scales with the allocated storage; a fresh DB takes the fixed part. */
  private dbSeconds(props: Record<string, unknown>): number {
    const snapshotId = this.snapshotIdOf(props);
    if (!snapshotId) return this.account.rds.createSeconds();
    const snapshot = this.account.rds.snapshot(snapshotId);
    return this.account.rds.restoreSeconds(Math.max(num(props.AllocatedStorage, 0), snapshot?.allocatedStorage ?? 0));
  }

  /** DBSnapshotIdentifier may be a name or an ARN (AWS::RDS::DBInstance, DBSnapshotIdentifier). */
  private snapshotIdOf(props: Record<string, unknown>): string | undefined {
    const raw = str(props.DBSnapshotIdentifier);
    if (!raw) return undefined;
    const arn = /:snapshot:(.+)$/.exec(raw);
    return arn ? (arn[1] as string) : raw;
  }

  /**
   * The tags CloudFormation puts on what it creates: the stack's own, then its aws:cloudformation:* tags.
   * "CloudFormation automatically creates the following stack-level tags ... The propagation of
   * stack-level tags to resources ... varies by resource type" (CloudFormation User Guide, "Resource
   * tag", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html);
   * buckets, DB instances and Auto Scaling groups receive them. So a stack the workflow tags with its
   * execution hands that tag to its group, where standby-enter looks for a claim: the next migration
   * of the environment meets it (issue 10, item 5; scenario migrate-three-times).
   */
  private propagatedTags(stack: StackRecord, logicalId: string): { Key: string; Value: string }[] {
    return [
      ...stack.tags.map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })),
      { Key: 'aws:cloudformation:stack-name', Value: stack.name },
      { Key: 'aws:cloudformation:stack-id', Value: stack.id },
      { Key: 'aws:cloudformation:logical-id', Value: logicalId },
    ];
  }

  /** A CloudFormation-generated name: `<stack>-<logicalId>-<random>`, shortened to fit `max`. */
  private generatedName(stack: StackRecord, logicalId: string, max: number, random = 13, alphabet = UPPER_ALNUM): string {
    const suffix = this.ids.next(random, alphabet);
    const room = max - suffix.length - 2;
    const stackPart = stack.name.slice(0, Math.max(1, Math.ceil(room / 2)));
    const logicalPart = logicalId.slice(0, Math.max(1, room - stackPart.length));
    return `${stackPart}-${logicalPart}-${suffix}`;
  }

  /**
   * Creates what a resource stands for, from `start`; answers when it is complete: `end`, or for a read
   * replica the time RDS gives it (its creation is a snapshot and a restore of the source, RDS's timing).
   */
  private createResource(stack: StackRecord, r: ResourceRecord, start: number, end: number, immediate: boolean): number {
    const p = r.properties;
    let completeAt = end;
    const region = this.account.region;
    const account = this.account.accountId;
    switch (r.type) {
      case 'AWS::S3::Bucket': {
        const name = str(p.BucketName) ?? this.account.s3.bucketNameFor(stack.name, r.logicalId);
        const versioning = (p.VersioningConfiguration as { Status?: unknown } | undefined)?.Status === 'Enabled';
        const rule = ((p.BucketEncryption as { ServerSideEncryptionConfiguration?: unknown[] } | undefined)?.ServerSideEncryptionConfiguration ?? [])[0] as
          | { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string } }
          | undefined;
        const kms = rule?.ServerSideEncryptionByDefault?.SSEAlgorithm?.startsWith('aws:kms') ? (rule.ServerSideEncryptionByDefault.KMSMasterKeyID ?? 'alias/aws/s3') : undefined;
        const tags = Object.fromEntries([...this.propagatedTags(stack, r.logicalId), ...tagList(p.Tags)].map((t) => [t.Key, t.Value]));
        // ObjectLockEnabled / ObjectLockConfiguration.Rule.DefaultRetention (AWS::S3::Bucket reference).
        const lock = p.ObjectLockEnabled === true || p.ObjectLockEnabled === 'true';
        const retention = (p.ObjectLockConfiguration as { Rule?: { DefaultRetention?: { Mode?: string; Days?: unknown; Years?: unknown } } } | undefined)?.Rule?.DefaultRetention;
        const objectLock = lock
          ? { ...(retention ? { defaultRetention: { mode: retention.Mode === 'COMPLIANCE' ? ('COMPLIANCE' as const) : ('GOVERNANCE' as const), days: num(retention.Days, 0) || num(retention.Years, 0) * 365 } } : {}) }
          : undefined;
        this.account.s3.createBucket(name, { tags, versioning, ...(kms ? { kmsKeyId: kms } : {}), ...(objectLock ? { objectLock } : {}) });
        r.physicalId = name;
        r.attributes = {
          Arn: `arn:aws:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          DualStackDomainName: `${name}.s3.dualstack.${region}.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
          WebsiteURL: `http://${name}.s3-website-${region}.amazonaws.com`,
        };
        break;
      }
      case 'AWS::RDS::DBInstance': {
        const identifier = (str(p.DBInstanceIdentifier) ?? this.generatedName(stack, r.logicalId, 63, 12, LOWER_ALNUM)).toLowerCase().replace(/-{2,}/g, '-');
        const tags = [...this.propagatedTags(stack, r.logicalId), ...tagList(p.Tags).map(({ Key, Value }) => ({ Key, Value }))];
        const snapshotId = this.snapshotIdOf(p);
        const common = {
          identifier,
          tags,
          readyAt: end,
          stackName: stack.name,
          ...(str(p.DBInstanceClass) ? { instanceClass: str(p.DBInstanceClass) as string } : {}),
          // DeletionProtection (AWS::RDS::DBInstance): the stack's deletion then fails on this instance.
          ...(p.DeletionProtection === true || p.DeletionProtection === 'true' ? { deletionProtection: true } : {}),
        };
        // "If you enable the StorageEncrypted property but don't specify this property, AWS
        // CloudFormation uses the default KMS key" (AWS::RDS::DBInstance, KmsKeyId). A restore ignores
        // both: encryption and key are the snapshot's (RdsSim.restoreFromSnapshot).
        const encrypted = p.StorageEncrypted === true || p.StorageEncrypted === 'true';
        const kmsKeyId = encrypted ? (str(p.KmsKeyId) ?? 'alias/aws/rds') : undefined;
        const source = str(p.SourceDBInstanceIdentifier);
        let db;
        if (source) {
          checkReplicaProperties(p);
          // CreateDBInstanceReadReplica: engine, storage encryption and key, master user and database
          // come from the source (same Region: its key); RDS says when the replica is available.
          db = this.account.rds.createReadReplica({
            identifier,
            sourceIdentifier: source,
            tags,
            stackName: stack.name,
            ...(str(p.DBInstanceClass) ? { instanceClass: str(p.DBInstanceClass) as string } : {}),
            ...(p.AllocatedStorage !== undefined ? { allocatedStorage: num(p.AllocatedStorage, 0) } : {}),
            ...(common.deletionProtection ? { deletionProtection: true } : {}),
            ...(immediate ? { readyAt: start } : {}),
          });
          // Requested now, started at `start` (after what it depends on): complete as long after that.
          completeAt = Math.max(start, db.readyAt + Math.max(0, start - this.account.now()));
        } else if (snapshotId) {
          db = this.account.rds.restoreFromSnapshot({
            ...common,
            snapshotIdentifier: snapshotId,
            allocatedStorage: num(p.AllocatedStorage, 0),
            at: start,
            ...(p.BackupRetentionPeriod !== undefined ? { backupRetentionPeriod: num(p.BackupRetentionPeriod, 1) } : {}),
          });
        } else {
          db = this.account.rds.createInstance({
            ...common,
            allocatedStorage: num(p.AllocatedStorage, 20),
            engine: str(p.Engine) ?? 'postgres',
            ...(str(p.EngineVersion) ? { engineVersion: str(p.EngineVersion) as string } : {}),
            ...(str(p.MasterUsername) ? { masterUsername: str(p.MasterUsername) as string } : {}),
            ...(str(p.DBName) ? { dbName: str(p.DBName) as string } : {}),
            ...(kmsKeyId ? { kmsKeyId } : {}),
            ...(p.BackupRetentionPeriod !== undefined ? { backupRetentionPeriod: num(p.BackupRetentionPeriod, 1) } : {}),
          });
        }
        r.physicalId = db.identifier;
        r.attributes = {
          'Endpoint.Address': db.endpoint.address,
          'Endpoint.Port': String(db.endpoint.port),
          'Endpoint.HostedZoneId': 'Z2R2ITUGPM61AM',
          DBInstanceArn: db.arn,
          DbiResourceId: `db-${this.ids.next(26, UPPER_ALNUM)}`,
        };
        if (p.ManageMasterUserPassword === true || p.ManageMasterUserPassword === 'true') {
          // RDS keeps the managed master password in a secret named rds!db-<uuid> (RDS user guide,
          // "Password management with Amazon RDS and AWS Secrets Manager").
          const secretArn = this.account.secrets.createSecret(`rds!db-${this.ids.uuid()}`, JSON.stringify({ username: str(p.MasterUsername) ?? 'postgres', password: this.ids.next(32, UPPER_ALNUM) }));
          r.attributes['MasterUserSecret.SecretArn'] = secretArn;
        }
        break;
      }
      case 'AWS::AutoScaling::AutoScalingGroup': {
        const name = str(p.AutoScalingGroupName) ?? this.generatedName(stack, r.logicalId, 255);
        const lt = p.LaunchTemplate as { LaunchTemplateId?: string; LaunchTemplateName?: string; Version?: string } | undefined;
        const template = lt ? [...stack.resources.values()].find((x) => x.type === 'AWS::EC2::LaunchTemplate' && x.physicalId === lt.LaunchTemplateId) : undefined;
        const instanceType = str((template?.properties.LaunchTemplateData as { InstanceType?: unknown } | undefined)?.InstanceType) ?? 't3.micro';
        const zones = Array.isArray(p.VPCZoneIdentifier) ? p.VPCZoneIdentifier.map(String) : [];
        // Stack-level tags land on the group as tags that also go to its instances: "stack-level tags are
        // automatically applied to EC2 instances regardless of the PropagateAtLaunch setting" (Resource
        // tag, above), and "CloudFormation adds the following tags to all Auto Scaling groups and
        // associated instances: aws:cloudformation:stack-name, -stack-id, -logical-id"
        // (AWS::AutoScaling::AutoScalingGroup TagProperty, CloudFormation Template Reference).
        const groupTags = [...this.propagatedTags(stack, r.logicalId).map((t) => ({ ...t, PropagateAtLaunch: true })), ...tagList(p.Tags)];
        this.account.autoscaling.createGroup({
          name,
          minSize: num(p.MinSize, 0),
          maxSize: num(p.MaxSize, 0),
          ...(p.DesiredCapacity !== undefined ? { desiredCapacity: num(p.DesiredCapacity, 0) } : {}),
          targetGroupARNs: Array.isArray(p.TargetGroupARNs) ? p.TargetGroupARNs.map(String) : [],
          tags: groupTags.map((t) => ({ key: t.Key, value: t.Value, propagateAtLaunch: t.PropagateAtLaunch ?? true })),
          ...(lt
            ? {
                launchTemplate: {
                  ...(lt.LaunchTemplateId ? { LaunchTemplateId: lt.LaunchTemplateId } : {}),
                  ...(lt.LaunchTemplateName ? { LaunchTemplateName: lt.LaunchTemplateName } : {}),
                  Version: str(lt.Version) ?? '$Default',
                },
              }
            : {}),
          instanceType,
          ...(Array.isArray(p.AvailabilityZones) ? { availabilityZones: p.AvailabilityZones.map(String) } : {}),
          ...(zones.length ? { vpcZoneIdentifier: zones.join(',') } : {}),
          startAt: end,
          launchSeconds: immediate ? 0 : this.account.timing.instanceLaunchSeconds,
          stackName: stack.name,
        });
        r.physicalId = name;
        break;
      }
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
        const name = str(p.Name) ?? this.generatedName(stack, r.logicalId, 32, 13);
        const lbId = this.ids.next(16, HEX);
        const arn = `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/${lbId}`;
        // ALB DNS names: <name>-<number>.<region>.elb.amazonaws.com (internal ones start with "internal-").
        const dnsName = `${p.Scheme === 'internal' ? 'internal-' : ''}${name}-${Number.parseInt(this.ids.next(8, HEX), 16)}.${region}.elb.amazonaws.com`;
        this.loadBalancers.set(arn, { arn, name, dnsName, stackId: stack.id, logicalId: r.logicalId });
        this.account.http.set(dnsName.toLowerCase(), environmentApp(this.account, arn));
        r.physicalId = arn;
        r.attributes = {
          DNSName: dnsName,
          CanonicalHostedZoneID: ALB_CANONICAL_HOSTED_ZONE_ID,
          LoadBalancerArn: arn,
          LoadBalancerFullName: `app/${name}/${lbId}`,
          LoadBalancerName: name,
          SecurityGroups: Array.isArray(p.SecurityGroups) ? p.SecurityGroups : [],
        };
        break;
      }
      case 'AWS::ElasticLoadBalancingV2::TargetGroup': {
        const name = str(p.Name) ?? this.generatedName(stack, r.logicalId, 32, 13);
        const tgId = this.ids.next(16, HEX);
        const arn = `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${name}/${tgId}`;
        const targetType = (str(p.TargetType) ?? 'instance') as TargetGroupRecord['targetType'];
        const targets = Array.isArray(p.Targets) ? p.Targets.flatMap((t) => (t && typeof t === 'object' && 'Id' in t ? [String((t as { Id: unknown }).Id)] : [])) : [];
        this.targetGroups.set(arn, { arn, name, targetType, targets, stackId: stack.id });
        r.physicalId = arn;
        r.attributes = { TargetGroupArn: arn, TargetGroupFullName: `targetgroup/${name}/${tgId}`, TargetGroupName: name, LoadBalancerArns: [] };
        break;
      }
      case 'AWS::ElasticLoadBalancingV2::Listener': {
        const lbArn = str(p.LoadBalancerArn) ?? '';
        const lb = this.loadBalancers.get(lbArn);
        const arn = `arn:aws:elasticloadbalancing:${region}:${account}:listener/app/${lb?.name ?? 'unknown'}/${lbArn.split('/').pop() ?? ''}/${this.ids.next(16, HEX)}`;
        this.listeners.set(arn, { arn, loadBalancerArn: lbArn, port: num(p.Port, 80), defaultActions: this.actions(p.DefaultActions), stackId: stack.id });
        r.physicalId = arn;
        r.attributes = { ListenerArn: arn };
        break;
      }
      case 'AWS::ElasticLoadBalancingV2::ListenerRule': {
        const listenerArn = str(p.ListenerArn) ?? '';
        const arn = `${listenerArn.replace(':listener/', ':listener-rule/')}/${this.ids.next(16, HEX)}`;
        const pathPatterns = (Array.isArray(p.Conditions) ? p.Conditions : []).flatMap((c) => {
          const cond = c as { Field?: string; Values?: unknown[]; PathPatternConfig?: { Values?: unknown[] } };
          return cond.Field === 'path-pattern' ? (cond.PathPatternConfig?.Values ?? cond.Values ?? []).map(String) : [];
        });
        this.listenerRules.set(arn, { arn, listenerArn, priority: num(p.Priority, 50000), pathPatterns, actions: this.actions(p.Actions), stackId: stack.id });
        r.physicalId = arn;
        r.attributes = { RuleArn: arn, IsDefault: false };
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = str(p.FunctionName) ?? this.generatedName(stack, r.logicalId, 64, 12, MIXED_ALNUM);
        const arn = `arn:aws:lambda:${region}:${account}:function:${name}`;
        const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
        this.functions.set(arn, { arn, name, stackId: stack.id, logicalId: r.logicalId, environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])) });
        r.physicalId = name;
        r.attributes = { Arn: arn };
        break;
      }
      case 'AWS::IAM::Role': {
        const name = str(p.RoleName) ?? this.generatedName(stack, r.logicalId, 64, 12);
        r.physicalId = name;
        r.attributes = { Arn: `arn:aws:iam::${account}:role${str(p.Path) ?? '/'}${name}`, RoleId: `AROA${this.ids.next(17, UPPER_ALNUM)}` };
        break;
      }
      case 'AWS::EC2::SecurityGroup':
        r.physicalId = `sg-${this.ids.next(17, HEX)}`;
        r.attributes = { GroupId: r.physicalId, VpcId: str(p.VpcId) ?? '' };
        break;
      case 'AWS::EC2::LaunchTemplate':
        r.physicalId = `lt-${this.ids.next(17, HEX)}`;
        r.attributes = { LaunchTemplateId: r.physicalId, DefaultVersionNumber: '1', LatestVersionNumber: '1' };
        break;
      case 'AWS::EC2::VPCEndpoint':
        r.physicalId = `vpce-${this.ids.next(17, HEX)}`;
        r.attributes = { Id: r.physicalId, CreationTimestamp: new Date(start).toISOString(), DnsEntries: [], NetworkInterfaceIds: [] };
        break;
      case 'AWS::SecretsManager::Secret': {
        // Ref of a secret is its ARN; an unnamed one is called <LogicalId>-<random> (AWS::SecretsManager::Secret, Name).
        const name = str(p.Name) ?? `${r.logicalId}-${this.ids.next(12, MIXED_ALNUM)}`;
        const generate = p.GenerateSecretString as { SecretStringTemplate?: string; GenerateStringKey?: string; PasswordLength?: unknown } | undefined;
        let value = str(p.SecretString) ?? this.ids.next(32, MIXED_ALNUM);
        if (generate) {
          const base = generate.SecretStringTemplate ? (JSON.parse(generate.SecretStringTemplate) as Record<string, unknown>) : {};
          const generated = this.ids.next(num(generate.PasswordLength, 32), MIXED_ALNUM);
          value = generate.GenerateStringKey ? JSON.stringify({ ...base, [generate.GenerateStringKey]: generated }) : generated;
        }
        r.physicalId = this.account.secrets.createSecret(name, value);
        r.attributes = { Id: r.physicalId };
        break;
      }
      case 'AWS::KMS::Key': {
        // Ref of a key is its key ID; Fn::GetAtt Arn its ARN (AWS::KMS::Key, Return values).
        const key = this.account.kms.createKey(str(p.Description) ?? '');
        r.physicalId = key.keyId;
        r.attributes = { Arn: key.arn, KeyId: key.keyId };
        break;
      }
      case 'AWS::KMS::Alias': {
        // Ref of an alias is its name, e.g. alias/orders (AWS::KMS::Alias, Return values).
        const name = str(p.AliasName) ?? '';
        this.account.kms.createAlias(name, str(p.TargetKeyId) ?? '');
        r.physicalId = name;
        break;
      }
      case 'AWS::RDS::DBSubnetGroup':
        r.physicalId = (str(p.DBSubnetGroupName) ?? this.generatedName(stack, r.logicalId, 255, 12, LOWER_ALNUM)).toLowerCase();
        break;
      default:
        // Anything else is created with a generated physical ID and no behaviour.
        r.physicalId = this.generatedName(stack, r.logicalId, 128, 12);
        r.attributes = { Arn: `arn:aws:${(r.type.split('::')[1] ?? 'unknown').toLowerCase()}:${region}:${account}:${r.physicalId}` };
    }
    r.exists = true;
    return completeAt;
  }

  private actions(v: unknown): ListenerAction[] {
    if (!Array.isArray(v)) return [];
    return v.map((a) => {
      const action = a as {
        Type?: string;
        TargetGroupArn?: string;
        ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string }[] };
        FixedResponseConfig?: { StatusCode?: string; ContentType?: string; MessageBody?: string };
      };
      const arns = [action.TargetGroupArn, ...(action.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn)].filter((x): x is string => typeof x === 'string');
      return {
        type: action.Type ?? 'forward',
        targetGroupArns: arns,
        ...(action.FixedResponseConfig
          ? {
              fixedResponse: {
                statusCode: num(action.FixedResponseConfig.StatusCode, 200),
                contentType: action.FixedResponseConfig.ContentType ?? 'text/plain',
                body: action.FixedResponseConfig.MessageBody ?? '',
              },
            }
          : {}),
      };
    });
  }

  /** Deletes what a resource created. Throws what the service throws (BucketNotEmpty...); "already gone" counts as deleted. */
  private deleteResource(stack: StackRecord, r: ResourceRecord): void {
    switch (r.type) {
      case 'AWS::S3::Bucket':
        if (this.account.s3.bucketExists(r.physicalId)) this.account.s3.deleteBucket(r.physicalId);
        break;
      case 'AWS::RDS::DBInstance': {
        if (!this.account.rds.instance(r.physicalId)) break;
        // DeletionPolicy Snapshot: a final snapshot (not tagged by the stack) before the instance goes.
        const finalSnapshot =
          replicaPolicy(r, r.policy) === 'Snapshot' ? `${stack.name}-${r.logicalId}-snapshot-${this.ids.next(12, LOWER_ALNUM)}`.toLowerCase().replace(/-{2,}/g, '-').slice(0, 255) : undefined;
        this.account.rds.deleteInstance(r.physicalId, { ...(finalSnapshot ? { finalSnapshotIdentifier: finalSnapshot } : {}), deleteSeconds: this.account.timing.dbDeleteSeconds });
        break;
      }
      default:
        this.undoResource(r);
    }
  }

  /** Removes what a resource created, at once and unconditionally (rollback of a failed create). */
  private undoResource(r: ResourceRecord): void {
    if (!r.exists) return;
    switch (r.type) {
      case 'AWS::S3::Bucket':
        if (this.account.s3.bucketExists(r.physicalId)) this.account.s3.deleteBucket(r.physicalId);
        break;
      case 'AWS::RDS::DBInstance':
        this.account.rds.purgeInstance(r.physicalId);
        break;
      case 'AWS::AutoScaling::AutoScalingGroup':
        this.account.autoscaling.deleteGroup(r.physicalId);
        break;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        // The host stays registered: a deleted load balancer's name no longer resolves, and the app
        // answers that as fetch does (TypeError) instead of letting the request reach the real network.
        this.loadBalancers.delete(r.physicalId);
        break;
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        this.targetGroups.delete(r.physicalId);
        break;
      case 'AWS::ElasticLoadBalancingV2::Listener':
        this.listeners.delete(r.physicalId);
        break;
      case 'AWS::ElasticLoadBalancingV2::ListenerRule':
        this.listenerRules.delete(r.physicalId);
        break;
      case 'AWS::KMS::Key':
        // Removing a key from a stack schedules its deletion after PendingWindowInDays, the waiting period
        // (7-30 days, default 30; AWS::KMS::Key reference, PendingWindowInDays, and KMS API reference,
        // ScheduleKeyDeletion). DeletionPolicy Retain keeps the key (deleteStack never gets here).
        if (this.account.kms.key(r.physicalId)?.state === 'Enabled') {
          this.account.kms.scheduleDeletion(r.physicalId, r.properties.PendingWindowInDays === undefined ? undefined : num(r.properties.PendingWindowInDays, 30));
        }
        break;
      case 'AWS::KMS::Alias':
        this.account.kms.deleteAlias(r.physicalId);
        break;
      case 'AWS::KMS::Key':
        // A key cannot be deleted at once, not even by a rollback: its deletion is scheduled.
        if (this.account.kms.key(r.physicalId)?.state === 'Enabled') this.account.kms.scheduleDeletion(r.physicalId);
        break;
      case 'AWS::KMS::Alias':
        this.account.kms.deleteAlias(r.physicalId);
        break;
      case 'AWS::Lambda::Function':
        this.functions.delete(String(r.attributes.Arn));
        break;
      default:
        break;
    }
    r.exists = false;
  }

  /** A resource failure as CloudFormation words it in ResourceStatusReason. */
  private handlerMessage(type: string, err: unknown): string {
    if (err instanceof SimServiceError) {
      const status = err.$metadata.httpStatusCode;
      const code = status === 404 ? 'NotFound' : /AlreadyExists|AlreadyOwned/.test(err.name) ? 'AlreadyExists' : status >= 500 ? 'ServiceInternalError' : 'GeneralServiceException';
      return `Resource handler returned message: "${err.message} (Service: ${serviceOf(type)}, Status Code: ${status}, Request ID: ${this.ids.uuid()})" (RequestToken: ${this.ids.uuid()}, HandlerErrorCode: ${code})`;
    }
    return err instanceof Error ? err.message : String(err);
  }

  private policyOf(def: CfnTemplate['Resources'][string]): Policy {
    if (def.DeletionPolicy) return def.DeletionPolicy as Policy;
    // "The default policy is Snapshot for AWS::RDS::DBCluster resources and for AWS::RDS::DBInstance
    // resources that don't specify the DBClusterIdentifier property" (DeletionPolicy attribute).
    if (def.Type === 'AWS::RDS::DBCluster' || (def.Type === 'AWS::RDS::DBInstance' && def.Properties?.DBClusterIdentifier === undefined)) return 'Snapshot';
    return 'Delete';
  }

  // ---------------------------------------------------------------------------------------------
  // Evaluation
  // ---------------------------------------------------------------------------------------------

  private parse(body: string): CfnTemplate {
    try {
      return parseTemplate(body);
    } catch (err) {
      throw validation(`Template format error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The body from TemplateBody or from the S3 object a TemplateURL names (API_CreateStack, TemplateURL). */
  private async templateBodyOf(body: string | undefined, url: string | undefined): Promise<string> {
    if ((body === undefined) === (url === undefined)) throw validation('Either Template URL or Template Body must be specified.');
    if (body !== undefined) {
      // The API's own constraint error, which quotes the whole body as the rejected value (as reported
      // in widdix/aws-cf-templates#169 and aws/aws-extensions-for-dotnet-cli#50: "1 validation error
      // detected: Value '…' at 'templateBody' failed to satisfy constraint: Member must have length less
      // than or equal to 51200"); the limit is TemplateBody's in API_CreateStack, API_ValidateTemplate
      // and API_GetTemplateSummary ("a maximum length of 51,200 bytes").
      if (Buffer.byteLength(body, 'utf8') > TEMPLATE_BODY_MAX) {
        throw validation(`1 validation error detected: Value '${body}' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${TEMPLATE_BODY_MAX}`);
      }
      return body;
    }
    const location = this.s3Location(url as string);
    if (!location) throw validation('TemplateURL must be a supported URL.');
    let record;
    try {
      record = this.account.s3.getObjectRecord(location.bucket, location.key);
    } catch (err) {
      if (err instanceof SimServiceError) throw validation(`S3 error: ${err.message}`);
      throw err;
    }
    if (!record) throw validation('S3 error: The specified key does not exist.');
    if (!record.body) throw validation('Template format error: the template object holds no readable body');
    if (record.size > TEMPLATE_URL_MAX_BYTES) throw validation('Template may not exceed 1048576 bytes in size.');
    return record.body.toString('utf8');
  }

  /** Virtual-hosted and path-style S3 URLs (S3 user guide, "Methods for accessing a bucket"). */
  private s3Location(url: string): { bucket: string; key: string } | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (parsed.protocol !== 'https:') return undefined;
    const host = parsed.hostname;
    const path = parsed.pathname.replace(/^\//, '');
    const decode = (s: string) => decodeURIComponent(s);
    const virtual = /^(.+)\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$/.exec(host);
    if (virtual && !/^s3[.-]/.test(host)) return path ? { bucket: virtual[1] as string, key: decode(path) } : undefined;
    if (/^s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$/.test(host)) {
      const slash = path.indexOf('/');
      return slash > 0 ? { bucket: path.slice(0, slash), key: decode(path.slice(slash + 1)) } : undefined;
    }
    return undefined;
  }

  /** AWS::SSM::Parameter::Value<...> parameters: the public AMI parameters resolve to a stable fake AMI ID. */
  private ssmValue(name: string, type: string): string {
    if (type === 'AWS::EC2::Image::Id') {
      return `ami-${Buffer.from(name).toString('hex').padEnd(17, '0').slice(-17)}`;
    }
    return name;
  }

  private baseScope(name: string, id: string, parameters: ResolvedParameter[], template: CfnTemplate): Omit<Scope, 'conditions'> {
    return {
      region: this.account.region,
      accountId: this.account.accountId,
      stackName: name,
      stackId: id,
      parameters: new Map(parameters.map((p) => [p.key, p])),
      mappings: ((template as CfnTemplate & { Mappings?: Record<string, unknown> }).Mappings ?? {}) as Record<string, unknown>,
      ref: () => undefined,
      getAtt: () => undefined,
      importValue: (exportName) => this.importValue(exportName),
    };
  }

  private scopeFor(stack: StackRecord): Scope {
    const resource = (logicalId: string): ResourceRecord => {
      const r = stack.resources.get(logicalId);
      if (!r || !r.physicalId) throw new TemplateValidationError(`Template format error: Unresolved resource dependencies [${logicalId}] in the Resources block of the template`);
      return r;
    };
    return {
      ...this.baseScope(stack.name, stack.id, stack.parameters, stack.template),
      conditions: stack.conditions,
      ref: (logicalId) => resource(logicalId).physicalId,
      getAtt: (logicalId, attribute) => {
        const r = resource(logicalId);
        if (attribute in r.attributes) return r.attributes[attribute];
        throw new TemplateValidationError(`Template error: resource ${logicalId} does not support attribute type ${attribute} in Fn::GetAtt`);
      },
    };
  }

  /** Fn::GetAtt names checked at CreateStack, for the types whose attributes are known. */
  private checkAttributes(template: CfnTemplate, graph: Map<string, Set<string>>): void {
    const check = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(check);
      if (!node || typeof node !== 'object') return;
      const obj = node as Record<string, unknown>;
      const getAtt = obj['Fn::GetAtt'];
      if (getAtt !== undefined && Object.keys(obj).length === 1) {
        const [id, attr] = typeof getAtt === 'string' ? [getAtt.slice(0, getAtt.indexOf('.')), getAtt.slice(getAtt.indexOf('.') + 1)] : (getAtt as unknown[]);
        const type = template.Resources[String(id)]?.Type;
        const known = type ? ATTRIBUTES[type] : undefined;
        if (known && typeof attr === 'string' && !known.includes(attr)) {
          throw new TemplateValidationError(`Template error: resource ${String(id)} does not support attribute type ${attr} in Fn::GetAtt`);
        }
        return;
      }
      Object.values(obj).forEach(check);
    };
    for (const id of graph.keys()) check(template.Resources[id]?.Properties);
    for (const output of Object.values(template.Outputs ?? {})) check(output.Value);
  }

  private evaluateOutputs(stack: StackRecord, scope: Scope): Output[] {
    const outputs: Output[] = [];
    for (const [key, def] of Object.entries(stack.template.Outputs ?? {})) {
      const condition = (def as { Condition?: string }).Condition;
      if (condition && !stack.conditions[condition]) continue;
      let value: unknown;
      try {
        value = evaluate(def.Value, scope);
      } catch (err) {
        throw new Error(`Template error: output ${key}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const exportName = def.Export ? evaluate((def.Export as { Name?: unknown }).Name, scope) : undefined;
      outputs.push({
        OutputKey: key,
        OutputValue: Array.isArray(value) ? value.join(',') : String(value),
        ...(def.Description ? { Description: def.Description } : {}),
        ...(exportName !== undefined ? { ExportName: String(exportName) } : {}),
      });
    }
    return outputs;
  }

  private importValue(name: string): string {
    for (const stack of this.stacks) {
      if (this.status(stack) !== 'CREATE_COMPLETE') continue;
      const found = stack.outputs.find((o) => o.ExportName === name);
      if (found?.OutputValue !== undefined) return found.OutputValue;
    }
    throw new TemplateValidationError(`No export named ${name} found. Rollback requested by user.`);
  }

  /** Resources along the longest dependency chain, databases excluded (they bring their own duration). */
  private longestChain(stack: StackRecord): number {
    const depth = new Map<string, number>();
    for (const id of stack.order) {
      const own = stack.resources.get(id)?.type === 'AWS::RDS::DBInstance' ? 0 : 1;
      depth.set(id, own + Math.max(0, ...[...(stack.graph.get(id) ?? [])].map((d) => depth.get(d) ?? 0)));
    }
    return Math.max(1, ...depth.values());
  }

  // ---------------------------------------------------------------------------------------------
  // Reading state at the current time
  // ---------------------------------------------------------------------------------------------

  private addEvent(
    stack: StackRecord,
    at: number,
    logicalId: string,
    status: string,
    reason: string | undefined,
    physicalId: string,
    type: string,
    properties?: Record<string, unknown>,
    token?: string,
  ): void {
    stack.events.push({
      id: `${logicalId}-${status}-${new Date(at).toISOString()}-${++this.seq}`,
      at,
      seq: this.seq,
      logicalId,
      physicalId,
      type,
      status,
      ...(reason ? { reason } : {}),
      ...(properties ? { properties: JSON.stringify(properties) } : {}),
      ...(token ? { token } : {}),
    });
  }

  /** Events whose time has come, oldest first. */
  private visibleEvents(stack: StackRecord): EventRecord[] {
    const now = this.account.now();
    return stack.events.filter((e) => e.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  private lastStackEvent(stack: StackRecord): EventRecord | undefined {
    return this.visibleEvents(stack)
      .filter((e) => e.type === STACK_TYPE && e.logicalId === stack.name)
      .pop();
  }

  private status(stack: StackRecord): StackStatus {
    return (this.lastStackEvent(stack)?.status ?? 'CREATE_IN_PROGRESS') as StackStatus;
  }

  private resourceEvent(stack: StackRecord, logicalId: string): EventRecord | undefined {
    return this.visibleEvents(stack)
      .filter((e) => e.logicalId === logicalId && e.type !== STACK_TYPE)
      .pop();
  }

  private visibleResources(stack: StackRecord): (ResourceRecord & { event: EventRecord })[] {
    return stack.order.flatMap((id) => {
      const r = stack.resources.get(id) as ResourceRecord;
      const event = this.resourceEvent(stack, id);
      return event ? [{ ...r, physicalId: event.physicalId || r.physicalId, event }] : [];
    });
  }

  private liveByName(name: string): StackRecord | undefined {
    return [...this.stacks].reverse().find((s) => s.name === name && this.status(s) !== 'DELETE_COMPLETE');
  }

  /**
   * A stack by name (live ones only) or by stack ID (deleted ones too: "you can describe a deleted
   * stack by its stack ID for 90 days", API_DescribeStacks). Otherwise the ValidationError AWS gives.
   */
  private resolve(nameOrId: unknown): StackRecord {
    const key = String(nameOrId ?? '');
    const stack = key.startsWith('arn:') ? this.stacks.find((s) => s.id === key) : this.liveByName(key);
    if (!stack) throw missingStack(key);
    return stack;
  }

  private summary(stack: StackRecord): StackSummaryView {
    const described = this.toStack(stack);
    return {
      stackId: stack.id,
      stackName: stack.name,
      status: this.status(stack),
      parameters: Object.fromEntries(stack.parameters.map((p) => [p.key, p.value])),
      outputs: Object.fromEntries((described.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])),
      tags: Object.fromEntries(stack.tags.map((t) => [t.Key ?? '', t.Value ?? ''])),
      terminationProtection: stack.terminationProtection,
    };
  }

  private toStack(stack: StackRecord): Stack {
    const status = this.status(stack);
    const last = this.lastStackEvent(stack);
    const showOutputs =
      ['CREATE_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_FAILED', 'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE'].includes(status) &&
      stack.outputs.length > 0;
    return {
      StackId: stack.id,
      StackName: stack.name,
      ...(stack.description ? { Description: stack.description } : {}),
      // NoEcho values are never shown again: "the parameter value is masked with asterisks (*****) for
      // any calls that describe the stack" (CloudFormation User Guide, Parameters section, NoEcho;
      // TemplateParameter.NoEcho in the API reference). Four, as DescribeStacks answers them.
      // ResolvedValue exists only for SSM parameter types, which cannot be NoEcho here.
      Parameters: stack.parameters.map((p) => ({
        ParameterKey: p.key,
        ParameterValue: p.noEcho ? '****' : p.value,
        ...(p.resolvedValue !== undefined ? { ResolvedValue: p.resolvedValue } : {}),
      })),
      CreationTime: new Date(stack.createdAt),
      ...(status === 'DELETE_COMPLETE' && stack.deletionTime !== undefined ? { DeletionTime: new Date(stack.deletionTime) } : {}),
      StackStatus: status,
      ...(last?.reason ? { StackStatusReason: last.reason } : {}),
      DisableRollback: stack.onFailure === 'DO_NOTHING',
      NotificationARNs: [],
      Capabilities: stack.capabilities as NonNullable<Stack['Capabilities']>,
      ...(showOutputs ? { Outputs: stack.outputs.map((o) => ({ ...o })) } : {}),
      ...(stack.roleArn ? { RoleARN: stack.roleArn } : {}),
      ...(stack.changeSetId ? { ChangeSetId: stack.changeSetId } : {}),
      Tags: stack.tags.map((t) => ({ ...t })),
      EnableTerminationProtection: stack.terminationProtection,
      DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
    };
  }

  private toEvent(stack: StackRecord, e: EventRecord): StackEvent {
    return {
      StackId: stack.id,
      EventId: e.id,
      StackName: stack.name,
      LogicalResourceId: e.logicalId,
      ...(e.physicalId ? { PhysicalResourceId: e.physicalId } : {}),
      ResourceType: e.type,
      Timestamp: new Date(e.at),
      ResourceStatus: e.status as ResourceStatus,
      ...(e.reason ? { ResourceStatusReason: e.reason } : {}),
      ...(e.properties ? { ResourceProperties: e.properties } : {}),
      ...(e.token ? { ClientRequestToken: e.token } : {}),
    };
  }

  private page<T>(items: T[], token: string | undefined): { items: T[]; next?: string } {
    const start = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) throw validation('Invalid NextToken');
    const slice = items.slice(start, start + PAGE);
    return start + PAGE < items.length ? { items: slice, next: Buffer.from(String(start + PAGE)).toString('base64') } : { items: slice };
  }
}

/**
 * Resource types whose logical IDs GetTemplateSummary lists in ResourceIdentifierSummaries, with
 * their identifier properties: the types that support resource import ("Resource type support",
 * CloudFormation User Guide; API_GetTemplateSummary ResourceIdentifierSummaries, API_ResourceIdentifierSummary).
 * Only types the environments use and that support import are listed; a type left out is never
 * reported, which only makes a pairing by these summaries stricter.
 */
const IMPORT_IDENTIFIERS: Record<string, string[]> = {
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::RDS::DBInstance': ['DBInstanceIdentifier'],
  'AWS::AutoScaling::AutoScalingGroup': ['AutoScalingGroupName'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::KMS::Key': ['KeyId'],
};

/** GetTemplateSummary's ResourceIdentifierSummaries: per importable type, the template's logical IDs of that type. */
function resourceIdentifierSummaries(template: CfnTemplate): NonNullable<GetTemplateSummaryCommandOutput['ResourceIdentifierSummaries']> {
  const byType = new Map<string, string[]>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!IMPORT_IDENTIFIERS[resource.Type]) continue;
    byType.set(resource.Type, [...(byType.get(resource.Type) ?? []), logicalId]);
  }
  return [...byType].map(([type, ids]) => ({ ResourceType: type, LogicalResourceIds: ids, ResourceIdentifiers: IMPORT_IDENTIFIERS[type] }));
}
