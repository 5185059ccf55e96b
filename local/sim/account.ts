/**
 * A simulated AWS account in memory. Every AWS SDK v3 call that a handler makes is answered here
 * (./install.ts puts the account behind the SDK), and so is every HTTP request to an environment's
 * load balancer. One account per rehearsal or test.
 */
import { AutoScalingSim } from './autoscaling';
import { CloudFormationSim } from './cloudformation';
import { CloudWatchSim } from './cloudwatch';
import { type CallRecord, DEFAULT_TIMING, FaultInjector, type OpInput, SimServiceError, type SimService, type TimingProfile, faultError, sleep } from './core';
import { DynamoDbSim } from './dynamodb';
import { KmsSim } from './kms';
import { RdsSim } from './rds';
import { Route53Sim } from './route53';
import { S3Sim } from './s3';
import { S3ControlSim } from './s3-control';
import { SchedulerSim } from './scheduler';
import { SecretsManagerSim } from './secrets';
import { SfnSim } from './sfn';
import { SnsSim } from './sns';

/** Answers HTTP requests for one host (an environment's load balancer). */
export type HttpHandler = (request: Request) => Response | Promise<Response>;

export interface SimAccountOptions {
  timing?: TimingProfile;
  region?: string;
  accountId?: string;
}

export class SimAccount {
  readonly region: string;
  readonly accountId: string;
  readonly timing: TimingProfile;
  readonly faults = new FaultInjector();
  readonly calls: CallRecord[] = [];
  readonly http = new Map<string, HttpHandler>();

  readonly s3: S3Sim;
  readonly s3control: S3ControlSim;
  readonly rds: RdsSim;
  readonly autoscaling: AutoScalingSim;
  readonly cloudformation: CloudFormationSim;
  readonly sns: SnsSim;
  readonly dynamodb: DynamoDbSim;
  readonly secrets: SecretsManagerSim;
  readonly sfn: SfnSim;
  readonly kms: KmsSim;
  readonly cloudwatch: CloudWatchSim;
  readonly route53: Route53Sim;
  readonly scheduler: SchedulerSim;
  private readonly services = new Map<string, SimService>();
  private latest = 0;

  constructor(options: SimAccountOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.timing = options.timing ?? DEFAULT_TIMING;
    this.s3 = this.register(new S3Sim(this));
    this.s3control = this.register(new S3ControlSim(this));
    this.rds = this.register(new RdsSim(this));
    this.autoscaling = this.register(new AutoScalingSim(this));
    this.cloudformation = this.register(new CloudFormationSim(this));
    this.sns = this.register(new SnsSim(this));
    this.dynamodb = this.register(new DynamoDbSim(this));
    this.secrets = this.register(new SecretsManagerSim(this));
    this.sfn = this.register(new SfnSim(this));
    this.kms = this.register(new KmsSim(this));
    this.cloudwatch = this.register(new CloudWatchSim(this));
    this.route53 = this.register(new Route53Sim(this));
    this.scheduler = this.register(new SchedulerSim(this));
  }

  private register<T extends SimService>(service: T): T {
    this.services.set(service.serviceName, service);
    return service;
  }

  /**
   * Current simulated time in ms. Date.now() is the fake clock during a local run; after the run the
   * real clock is behind the simulated one, so time never goes back (a finished stack stays finished
   * when the tests read it afterwards).
   */
  now(): number {
    this.latest = Math.max(this.latest, Date.now());
    return this.latest;
  }

  arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.region}:${this.accountId}:${resource}`;
  }

  /**
   * Answers one SDK call: waits its latency, applies any armed fault, runs the operation.
   * Unknown operations fail the way an unsupported call would, so a step that starts using a new
   * API shows up here rather than silently doing nothing.
   */
  async dispatch(serviceName: string, operation: string, input: OpInput): Promise<unknown> {
    const startedAt = this.now();
    const record: CallRecord = { service: serviceName, operation, startedAt, finishedAt: startedAt };
    this.calls.push(record);
    try {
      await sleep(this.timing.latencyMs[`${serviceName}.${operation}`] ?? this.timing.defaultLatencyMs);
      // S3's daily storage measurement of every midnight passed since the last call (./cloudwatch.ts).
      this.cloudwatch.observe(this.now());
      // When each source of RDS read replicas stops or starts being written (./rds.ts observeWrites).
      this.rds.observeWrites();
      // One-time schedules whose time has passed without a timer firing them (a clock moved by hand).
      this.scheduler.startDue();
      const service = this.services.get(serviceName);
      const handler = service?.operations[operation];
      if (!handler) {
        throw new SimServiceError('UnknownOperationException', `The simulated account does not model ${serviceName}.${operation}`, 400);
      }
      const fault = this.faults.check(serviceName, operation, input);
      if (fault && fault.kind !== 'after') throw faultError(serviceName, fault);
      const output = await handler(input);
      if (fault) throw faultError(serviceName, fault);
      return output;
    } catch (err) {
      record.error = err instanceof Error ? err.name : String(err);
      throw err;
    } finally {
      record.finishedAt = this.now();
    }
  }

  /**
   * Answers an HTTP request to a simulated host, or undefined when the host is not ours. A name in
   * a simulated Route 53 zone is resolved as a client's resolver would answer it now (./route53.ts:
   * the old target until the change is INSYNC and the old answer's TTL has passed) and the request
   * goes to the host it leads to, unchanged (the Host header still names the record, as through
   * DNS). A name with no answer, or whose target answers nothing, fails as fetch does (TypeError).
   */
  async fetch(request: Request): Promise<Response | undefined> {
    const url = new URL(request.url);
    let handler = this.http.get(url.host);
    if (!handler) {
      const resolved = this.route53.resolve(url.hostname);
      if (resolved.kind === 'foreign') return undefined;
      handler = resolved.kind === 'host' ? this.http.get(resolved.host) : undefined;
      if (!handler) {
        await sleep(this.timing.latencyMs['HTTP.request'] ?? this.timing.defaultLatencyMs);
        throw new TypeError('fetch failed');
      }
    }
    await sleep(this.timing.latencyMs['HTTP.request'] ?? this.timing.defaultLatencyMs);
    return handler(request);
  }

  /** Calls made so far, optionally of one service/operation. */
  countCalls(service?: string, operation?: string): number {
    return this.calls.filter((c) => (!service || c.service === service) && (!operation || c.operation === operation)).length;
  }
}
