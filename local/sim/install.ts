/**
 * Puts a simulated account behind the AWS SDK and behind fetch, for the length of a run.
 *
 * Every SDK v3 client of the services the workflow uses gets one extra middleware, placed after the
 * SDK's retry middleware and before request signing: the SDK still serializes the command, resolves
 * the endpoint and retries throttling and 5xx errors with its standard strategy, exactly as against
 * AWS; only the HTTP round trip is replaced by the account's answer. Step code is unchanged and has
 * no idea: it constructs ordinary clients with the ordinary configuration.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SimAccount } from './account';
import { dispatchFromClient } from './client-cpu';

const CLIENTS = [
  AutoScalingClient,
  CloudFormationClient,
  CloudWatchClient,
  DynamoDBClient,
  KMSClient,
  RDSClient,
  Route53Client,
  S3Client,
  S3ControlClient,
  SchedulerClient,
  SecretsManagerClient,
  SFNClient,
  SNSClient,
];
const MIDDLEWARE_NAME = 'envMigratorSimulatedAccount';

interface PatchableClient {
  send: (...args: unknown[]) => Promise<unknown>;
  middlewareStack: {
    addRelativeTo: (mw: unknown, options: { relation: 'before' | 'after'; toMiddleware: string; name: string; override?: boolean }) => void;
  };
}

interface HandlerContext {
  clientName?: string;
  commandName?: string;
}

let active: SimAccount | undefined;
const patched = new WeakSet<object>();

function simulatedAccountMiddleware(current: () => SimAccount | undefined) {
  return (_next: unknown, context: HandlerContext) => async (args: { input: Record<string, unknown> }) => {
    const account = current();
    if (!account) throw new Error('No simulated account is installed, but a client patched for one was used');
    const service = (context.clientName ?? '').replace(/Client$/, '');
    const operation = (context.commandName ?? '').replace(/Command$/, '');
    // Inside a Lambda invocation, the client's CPU for the request first (./client-cpu.ts).
    const output = (await dispatchFromClient(account, service, operation, args.input)) ?? {};
    return {
      output: { ...(output as object), $metadata: { httpStatusCode: 200, requestId: 'sim-request', attempts: 1, totalRetryDelay: 0 } },
      response: { statusCode: 200, headers: {}, body: undefined },
    };
  };
}

function attach(client: PatchableClient, current: () => SimAccount | undefined): void {
  client.middlewareStack.addRelativeTo(simulatedAccountMiddleware(current), {
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    name: MIDDLEWARE_NAME,
    override: true,
  });
}

/**
 * Answers one client's calls from `account`, leaving every other client alone. run-local uses it to
 * run Clone executions locally while every step talks to the real account.
 */
export function answerClientFrom<T extends object>(client: T, account: SimAccount): T {
  attach(client as unknown as PatchableClient, () => account);
  patched.add(client);
  return client;
}

/**
 * Installs `account` behind every SDK client and behind globalThis.fetch (for the hosts the account
 * serves; other URLs go to the real fetch). Returns the function that uninstalls it.
 */
export function installSimulatedAccount(account: SimAccount): () => void {
  if (active) throw new Error('A simulated account is already installed');
  active = account;
  // The SDK's credential and region chain needs something to resolve; the account ignores signatures.
  const envBefore = { ...process.env };
  process.env.AWS_REGION = account.region;
  process.env.AWS_ACCESS_KEY_ID ??= 'ASIASIMULATEDACCOUNT';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'simulated-secret';
  delete process.env.AWS_PROFILE;
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_ENDPOINT_URL')) delete process.env[key];

  const originals = CLIENTS.map((Client) => {
    const proto = Client.prototype as unknown as PatchableClient;
    const original = proto.send;
    proto.send = function patchedSend(this: PatchableClient, ...args: unknown[]) {
      if (!patched.has(this)) {
        attach(this, () => active);
        patched.add(this);
      }
      return original.apply(this, args);
    };
    return { proto, original };
  });

  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const answer = await account.fetch(request);
    return answer ?? realFetch(input, init);
  };

  return () => {
    for (const { proto, original } of originals) proto.send = original;
    globalThis.fetch = realFetch;
    for (const key of Object.keys(process.env)) if (!(key in envBefore)) delete process.env[key];
    Object.assign(process.env, envBefore);
    active = undefined;
  };
}
