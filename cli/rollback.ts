/**
 * `env-migrator rollback --environment <record name>`: switches a blue/green entry point back to the
 * slot its last switch replaced (the Rollback state machine, statemachine/rollback.ts), then follows
 * it to its end. The rollback refuses when the live slot's statistics changed since the switch (writes
 * would be lost) unless --accept-discarding-writes, and its notification names what differed.
 */
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EXIT, type ExitCode } from './exit-codes';
import { AwsCallFailed, type Io, awsCall, humanOf } from './io';
import { awsFailure, endWith, finish, summaryOf } from './result';
import { planRollback, rollbackExecutionName, startRollback } from './rollback-core';

export interface RollbackOptions {
  environment: string;
  hostedZoneId?: string;
  acceptDiscardingWrites: boolean;
  /** The Rollback state machine (default: the output RollbackStateMachineArn of --migrator-stack). */
  stateMachineArn?: string;
  /** The workflow bucket (default: the output WorkflowBucketName of --migrator-stack). */
  bucket?: string;
  migratorStack: string;
  wait: boolean;
  /** Seconds between polls while following the rollback. */
  interval: number;
  json: boolean;
  /** How the CLI sleeps between polls (tests: the simulated clock's setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

/** The migrator stack's outputs the command needs, unless both were given. */
async function outputsOf(io: Io, o: RollbackOptions): Promise<{ stateMachineArn: string; bucket: string }> {
  if (o.stateMachineArn && o.bucket) return { stateMachineArn: o.stateMachineArn, bucket: o.bucket };
  const out = await awsCall('DescribeStacks', () => io.cloudformation().send(new DescribeStacksCommand({ StackName: o.migratorStack })));
  const value = (key: string, flag: string) => {
    const v = out.Stacks?.[0]?.Outputs?.find((x) => x.OutputKey === key)?.OutputValue;
    if (!v) throw new AwsCallFailed('DescribeStacks', 'OutputNotFound', `stack ${o.migratorStack} has no output ${key}; give ${flag}`);
    return v;
  };
  return { stateMachineArn: o.stateMachineArn ?? value('RollbackStateMachineArn', '--state-machine-arn'), bucket: o.bucket ?? value('WorkflowBucketName', '--bucket') };
}

/**
 * Exit code: 0 rolled back (or started, --no-wait); 1 refused (nothing to roll back, already rolled
 * back, writes since the switch, locked) or failed (the notification says where the record points);
 * 6 when one of the CLI's own AWS calls fails.
 */
export async function rollbackCommand(io: Io, o: RollbackOptions): Promise<ExitCode> {
  const say = humanOf(io, o.json);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let executionArn: string | undefined;
  try {
    const { stateMachineArn, bucket } = await outputsOf(io, o);
    const s3 = await io.s3();
    const plan = await awsCall('ListObjectsV2/GetObject', () => planRollback(s3, bucket, { recordName: o.environment, hostedZoneId: o.hostedZoneId, acceptDiscardingWrites: o.acceptDiscardingWrites }));
    if (plan.outcome !== 'READY') {
      return endWith(io, say, o.json, { line: `refused: ${plan.cause}`, exitCode: EXIT.FAILED }, { outcome: plan.outcome, survivor: null, error: { name: 'RollbackRefused', cause: plan.cause }, executionArn: null });
    }
    const name = rollbackExecutionName(plan.record, new Date());
    executionArn = await awsCall('StartExecution', () => startRollback(io.sfn(), stateMachineArn, name, plan.input));
    say(`Started ${executionArn}`);
    say(
      `rolling back ${o.environment}: the record back to ${plan.record.previous.stackName} (version ${plan.record.previous.version}), ${plan.record.live.stackName} (version ${plan.record.live.version}) into standby${o.acceptDiscardingWrites ? ', discarding any write since the switch' : ''}`,
    );
    if (!o.wait) {
      return endWith(io, say, o.json, { line: `follow it: env-migrator watch ${executionArn}`, exitCode: EXIT.SUCCEEDED }, { outcome: 'STARTED', survivor: null, error: null, executionArn });
    }
    const region = executionArn.split(':')[3];
    let described: DescribeExecutionCommandOutput;
    for (;;) {
      const arn = executionArn;
      described = await awsCall('DescribeExecution', () => io.sfn(region).send(new DescribeExecutionCommand({ executionArn: arn })));
      if (described.status !== 'RUNNING') break;
      await sleep(o.interval * 1000);
    }
    const summary = summaryOf(described);
    const output = summary.output as { live?: string } | undefined;
    return finish(io, { ...summary, survivor: summary.status === 'SUCCEEDED' ? (output?.live ?? null) : undefined }, o.json);
  } catch (err) {
    return awsFailure(io, err, o.json, executionArn);
  }
}
