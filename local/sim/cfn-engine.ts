/**
 * Template evaluation for the simulated CloudFormation: parameters (with defaults and constraints),
 * pseudo parameters, conditions, intrinsic functions, and the resource dependency order.
 *
 * Pure functions over the parsed template (lambdas/shared/cfn-template.ts turns YAML short forms into
 * their long forms). Resource-specific values (what Ref and Fn::GetAtt of a resource return) come
 * from the caller through a Scope, because only the CloudFormation simulator knows them.
 * Rules follow the CloudFormation User Guide: "Intrinsic function reference", "Pseudo parameters
 * reference", "Parameters", "Conditions" and "DependsOn attribute".
 */
import type { CfnTemplate } from '../../lambdas/shared/cfn-template';

/** `Ref: AWS::NoValue`: removes the property (or list element) that holds it. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** A template or parameter problem; CloudFormation answers it as a ValidationError before creating anything. */
export class TemplateValidationError extends Error {
  override readonly name = 'TemplateValidationError';
}

export type ParameterDefinition = {
  Type: string;
  Default?: unknown;
  NoEcho?: boolean | string;
  AllowedValues?: unknown[];
  AllowedPattern?: string;
  MinLength?: number | string;
  MaxLength?: number | string;
  MinValue?: number | string;
  MaxValue?: number | string;
  Description?: string;
};

export interface ResolvedParameter {
  key: string;
  type: string;
  /** The value as given (or the default): what DescribeStacks shows. */
  value: string;
  /** What Ref returns: a string, or a list for List<...>/CommaDelimitedList types. */
  resolved: string | string[];
  noEcho: boolean;
  /** For AWS::SSM::Parameter::Value<...> types, the value read from Parameter Store. */
  resolvedValue?: string;
}

export interface GivenParameter {
  ParameterKey?: string | undefined;
  ParameterValue?: string | undefined;
  UsePreviousValue?: boolean | undefined;
}

/** Reads an SSM parameter for an AWS::SSM::Parameter::Value<...> parameter type. */
export type SsmResolver = (name: string, valueType: string) => string;

export function parameterDefinitions(template: CfnTemplate): Record<string, ParameterDefinition> {
  return (template.Parameters ?? {}) as Record<string, ParameterDefinition>;
}

function isTrue(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
}

/** Parameter types CloudFormation accepts ("Parameters" section: supported AWS-specific parameter types). */
const AWS_TYPES = [
  'AWS::EC2::AvailabilityZone::Name',
  'AWS::EC2::Image::Id',
  'AWS::EC2::Instance::Id',
  'AWS::EC2::KeyPair::KeyName',
  'AWS::EC2::SecurityGroup::GroupName',
  'AWS::EC2::SecurityGroup::Id',
  'AWS::EC2::Subnet::Id',
  'AWS::EC2::VPC::Id',
  'AWS::EC2::Volume::Id',
  'AWS::Route53::HostedZone::Id',
];
const PARAMETER_TYPES = new Set([
  'String',
  'Number',
  'List<Number>',
  'List<String>',
  'CommaDelimitedList',
  'AWS::SSM::Parameter::Name',
  ...AWS_TYPES,
  ...AWS_TYPES.filter((t) => t !== 'AWS::EC2::KeyPair::KeyName').map((t) => `List<${t}>`),
]);

export function knownParameterType(type: string): boolean {
  if (PARAMETER_TYPES.has(type)) return true;
  const ssm = /^AWS::SSM::Parameter::Value<(.+)>$/.exec(type);
  return !!ssm && (PARAMETER_TYPES.has(ssm[1] as string) || ssm[1] === 'AWS::SSM::Parameter::Name');
}

function isListType(type: string): boolean {
  return type === 'CommaDelimitedList' || /^List</.test(type) || /^AWS::SSM::Parameter::Value<List</.test(type) || type === 'AWS::SSM::Parameter::Value<CommaDelimitedList>';
}

/**
 * Matches the given parameters against the template's: unknown keys and missing values are
 * ValidationErrors ("Parameters: [X] do not exist in the template", "Parameters: [X] must have values"),
 * then each value is checked against its type and constraints.
 */
export function resolveParameters(template: CfnTemplate, given: GivenParameter[], ssm: SsmResolver): ResolvedParameter[] {
  const defs = parameterDefinitions(template);
  for (const def of Object.values(defs)) {
    if (!knownParameterType(String(def?.Type))) throw new TemplateValidationError(`Template format error: Unrecognized parameter type: ${String(def?.Type)}`);
  }
  const values = new Map<string, string>();
  for (const p of given) {
    if (p.ParameterKey === undefined) continue;
    if (p.UsePreviousValue) throw new TemplateValidationError(`UsePreviousValue is not valid for parameter ${p.ParameterKey} when creating a stack`);
    values.set(p.ParameterKey, p.ParameterValue ?? '');
  }
  const unknown = [...values.keys()].filter((k) => !(k in defs));
  if (unknown.length) throw new TemplateValidationError(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
  const missing = Object.entries(defs)
    .filter(([k, d]) => !values.has(k) && d.Default === undefined)
    .map(([k]) => k);
  if (missing.length) throw new TemplateValidationError(`Parameters: [${missing.join(', ')}] must have values`);

  return Object.entries(defs).map(([key, def]) => {
    const value = values.get(key) ?? String(def.Default);
    checkConstraints(key, def, value);
    const ssmMatch = /^AWS::SSM::Parameter::Value<(.+)>$/.exec(def.Type);
    const effective = ssmMatch ? ssm(value, ssmMatch[1] as string) : value;
    const resolved = isListType(def.Type) ? (effective === '' ? [] : effective.split(',').map((s) => s.trim())) : effective;
    return {
      key,
      type: def.Type,
      value,
      resolved,
      noEcho: isTrue(def.NoEcho),
      ...(ssmMatch ? { resolvedValue: effective } : {}),
    };
  });
}

function checkConstraints(key: string, def: ParameterDefinition, value: string): void {
  const items = isListType(def.Type) ? (value === '' ? [] : value.split(',').map((s) => s.trim())) : [value];
  for (const item of items) {
    if ((def.Type === 'Number' || def.Type === 'List<Number>') && (item.trim() === '' || !Number.isFinite(Number(item)))) {
      throw new TemplateValidationError(`Parameter '${key}' must be a number.`);
    }
    if (def.AllowedValues && !def.AllowedValues.map(String).includes(item)) {
      throw new TemplateValidationError(`Parameter '${key}' must be one of AllowedValues`);
    }
    if (def.AllowedPattern !== undefined && !new RegExp(`^(?:${def.AllowedPattern})$`).test(item)) {
      throw new TemplateValidationError(`Parameter '${key}' must match pattern ${def.AllowedPattern}`);
    }
    if (def.MinLength !== undefined && item.length < Number(def.MinLength)) {
      throw new TemplateValidationError(`Parameter '${key}' must contain at least ${def.MinLength} characters`);
    }
    if (def.MaxLength !== undefined && item.length > Number(def.MaxLength)) {
      throw new TemplateValidationError(`Parameter '${key}' must contain at most ${def.MaxLength} characters`);
    }
    if (def.MinValue !== undefined && Number(item) < Number(def.MinValue)) {
      throw new TemplateValidationError(`Parameter '${key}' must be a number not less than ${def.MinValue}`);
    }
    if (def.MaxValue !== undefined && Number(item) > Number(def.MaxValue)) {
      throw new TemplateValidationError(`Parameter '${key}' must be a number not greater than ${def.MaxValue}`);
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Evaluation
// -----------------------------------------------------------------------------------------------

export interface Scope {
  region: string;
  accountId: string;
  stackName: string;
  stackId: string;
  parameters: ReadonlyMap<string, ResolvedParameter>;
  conditions: Readonly<Record<string, boolean>>;
  mappings: Readonly<Record<string, unknown>>;
  /** What Ref of a resource returns (its physical ID, or what the type defines). */
  ref(logicalId: string): unknown;
  /** What Fn::GetAtt returns; throws TemplateValidationError for an attribute the type does not have. */
  getAtt(logicalId: string, attribute: string): unknown;
  /** Fn::ImportValue: another stack's export. */
  importValue(name: string): unknown;
}

function pseudo(name: string, scope: Scope): unknown {
  switch (name) {
    case 'AWS::Region':
      return scope.region;
    case 'AWS::AccountId':
      return scope.accountId;
    case 'AWS::StackName':
      return scope.stackName;
    case 'AWS::StackId':
      return scope.stackId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::NotificationARNs':
      return [];
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

export const PSEUDO_PARAMETERS = ['AWS::Region', 'AWS::AccountId', 'AWS::StackName', 'AWS::StackId', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::NotificationARNs', 'AWS::NoValue'];

function intrinsicOf(node: unknown): [string, unknown] | undefined {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const key = keys[0] as string;
  if (key === 'Ref' || key.startsWith('Fn::')) return [key, (node as Record<string, unknown>)[key]];
  return undefined;
}

function asString(v: unknown, fn: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TemplateValidationError(`Template error: every ${fn} object requires string parameters`);
}

function asList(v: unknown, fn: string): unknown[] {
  if (!Array.isArray(v)) throw new TemplateValidationError(`Template error: ${fn} requires a list`);
  return v;
}

/** The condition named `name`, evaluated by the caller in advance. */
function condition(name: unknown, scope: Scope): boolean {
  if (typeof name !== 'string' || !(name in scope.conditions)) {
    throw new TemplateValidationError(`Template format error: Unresolved condition dependency ${String(name)} in Fn::If`);
  }
  return scope.conditions[name] as boolean;
}

/**
 * Evaluates a template value: intrinsic functions are applied, `AWS::NoValue` removes the property or
 * list element holding it. `inCondition` enables the `Condition` function (in Conditions and Fn::If
 * conditions only: elsewhere "Condition" is an ordinary key, e.g. in IAM policy statements).
 */
export function evaluate(node: unknown, scope: Scope, inCondition = false): unknown {
  if (Array.isArray(node)) return node.map((n) => evaluate(n, scope, inCondition)).filter((v) => v !== NO_VALUE);
  if (!node || typeof node !== 'object') return node;
  const intrinsic = intrinsicOf(node);
  if (intrinsic) return applyIntrinsic(intrinsic[0], intrinsic[1], scope);
  const obj = node as Record<string, unknown>;
  if (inCondition && Object.keys(obj).length === 1 && 'Condition' in obj) return condition(obj.Condition, scope);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const value = evaluate(v, scope, inCondition);
    if (value !== NO_VALUE) out[k] = value;
  }
  return out;
}

function evaluateCondition(node: unknown, scope: Scope): boolean {
  const v = evaluate(node, scope, true);
  if (typeof v !== 'boolean') throw new TemplateValidationError('Template error: Conditions can only be boolean operations');
  return v;
}

function applyIntrinsic(fn: string, arg: unknown, scope: Scope): unknown {
  switch (fn) {
    case 'Ref': {
      const name = asString(arg, 'Ref');
      const p = pseudo(name, scope);
      if (p !== undefined) return p;
      const param = scope.parameters.get(name);
      if (param) return Array.isArray(param.resolved) ? [...param.resolved] : param.resolved;
      return scope.ref(name);
    }
    case 'Fn::GetAtt': {
      const [id, attr] = typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : asList(arg, 'Fn::GetAtt');
      return scope.getAtt(asString(id, 'Fn::GetAtt'), asString(evaluate(attr, scope), 'Fn::GetAtt'));
    }
    case 'Fn::Sub':
      return substitute(arg, scope);
    case 'Fn::Join': {
      const [delimiter, list] = asList(arg, 'Fn::Join');
      const items = asList(evaluate(list, scope), 'Fn::Join');
      return items.map((i) => asString(i, 'Fn::Join')).join(asString(delimiter, 'Fn::Join'));
    }
    case 'Fn::Select': {
      const [index, list] = asList(arg, 'Fn::Select');
      const items = asList(evaluate(list, scope), 'Fn::Select');
      const i = Number(evaluate(index, scope));
      if (!Number.isInteger(i) || i < 0 || i >= items.length) throw new TemplateValidationError('Template error: Fn::Select cannot select nonexistent value at index ' + String(i));
      return items[i];
    }
    case 'Fn::Split': {
      const [delimiter, source] = asList(arg, 'Fn::Split');
      return asString(evaluate(source, scope), 'Fn::Split').split(asString(delimiter, 'Fn::Split'));
    }
    case 'Fn::If': {
      const [name, whenTrue, whenFalse] = asList(arg, 'Fn::If');
      return evaluate(condition(name, scope) ? whenTrue : whenFalse, scope);
    }
    case 'Fn::Equals': {
      const [a, b] = asList(arg, 'Fn::Equals').map((v) => evaluate(v, scope, true));
      return JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b);
    }
    case 'Fn::Not':
      return !evaluateCondition(asList(arg, 'Fn::Not')[0], scope);
    case 'Fn::And':
      return asList(arg, 'Fn::And').every((c) => evaluateCondition(c, scope));
    case 'Fn::Or':
      return asList(arg, 'Fn::Or').some((c) => evaluateCondition(c, scope));
    case 'Fn::Base64':
      return Buffer.from(asString(evaluate(arg, scope), 'Fn::Base64'), 'utf8').toString('base64');
    case 'Fn::GetAZs': {
      const region = asString(evaluate(arg, scope), 'Fn::GetAZs') || scope.region;
      return ['a', 'b', 'c'].map((z) => `${region}${z}`);
    }
    case 'Fn::FindInMap': {
      const [map, top, second] = asList(arg, 'Fn::FindInMap').map((v) => asString(evaluate(v, scope), 'Fn::FindInMap'));
      const value = ((scope.mappings[map as string] as Record<string, Record<string, unknown>> | undefined)?.[top as string] ?? {})[second as string];
      if (value === undefined) throw new TemplateValidationError(`Template error: Unable to get mapping for ${map}::${top}::${second}`);
      return value;
    }
    case 'Fn::ImportValue':
      return scope.importValue(asString(evaluate(arg, scope), 'Fn::ImportValue'));
    case 'Fn::Length':
      return asList(evaluate(arg, scope), 'Fn::Length').length;
    case 'Fn::ToJsonString':
      return JSON.stringify(evaluate(arg, scope));
    default:
      throw new TemplateValidationError(`Template format error: Unsupported function ${fn} in the simulated account`);
  }
}

const SUB_VARIABLE = /\$\{([^}]*)\}/g;

function substitute(arg: unknown, scope: Scope): string {
  const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
  const template = asString(text, 'Fn::Sub');
  const values = (vars && typeof vars === 'object' ? evaluate(vars, scope) : {}) as Record<string, unknown>;
  return template.replace(SUB_VARIABLE, (_whole, name: string) => {
    // `${!Literal}` writes `${Literal}` (Fn::Sub: "To write a dollar sign and curly braces literally").
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    const key = name.trim();
    if (key in values) return asString(values[key], 'Fn::Sub');
    const dot = key.indexOf('.');
    const value = dot > 0 && !key.startsWith('AWS::') ? applyIntrinsic('Fn::GetAtt', [key.slice(0, dot), key.slice(dot + 1)], scope) : applyIntrinsic('Ref', key, scope);
    return asString(value, 'Fn::Sub');
  });
}

/** Evaluates the Conditions section in order of need (conditions may refer to other conditions). */
export function evaluateConditions(template: CfnTemplate, scopeWithoutConditions: Omit<Scope, 'conditions'>): Record<string, boolean> {
  const defs = template.Conditions ?? {};
  const results: Record<string, boolean> = {};
  const visiting = new Set<string>();
  const scope: Scope = {
    ...scopeWithoutConditions,
    ref: (id) => {
      throw new TemplateValidationError(`Template format error: Unresolved resource dependencies [${id}] in the Conditions block of the template`);
    },
    getAtt: (id) => {
      throw new TemplateValidationError(`Template error: Fn::GetAtt of resource ${id} cannot be used in Conditions`);
    },
    conditions: new Proxy(results, {
      has: (_t, name) => typeof name === 'string' && name in defs,
      get: (_t, name) => {
        if (typeof name !== 'string') return undefined;
        if (name in results) return results[name];
        if (!(name in defs)) return undefined;
        if (visiting.has(name)) throw new TemplateValidationError(`Template format error: Circular dependency between conditions: [${[...visiting].join(', ')}]`);
        visiting.add(name);
        results[name] = evaluateCondition(defs[name], scope);
        visiting.delete(name);
        return results[name];
      },
    }),
  };
  for (const name of Object.keys(defs)) void scope.conditions[name];
  return results;
}

// -----------------------------------------------------------------------------------------------
// References and order
// -----------------------------------------------------------------------------------------------

interface References {
  refs: Set<string>;
  getAtts: Set<string>;
  conditions: Set<string>;
}

/** Every name a value refers to through Ref, Fn::GetAtt, Fn::Sub and Fn::If. */
export function referencesIn(node: unknown, into: References = { refs: new Set(), getAtts: new Set(), conditions: new Set() }): References {
  if (Array.isArray(node)) {
    for (const n of node) referencesIn(n, into);
    return into;
  }
  if (!node || typeof node !== 'object') return into;
  const intrinsic = intrinsicOf(node);
  if (intrinsic) {
    const [fn, arg] = intrinsic;
    if (fn === 'Ref' && typeof arg === 'string') into.refs.add(arg);
    else if (fn === 'Fn::GetAtt') {
      const id = typeof arg === 'string' ? arg.slice(0, arg.indexOf('.')) : Array.isArray(arg) ? arg[0] : undefined;
      if (typeof id === 'string') into.getAtts.add(id);
      if (Array.isArray(arg)) referencesIn(arg.slice(1), into);
    } else if (fn === 'Fn::Sub') {
      const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
      const local = new Set(vars && typeof vars === 'object' ? Object.keys(vars) : []);
      if (typeof text === 'string') {
        for (const m of text.matchAll(SUB_VARIABLE)) {
          const name = (m[1] ?? '').trim();
          if (name.startsWith('!') || local.has(name)) continue;
          const dot = name.indexOf('.');
          if (dot > 0 && !name.startsWith('AWS::')) into.getAtts.add(name.slice(0, dot));
          else into.refs.add(name);
        }
      }
      if (vars) referencesIn(vars, into);
    } else {
      if (fn === 'Fn::If' && Array.isArray(arg) && typeof arg[0] === 'string') into.conditions.add(arg[0]);
      referencesIn(arg, into);
    }
    return into;
  }
  for (const v of Object.values(node)) referencesIn(v, into);
  return into;
}

function dependsOnList(def: { DependsOn?: string | string[] }): string[] {
  return def.DependsOn === undefined ? [] : Array.isArray(def.DependsOn) ? def.DependsOn : [def.DependsOn];
}

/**
 * Checks every reference of the template and returns, for each active resource (its Condition true),
 * the resources it depends on (explicit DependsOn and implicit Ref/GetAtt/Sub). Unknown names are the
 * ValidationErrors CloudFormation gives at CreateStack.
 */
export function dependencyGraph(template: CfnTemplate, conditions: Record<string, boolean>): Map<string, Set<string>> {
  const resources = template.Resources;
  if (!resources || typeof resources !== 'object' || Object.keys(resources).length === 0) {
    throw new TemplateValidationError('Template format error: At least one Resources member must be defined.');
  }
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  const all = new Set(Object.keys(resources));
  for (const [id, def] of Object.entries(resources)) {
    if (!def || typeof def !== 'object' || typeof def.Type !== 'string') {
      throw new TemplateValidationError(`Template format error: [/Resources/${id}] Every Resources object must contain a Type member.`);
    }
    if (def.Condition !== undefined && !(def.Condition in conditions)) {
      throw new TemplateValidationError(`Template format error: Unresolved condition dependency ${def.Condition} in resource ${id}`);
    }
  }
  const active = new Set([...all].filter((id) => {
    const c = resources[id]?.Condition;
    return c === undefined || conditions[c] === true;
  }));
  const graph = new Map<string, Set<string>>();
  const unresolved = new Set<string>();
  const check = (node: unknown): References => {
    const r = referencesIn(node);
    for (const name of r.refs) if (!all.has(name) && !parameters.has(name) && !PSEUDO_PARAMETERS.includes(name)) unresolved.add(name);
    for (const id of r.getAtts) {
      if (!all.has(id)) throw new TemplateValidationError(`Template error: instance of Fn::GetAtt references undefined resource ${id}`);
    }
    for (const c of r.conditions) {
      if (!(c in conditions)) throw new TemplateValidationError(`Template format error: Unresolved condition dependency ${c} in Fn::If`);
    }
    return r;
  };
  for (const [id, def] of Object.entries(resources)) {
    const r = check(def.Properties ?? {});
    for (const dep of dependsOnList(def)) if (!all.has(dep)) unresolved.add(dep);
    if (!active.has(id)) continue;
    const deps = new Set<string>();
    for (const name of [...r.refs, ...r.getAtts, ...dependsOnList(def)]) if (active.has(name) && name !== id) deps.add(name);
    graph.set(id, deps);
  }
  for (const output of Object.values(template.Outputs ?? {})) check(output.Value);
  if (unresolved.size) {
    throw new TemplateValidationError(`Template format error: Unresolved resource dependencies [${[...unresolved].join(', ')}] in the Resources block of the template`);
  }
  return graph;
}

/** Resources in an order where each comes after everything it depends on (template order breaks ties). */
export function creationOrder(graph: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const pending = [...graph.keys()];
  while (pending.length) {
    const index = pending.findIndex((id) => [...(graph.get(id) ?? [])].every((d) => done.has(d)));
    if (index < 0) throw new TemplateValidationError(`Circular dependency between resources: [${pending.join(', ')}]`);
    const [id] = pending.splice(index, 1) as [string];
    order.push(id);
    done.add(id);
  }
  return order;
}

/** Resources that depend on `id`, directly. */
export function dependents(graph: Map<string, Set<string>>, id: string): string[] {
  return [...graph].filter(([, deps]) => deps.has(id)).map(([other]) => other);
}

/**
 * Capabilities the template needs (API_CreateStack, Capabilities): IAM resources need CAPABILITY_IAM,
 * or CAPABILITY_NAMED_IAM when they carry a custom name; a Transform needs CAPABILITY_AUTO_EXPAND.
 */
export function requiredCapabilities(template: CfnTemplate & { Transform?: unknown }): string[] {
  const iamTypes: Record<string, string> = {
    'AWS::IAM::Role': 'RoleName',
    'AWS::IAM::User': 'UserName',
    'AWS::IAM::Group': 'GroupName',
    'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
    'AWS::IAM::InstanceProfile': 'InstanceProfileName',
    'AWS::IAM::Policy': '',
    'AWS::IAM::AccessKey': '',
    'AWS::IAM::UserToGroupAddition': '',
  };
  let iam = false;
  let named = false;
  for (const def of Object.values(template.Resources ?? {})) {
    const nameProperty = iamTypes[def.Type];
    if (nameProperty === undefined) continue;
    iam = true;
    if (nameProperty && def.Properties?.[nameProperty] !== undefined) named = true;
  }
  const needed: string[] = [];
  if (named) needed.push('CAPABILITY_NAMED_IAM');
  else if (iam) needed.push('CAPABILITY_IAM');
  if (template.Transform !== undefined) needed.push('CAPABILITY_AUTO_EXPAND');
  return needed;
}

// -----------------------------------------------------------------------------------------------
// Update planning: what an update does to each resource (shared by UpdateStack and change sets)
// -----------------------------------------------------------------------------------------------

/** ResourceTargetDefinition.RequiresRecreation (API reference). */
export type RequiresRecreation = 'Never' | 'Conditionally' | 'Always';
/** ResourceChange.Replacement (API reference). */
export type ReplacementView = 'True' | 'False' | 'Conditional';

/**
 * Properties whose change always replaces the resource (a new physical resource, then the old one
 * deleted per its UpdateReplacePolicy): "Update requires: Replacement" in each type's page of the
 * template reference, the `createOnlyProperties` of its resource schema. A type not listed replaces
 * on a change of its name property only; everything else is updated in place.
 */
export const REPLACEMENT_PROPERTIES: Record<string, string[]> = {
  // AWS::RDS::DBInstance's schema (aws-cloudformation-resource-providers-rds, aws-rds-dbinstance.json,
  // createOnlyProperties); DBSubnetGroupName and Port are create-only there too but not modelled here.
  'AWS::RDS::DBInstance': ['DBInstanceIdentifier', 'DBName', 'MasterUsername', 'KmsKeyId', 'StorageEncrypted', 'CharacterSetName', 'DBClusterIdentifier', 'Timezone', 'SourceRegion', 'NcharCharacterSetName', 'CustomIAMInstanceProfile'],
  'AWS::RDS::DBSubnetGroup': ['DBSubnetGroupName'],
  'AWS::S3::Bucket': ['BucketName'],
  'AWS::KMS::Key': ['KeySpec', 'KeyUsage', 'MultiRegion'],
  'AWS::KMS::Alias': ['AliasName'],
  'AWS::AutoScaling::AutoScalingGroup': ['AutoScalingGroupName'],
  'AWS::EC2::SecurityGroup': ['GroupDescription', 'GroupName', 'VpcId'],
  'AWS::EC2::LaunchTemplate': ['LaunchTemplateName'],
  'AWS::EC2::VPCEndpoint': ['ServiceName', 'VpcEndpointType', 'VpcId'],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['Name', 'Scheme'],
  'AWS::ElasticLoadBalancingV2::TargetGroup': ['Name', 'Port', 'Protocol', 'TargetType', 'VpcId'],
  'AWS::ElasticLoadBalancingV2::Listener': ['LoadBalancerArn'],
  'AWS::ElasticLoadBalancingV2::ListenerRule': ['ListenerArn'],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::Lambda::Permission': ['Action', 'FunctionName', 'Principal', 'SourceArn', 'SourceAccount'],
  'AWS::IAM::Role': ['RoleName', 'Path'],
  'AWS::SecretsManager::Secret': ['Name'],
};

/**
 * Properties that replace the resource in some cases only: the schema's `conditionalCreateOnlyProperties`
 * (aws-rds-dbinstance.json). A change set shows them as RequiresRecreation "Conditionally" and the
 * resource as Replacement "Conditional" whatever the values (an in-place StorageType change shows so too:
 * aws-cloudformation/cloudformation-coverage-roadmap#1788); which cases replace is the handler's rule,
 * `conditionallyReplaces`.
 */
export const CONDITIONAL_REPLACEMENT_PROPERTIES: Record<string, string[]> = {
  'AWS::RDS::DBInstance': [
    'DBClusterSnapshotIdentifier',
    'DBSnapshotIdentifier',
    'AutoMinorVersionUpgrade',
    'AvailabilityZone',
    'BackupRetentionPeriod',
    'DBParameterGroupName',
    'Engine',
    'MultiAZ',
    'PerformanceInsightsKMSKeyId',
    'PreferredMaintenanceWindow',
    'RestoreTime',
    'SourceDBInstanceAutomatedBackupsArn',
    'SourceDBInstanceIdentifier',
    'SourceDbiResourceId',
    'StorageType',
    'UseLatestRestorableTime',
  ],
};

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/**
 * A read replica's promotion: SourceDBInstanceIdentifier was set and is now absent or empty. "If you
 * remove the SourceDBInstanceIdentifier property from your template and then update your stack, AWS
 * CloudFormation promotes the read replica to a standalone DB instance" (AWS::RDS::DBInstance,
 * SourceDBInstanceIdentifier); the handler calls PromoteReadReplica "rather than re-creation"
 * (aws-cloudformation-resource-providers-rds#334).
 */
export function isReplicaPromotion(before: unknown, after: unknown): boolean {
  return present(before) && !present(after);
}

/**
 * Whether this change of a conditionally create-only property replaces the resource. AWS::RDS::DBInstance:
 * SourceDBInstanceIdentifier is mutable only when unchanged or promoted (ImmutabilityHelper
 * .isSourceDBInstanceIdentifierMutable in aws-cloudformation-resource-providers-rds): pointing a replica
 * at another source, or making a standalone instance a replica, replaces it. DBSnapshotIdentifier and
 * Engine replace on any change, the rule this simulator has always applied (the template reference's
 * DBSnapshotIdentifier entry; the provider is kinder when the property is removed, never the simulator).
 */
export function conditionallyReplaces(type: string, name: string, before: unknown, after: unknown): boolean {
  if (type !== 'AWS::RDS::DBInstance') return false;
  if (name === 'SourceDBInstanceIdentifier') return !isReplicaPromotion(before, after);
  return name === 'DBSnapshotIdentifier' || name === 'Engine' || name === 'DBClusterSnapshotIdentifier' || name === 'SourceDbiResourceId' || name === 'SourceDBInstanceAutomatedBackupsArn' || name === 'RestoreTime' || name === 'UseLatestRestorableTime';
}

export interface PropertyChange {
  name: string;
  requiresRecreation: RequiresRecreation;
  /** ResourceTargetDefinition.AttributeChangeType. */
  change: 'Add' | 'Remove' | 'Modify';
  before: unknown;
  after: unknown;
  /** The new value is not known before the update runs (it refers to a resource the update creates or replaces). */
  dynamic: boolean;
  /** This change, as the values stand, replaces the resource. */
  replaces: boolean;
}

export interface ResourcePlan {
  logicalId: string;
  type: string;
  /** ResourceChange.Action; None: nothing changes. */
  action: 'Add' | 'Modify' | 'Remove' | 'None';
  /** What the update does: promote = in place, with PromoteReadReplica. */
  effect: 'create' | 'update' | 'promote' | 'replace' | 'remove' | 'none';
  /** ResourceChange.Replacement, for Modify. */
  replacement?: ReplacementView;
  changes: PropertyChange[];
}

export interface PlannedResource {
  type: string;
  properties: Record<string, unknown>;
}

/**
 * What an update does to one resource: the single rule UpdateStack applies and a change set reports.
 * `before` is the resource as it exists (undefined: not in the stack), `after` as the new template
 * evaluates it (undefined: no longer in the template). `isUnknown` tells a value that depends on a
 * resource the same update creates or replaces (a change set cannot know it: Evaluation Dynamic).
 * Replacement is "True" when a property that always replaces changes to a known value, "Conditional"
 * when such a change is dynamic or a conditionally replacing property changes, else "False" (API
 * reference, ResourceChange.Replacement). The effect follows the values: a replacing change replaces,
 * a removed SourceDBInstanceIdentifier promotes, anything else updates in place.
 */
export function planResource(logicalId: string, before: PlannedResource | undefined, after: PlannedResource | undefined, isUnknown: (v: unknown) => boolean = () => false): ResourcePlan {
  if (!after && !before) return { logicalId, type: 'AWS::CloudFormation::Stack', action: 'None', effect: 'none', changes: [] };
  if (!after) return { logicalId, type: (before as PlannedResource).type, action: 'Remove', effect: 'remove', changes: [] };
  if (!before) return { logicalId, type: after.type, action: 'Add', effect: 'create', changes: [] };
  if (before.type !== after.type) return { logicalId, type: after.type, action: 'Modify', effect: 'replace', replacement: 'True', changes: [] };
  const always = REPLACEMENT_PROPERTIES[after.type] ?? [];
  const conditional = CONDITIONAL_REPLACEMENT_PROPERTIES[after.type] ?? [];
  const names = [...new Set([...Object.keys(before.properties), ...Object.keys(after.properties)])];
  const changes: PropertyChange[] = names
    .filter((name) => JSON.stringify(before.properties[name]) !== JSON.stringify(after.properties[name]))
    .map((name) => {
      const b = before.properties[name];
      const a = after.properties[name];
      const requiresRecreation: RequiresRecreation = always.includes(name) ? 'Always' : conditional.includes(name) ? 'Conditionally' : 'Never';
      return {
        name,
        requiresRecreation,
        change: b === undefined ? 'Add' : a === undefined ? 'Remove' : 'Modify',
        before: b,
        after: a,
        dynamic: isUnknown(a),
        replaces: requiresRecreation === 'Always' || (requiresRecreation === 'Conditionally' && conditionallyReplaces(after.type, name, b, a)),
      };
    });
  if (changes.length === 0) return { logicalId, type: after.type, action: 'None', effect: 'none', changes };
  const replacement: ReplacementView = changes.some((c) => c.requiresRecreation === 'Always' && !c.dynamic)
    ? 'True'
    : changes.some((c) => c.requiresRecreation !== 'Never')
      ? 'Conditional'
      : 'False';
  const promotes = after.type === 'AWS::RDS::DBInstance' && changes.some((c) => c.name === 'SourceDBInstanceIdentifier' && isReplicaPromotion(c.before, c.after));
  const effect = changes.some((c) => c.replaces) ? 'replace' : promotes ? 'promote' : 'update';
  return { logicalId, type: after.type, action: 'Modify', effect, replacement, changes };
}

/**
 * The parameters a template value depends on: those it names (Ref, Fn::Sub) and those of the
 * conditions its Fn::If use, through conditions that use other conditions. A change set names one of
 * them as the CausingEntity of a ParameterReference change.
 */
export function parametersReferenced(node: unknown, template: CfnTemplate): Set<string> {
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  const found = new Set<string>();
  const seenConditions = new Set<string>();
  const conditionNames = (n: unknown, into: Set<string>): Set<string> => {
    if (Array.isArray(n)) n.forEach((x) => conditionNames(x, into));
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'Condition' && typeof v === 'string') into.add(v);
        else conditionNames(v, into);
      }
    }
    return into;
  };
  // `Condition` names another condition only inside a condition's definition (elsewhere it is an ordinary key).
  const visit = (n: unknown, inCondition: boolean): void => {
    const refs = referencesIn(n);
    for (const r of refs.refs) if (parameters.has(r)) found.add(r);
    for (const c of [...refs.conditions, ...(inCondition ? conditionNames(n, new Set()) : [])]) {
      if (seenConditions.has(c)) continue;
      seenConditions.add(c);
      visit(template.Conditions?.[c], true);
    }
  };
  visit(node, false);
  return found;
}
