/**
 * `env-migrator status <executionArn>`: one DescribeExecution, printed, in the region the ARN names.
 */
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { ExecutionArn } from './arn';
import type { ExitCode } from './exit-codes';
import { awsCall, type Io } from './io';
import { awsFailure, finish, summaryOf } from './result';

export interface StatusOptions {
  json: boolean;
}

/** Describes the execution and prints its summary. Exit code: the execution's (8 while it runs), 6 when the call fails. */
export async function statusCommand(io: Io, execution: ExecutionArn, options: StatusOptions): Promise<ExitCode> {
  let described: DescribeExecutionCommandOutput;
  try {
    described = await awsCall('DescribeExecution', () => io.sfn(execution.region).send(new DescribeExecutionCommand({ executionArn: execution.arn })));
  } catch (err) {
    return awsFailure(io, err, options.json, execution.arn);
  }
  return finish(io, summaryOf(described), options.json);
}
