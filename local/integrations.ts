/**
 * The Step Functions service integrations the definitions use, answered locally by making the same
 * call through the AWS SDK that Step Functions would make: SNS Publish, DynamoDB item calls and
 * StartExecution (.sync:2 waits for the child and returns its description). So they meet the
 * simulated account, or a real one in run-local, like every other call.
 */
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

type Json = unknown;

/** An error as a service integration reports it: Error = "<Service>.<code>", Cause = the message. */
class IntegrationError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function rethrowAs(service: string, err: unknown): never {
  const e = err as { name?: string; message?: string };
  throw new IntegrationError(`${service}.${e.name ?? 'Exception'}`, e.message ?? String(err));
}

function stripMetadata<T extends { $metadata?: unknown }>(out: T): Omit<T, '$metadata'> {
  const { $metadata: _ignored, ...rest } = out;
  return rest;
}

export interface IntegrationClients {
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  sfn: SFNClient;
}

export function createIntegrationClients(): IntegrationClients {
  return { sns: new SNSClient({}), dynamodb: new DynamoDBClient({}), sfn: new SFNClient({}) };
}

/**
 * How often the local .sync integration looks at the child execution (AWS reacts to the child's
 * completion event): after 1 s, then 1.5 times longer each time, at most every 30 s. Polling every
 * second made the polls most of a local run's AWS calls. Mutable: the benchmark polls every second,
 * since the delay a longer poll adds is not one AWS has.
 */
export const SYNC_POLL_MS = { first: 1000, factor: 1.5, max: 30_000 };

/** Answers one Task state whose Resource is an `arn:aws:states:::` integration. */
export async function callIntegration(resource: string, params: Json, clients: IntegrationClients): Promise<Json> {
  const p = (params ?? {}) as Record<string, unknown>;
  const action = resource.replace(/^arn:aws[a-z-]*:states:::/, '');
  switch (action) {
    case 'sns:publish': {
      const message = typeof p.Message === 'string' ? p.Message : JSON.stringify(p.Message);
      const out = await clients.sns
        .send(new PublishCommand({ ...(p as object), Message: message } as ConstructorParameters<typeof PublishCommand>[0]))
        .catch((e: unknown) => rethrowAs('SNS', e));
      return stripMetadata(out);
    }
    case 'dynamodb:putItem':
      return stripMetadata(await clients.dynamodb.send(new PutItemCommand(p as never)).catch((e: unknown) => rethrowAs('DynamoDB', e)));
    case 'dynamodb:getItem':
      return stripMetadata(await clients.dynamodb.send(new GetItemCommand(p as never)).catch((e: unknown) => rethrowAs('DynamoDB', e)));
    case 'dynamodb:deleteItem':
      return stripMetadata(await clients.dynamodb.send(new DeleteItemCommand(p as never)).catch((e: unknown) => rethrowAs('DynamoDB', e)));
    case 'dynamodb:updateItem':
      return stripMetadata(await clients.dynamodb.send(new UpdateItemCommand(p as never)).catch((e: unknown) => rethrowAs('DynamoDB', e)));
    case 'aws-sdk:dynamodb:transactWriteItems':
      // An SDK integration names its errors "<ServiceName>.<ErrorName>" in PascalCase ("Learning to use
      // AWS service SDK integrations in Step Functions"): DynamoDb.TransactionCanceledException.
      return stripMetadata(await clients.dynamodb.send(new TransactWriteItemsCommand(p as never)).catch((e: unknown) => rethrowAs('DynamoDb', e)));
    case 'states:startExecution':
    case 'states:startExecution.sync':
    case 'states:startExecution.sync:2':
      return startExecution(action, p, clients.sfn);
    case 'aws-sdk:sfn:stopExecution': {
      // SDK integrations take the API's members PascalCased and name errors "<Service>.<Exception>".
      const out = await clients.sfn
        .send(new StopExecutionCommand({ executionArn: String(p.ExecutionArn), error: p.Error as string | undefined, cause: p.Cause as string | undefined }))
        .catch((e: unknown) => rethrowAs('Sfn', e));
      return { StopDate: out.stopDate?.getTime() };
    }
    default:
      throw new IntegrationError('States.Runtime', `The local executor does not answer ${resource}`);
  }
}

async function startExecution(action: string, p: Record<string, unknown>, sfn: SFNClient): Promise<Json> {
  const input = typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input ?? {});
  const started = await sfn
    .send(new StartExecutionCommand({ stateMachineArn: String(p.StateMachineArn), name: p.Name as string | undefined, input }))
    .catch((e: unknown) => rethrowAs('StepFunctions', e));
  if (action === 'states:startExecution') {
    return { ExecutionArn: started.executionArn, StartDate: started.startDate?.getTime() };
  }
  let described: DescribeExecutionCommandOutput;
  for (let delay = SYNC_POLL_MS.first; ; delay = Math.min(delay * SYNC_POLL_MS.factor, SYNC_POLL_MS.max)) {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn })).catch((e: unknown) => rethrowAs('StepFunctions', e));
    if (described.status !== 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  const parse = action.endsWith(':2');
  const description = {
    ExecutionArn: described.executionArn,
    Input: parse ? JSON.parse(described.input ?? '{}') : described.input,
    Name: described.name,
    Output: parse && described.output !== undefined ? JSON.parse(described.output) : described.output,
    StartDate: described.startDate?.getTime(),
    StateMachineArn: described.stateMachineArn,
    Status: described.status,
    StopDate: described.stopDate?.getTime(),
    Error: described.error,
    Cause: described.cause,
  };
  if (described.status === 'SUCCEEDED') return description;
  // A child that failed, timed out or was aborted fails the parent task with States.TaskFailed and the
  // child's description as the cause (Step Functions "Run a Job (.sync)" behaviour).
  throw new IntegrationError('States.TaskFailed', JSON.stringify(description));
}
