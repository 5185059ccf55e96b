import { parse as parseYaml, type ScalarTag, type CollectionTag } from 'yaml';

/** The template contract: database X is restored from the snapshot passed in parameter `XSnapshotIdentifier`. */
export const SNAPSHOT_PARAMETER_SUFFIX = 'SnapshotIdentifier';
/**
 * The template contract, live sync: database X starts as a read replica of the DB instance named in
 * parameter `XSourceDBInstanceIdentifier` (empty: not a replica), through a condition on the DB's
 * SourceDBInstanceIdentifier property. Emptying it in a stack update promotes the replica: "If you
 * remove the SourceDBInstanceIdentifier property from your template and then update your stack, AWS
 * CloudFormation promotes the read replica to a standalone DB instance" (AWS::RDS::DBInstance reference).
 */
export const REPLICA_SOURCE_PARAMETER_SUFFIX = 'SourceDBInstanceIdentifier';
/**
 * The template contract, live sync (optional): `XPromotedFrom`, set by the promotion to the former
 * source's identifier, so that the properties a replica inherits (DBName, MasterUsername,
 * StorageEncrypted, KmsKeyId...) can stay AWS::NoValue once it is standalone: giving them a value
 * then would replace the promoted database by a new, empty one.
 */
export const PROMOTED_FROM_PARAMETER_SUFFIX = 'PromotedFrom';

/**
 * Reads a CloudFormation template body, JSON or YAML, into plain JSON. YAML short-form intrinsic
 * functions (`!Ref X`, `!Sub '...'`, `!GetAtt A.B`, `!Join [...]`...) become their long form
 * (`{"Ref": "X"}`, `{"Fn::Sub": ...}`, `{"Fn::GetAtt": ["A", "B"]}`), as CloudFormation itself does.
 * See "Intrinsic function reference" in the CloudFormation User Guide.
 */
export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Parameters?: Record<string, { Type: string; Default?: string | number; NoEcho?: boolean | string; AllowedValues?: unknown[]; Description?: string }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[]; DeletionPolicy?: string; Condition?: string }>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
}

const FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'And', 'Equals', 'If', 'Not', 'Or', 'Length', 'ToJsonString'];

function intrinsicTags(): (ScalarTag | CollectionTag)[] {
  const tags: (ScalarTag | CollectionTag)[] = [];
  const add = (short: string, long: string, transform: (v: unknown) => unknown = (v) => v) => {
    for (const collection of [undefined, 'seq', 'map'] as const) {
      const base = { tag: `!${short}`, resolve: (v: unknown) => ({ [long]: transform(v) }) };
      tags.push((collection ? { ...base, collection } : base) as ScalarTag | CollectionTag);
    }
  };
  add('Ref', 'Ref');
  add('Condition', 'Condition');
  add('GetAtt', 'Fn::GetAtt', (v) => {
    if (typeof v !== 'string') return toJs(v);
    const dot = v.indexOf('.');
    return [v.slice(0, dot), v.slice(dot + 1)];
  });
  for (const f of FUNCTIONS) add(f, `Fn::${f}`, toJs);
  return tags;
}

/** The yaml library hands collection tags their parsed node; turn it into plain JSON. */
function toJs(v: unknown): unknown {
  if (v && typeof v === 'object' && 'toJSON' in v && typeof (v as { toJSON: unknown }).toJSON === 'function') {
    return (v as { toJSON: () => unknown }).toJSON();
  }
  return v;
}

const TAGS = intrinsicTags();

/**
 * Templates already read by this container, as JSON text: a warm Lambda (and the local simulator)
 * meets the same few templates again and again, and YAML parsing dominates a step's CPU time.
 * Each call still gets its own copy, so a caller may change what it gets back.
 */
const parsedBodies = new Map<string, string>();
const PARSED_BODIES_MAX = 16;

/** Parses a template body; throws an Error naming the problem when it is neither JSON nor YAML. */
export function parseTemplate(body: string): CfnTemplate {
  const known = parsedBodies.get(body);
  if (known !== undefined) return JSON.parse(known) as CfnTemplate;
  const trimmed = body.trimStart();
  const parsed: unknown = trimmed.startsWith('{') ? JSON.parse(body) : parseYaml(body, { customTags: TAGS, uniqueKeys: false });
  if (!parsed || typeof parsed !== 'object' || !('Resources' in parsed)) {
    throw new Error('template has no Resources section');
  }
  const text = JSON.stringify(parsed);
  if (parsedBodies.size >= PARSED_BODIES_MAX) parsedBodies.delete(parsedBodies.keys().next().value as string);
  parsedBodies.set(body, text);
  return JSON.parse(text) as CfnTemplate;
}
