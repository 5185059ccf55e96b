/**
 * What every env-migrator command talks to: the AWS clients, standard output and standard error,
 * the environment. Injectable, so tests run the commands in-process against mocked or simulated
 * clients and read what they printed.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';

/** What a command talks to. Tests inject clients (the SDK patched onto a simulated account) and writers. */
export interface CliDeps {
  sfn?: SFNClient;
  cloudformation?: CloudFormationClient;
  dynamodb?: DynamoDBClient;
  s3?: S3Client;
  /** Standard output, one line (or one block of lines) per call. */
  out?: (line: string) => void;
  /** Standard error, one line (or one block of lines) per call. */
  err?: (line: string) => void;
  env?: Record<string, string | undefined>;
}

export interface Io {
  /** A Step Functions client; in `region` when given (the region an ARN names), else the SDK's configured one. */
  sfn: (region?: string) => SFNClient;
  cloudformation: () => CloudFormationClient;
  /** DynamoDB in the SDK's configured region: the migrator's own (its lock table). Loaded on first use:
   *  only `unlock` needs it, and every other command would pay for its import. */
  dynamodb: () => Promise<DynamoDBClient>;
  /** S3 in the SDK's configured region (the workflow bucket: `rollback` reads the switch records). Loaded on first use. */
  s3: () => Promise<S3Client>;
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
}

/** Fills in the defaults: clients on the standard AWS SDK configuration, created on first use. */
export function ioOf(deps: CliDeps = {}): Io {
  const sfnByRegion = new Map<string, SFNClient>();
  let cloudformation = deps.cloudformation;
  let dynamodb = deps.dynamodb;
  let s3 = deps.s3;
  return {
    // An execution lives in the region its ARN names: asking another region answers ExecutionDoesNotExist.
    sfn: (region) => {
      if (deps.sfn) return deps.sfn;
      const key = region ?? '';
      let client = sfnByRegion.get(key);
      if (!client) sfnByRegion.set(key, (client = new SFNClient(region ? { region } : {})));
      return client;
    },
    cloudformation: () => (cloudformation ??= new CloudFormationClient({})),
    dynamodb: async () => (dynamodb ??= new (await import('@aws-sdk/client-dynamodb')).DynamoDBClient({})),
    s3: async () => (s3 ??= new (await import('@aws-sdk/client-s3')).S3Client({})),
    out: deps.out ?? ((line) => process.stdout.write(`${line}\n`)),
    err: deps.err ?? ((line) => process.stderr.write(`${line}\n`)),
    env: deps.env ?? process.env,
  };
}

/**
 * Where a command's lines for people go: standard output, or standard error under `--json`, so that
 * a pipeline's standard output holds the JSON result alone (no `tail` needed); `watch` and `rehearse`
 * put their events before it as JSON lines.
 */
export function humanOf(io: Io, json: boolean): (line: string) => void {
  return json ? io.err : io.out;
}

/** A failed AWS call of the CLI itself: a service error, missing credentials or region, the network,
 *  or an answer it cannot use (a stack without the expected output). Reported as exit 6, never as a bug. */
export class AwsCallFailed extends Error {
  override readonly name = 'AwsCallFailed';
  constructor(
    readonly operation: string,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs one AWS call; whatever it throws becomes an AwsCallFailed naming the operation. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    throw new AwsCallFailed(operation, e.name, e.message);
  }
}
