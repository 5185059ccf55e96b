/**
 * Simulated Amazon EC2 Auto Scaling: groups with instances moving through their lifecycle states,
 * standby, suspended processes, tags and scaling activities.
 *
 * Transitions take simulated time (timing.instanceLaunchSeconds, timing.standbyTransitionSeconds):
 * an instance keeps its current state, the next state and when it gets there, and every read first
 * settles the group against `account.now()` — advancing due transitions, then launching or
 * terminating instances until the InService+Pending count matches the desired capacity, as the
 * service's capacity management does (unless Launch or Terminate is suspended). No timers.
 */
import type {
  Activity,
  AutoScalingGroup,
  AutoScalingInstanceDetails,
  CreateOrUpdateTagsCommandInput,
  DeleteTagsCommandInput,
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingGroupsCommandOutput,
  DescribeAutoScalingInstancesCommandInput,
  DescribeAutoScalingInstancesCommandOutput,
  DescribeScalingActivitiesCommandInput,
  DescribeScalingActivitiesCommandOutput,
  EnterStandbyCommandInput,
  EnterStandbyCommandOutput,
  ExitStandbyCommandInput,
  ExitStandbyCommandOutput,
  Instance,
  LaunchTemplateSpecification,
  LifecycleState,
  ScalingProcessQuery,
  TagDescription,
  UpdateAutoScalingGroupCommandInput,
} from '@aws-sdk/client-auto-scaling';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';
import { HEX, IdSource } from './ids';

type State = 'Pending' | 'InService' | 'EnteringStandby' | 'Standby' | 'Terminating' | 'Terminated';

interface InstanceRecord {
  id: string;
  availabilityZone: string;
  instanceType: string;
  state: State;
  /** The state it moves to at `transitionAt` (absent when the state is stable). */
  next?: State;
  transitionAt?: number;
  launchedAt: number;
}

interface ActivityRecord {
  id: string;
  description: string;
  cause: string;
  startTime: number;
  /** InProgress until then, Successful after. */
  endTime: number;
}

interface GroupRecord {
  name: string;
  arn: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  instances: InstanceRecord[];
  suspended: Map<string, string>;
  tags: TagDescription[];
  targetGroupARNs: string[];
  launchTemplate?: LaunchTemplateSpecification;
  instanceType: string;
  availabilityZones: string[];
  vpcZoneIdentifier?: string;
  createdAt: number;
  activities: ActivityRecord[];
  stackName?: string;
}

/** The processes SuspendProcesses knows (API_SuspendProcesses, ScalingProcesses). */
export const SCALING_PROCESSES = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
] as const;

export interface CreateGroupOptions {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity?: number;
  targetGroupARNs?: string[];
  tags?: { key: string; value: string; propagateAtLaunch?: boolean }[];
  launchTemplate?: LaunchTemplateSpecification;
  instanceType?: string;
  availabilityZones?: string[];
  vpcZoneIdentifier?: string;
  /** When the first instances start launching (default now: CloudFormation passes the resource's time). */
  startAt?: number;
  /** Seconds from launch to InService (default timing.instanceLaunchSeconds; 0 for seeding). */
  launchSeconds?: number;
  stackName?: string;
}

/** A group as seen now, for assertions and the environment app. */
export interface GroupView {
  name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  instances: { id: string; state: LifecycleState }[];
  suspendedProcesses: string[];
  targetGroupARNs: string[];
  tags: Record<string, string>;
  stackName?: string;
}

function validation(message: string): SimServiceError {
  return new SimServiceError('ValidationError', message, 400);
}

function notFound(name: unknown): SimServiceError {
  return validation(`AutoScalingGroup name not found - AutoScalingGroup: ${String(name)} not found`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** NextToken paging: an opaque base64 offset. */
function page<T>(items: T[], maxRecords: number | undefined, token: string | undefined, defaultMax: number, limit: number): { items: T[]; next?: string } {
  const max = maxRecords ?? defaultMax;
  if (!Number.isInteger(max) || max < 1 || max > limit) {
    throw validation(`1 validation error detected: Value '${max}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to ${limit}`);
  }
  const start = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) throw new SimServiceError('InvalidNextToken', 'The token is not valid.', 400);
  const slice = items.slice(start, start + max);
  return start + max < items.length ? { items: slice, next: Buffer.from(String(start + max)).toString('base64') } : { items: slice };
}

export class AutoScalingSim implements SimService {
  readonly serviceName = 'AutoScaling';
  readonly operations: Record<string, OpHandler>;
  private readonly groups = new Map<string, GroupRecord>();
  private readonly ids = new IdSource('autoscaling');

  constructor(private readonly account: SimAccount) {
    this.operations = {
      DescribeAutoScalingGroups: (i) => this.describeAutoScalingGroups(i),
      DescribeAutoScalingInstances: (i) => this.describeAutoScalingInstances(i),
      EnterStandby: (i) => this.enterStandby(i),
      ExitStandby: (i) => this.exitStandby(i),
      SuspendProcesses: (i) => this.setProcesses(i, true),
      ResumeProcesses: (i) => this.setProcesses(i, false),
      UpdateAutoScalingGroup: (i) => this.updateAutoScalingGroup(i),
      CreateOrUpdateTags: (i) => this.createOrUpdateTags(i),
      DeleteTags: (i) => this.deleteTags(i),
      DescribeScalingActivities: (i) => this.describeScalingActivities(i),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // SDK operations
  // ---------------------------------------------------------------------------------------------

  private describeAutoScalingGroups(raw: OpInput): Omit<DescribeAutoScalingGroupsCommandOutput, '$metadata'> {
    const input = raw as unknown as DescribeAutoScalingGroupsCommandInput;
    let list = [...this.groups.values()];
    // Names that do not exist are simply absent from the answer (no error), as in the API.
    if (input.AutoScalingGroupNames?.length) {
      const names = new Set(input.AutoScalingGroupNames);
      list = list.filter((g) => names.has(g.name));
    }
    for (const filter of input.Filters ?? []) {
      const values = new Set(filter.Values ?? []);
      const name = filter.Name ?? '';
      if (name === 'tag-key') list = list.filter((g) => g.tags.some((t) => values.has(t.Key ?? '')));
      else if (name === 'tag-value') list = list.filter((g) => g.tags.some((t) => values.has(t.Value ?? '')));
      else if (name.startsWith('tag:')) list = list.filter((g) => g.tags.some((t) => t.Key === name.slice(4) && values.has(t.Value ?? '')));
      else throw validation(`Filter name ${name} is not valid.`);
    }
    const { items, next } = page(list, input.MaxRecords, input.NextToken, 50, 100);
    return { AutoScalingGroups: items.map((g) => this.toGroup(this.settle(g))), ...(next ? { NextToken: next } : {}) };
  }

  private describeAutoScalingInstances(raw: OpInput): Omit<DescribeAutoScalingInstancesCommandOutput, '$metadata'> {
    const input = raw as unknown as DescribeAutoScalingInstancesCommandInput;
    const wanted = input.InstanceIds?.length ? new Set(input.InstanceIds) : undefined;
    const details: AutoScalingInstanceDetails[] = [];
    for (const group of this.groups.values()) {
      for (const i of this.settle(group).instances) {
        if (wanted && !wanted.has(i.id)) continue;
        details.push({
          InstanceId: i.id,
          InstanceType: i.instanceType,
          AutoScalingGroupName: group.name,
          AvailabilityZone: i.availabilityZone,
          LifecycleState: i.state,
          HealthStatus: 'HEALTHY',
          ProtectedFromScaleIn: false,
          ...(group.launchTemplate ? { LaunchTemplate: { ...group.launchTemplate } } : {}),
        });
      }
    }
    const { items, next } = page(details, input.MaxRecords, input.NextToken, 50, 50);
    return { AutoScalingInstances: items, ...(next ? { NextToken: next } : {}) };
  }

  /**
   * EnterStandby (API_EnterStandby): at most 20 instances, each InService in this group. With
   * ShouldDecrementDesiredCapacity the desired capacity drops by the count and may not go below the
   * minimum; without it the group launches replacements (unless Launch is suspended).
   */
  private enterStandby(raw: OpInput): Omit<EnterStandbyCommandOutput, '$metadata'> {
    const input = raw as unknown as EnterStandbyCommandInput;
    const group = this.settle(this.requireGroup(input.AutoScalingGroupName));
    const ids = input.InstanceIds ?? [];
    if (ids.length > 20) {
      throw validation(`1 validation error detected: Value '[${ids.join(', ')}]' at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 20`);
    }
    const members = ids.map((id) => this.member(group, id));
    for (const m of members) if (m.state !== 'InService') throw validation(`The instance ${m.id} is not in InService.`);
    const decrement = input.ShouldDecrementDesiredCapacity === true;
    const before = group.desiredCapacity;
    if (decrement && before - members.length < group.minSize) {
      throw validation(
        `AutoScalingGroup ${group.name} has min-size=${group.minSize}, max-size=${group.maxSize}, and desired-size=${before}. To place into standby ${plural(members.length, 'instance')}, please update the AutoScalingGroup sizes appropriately.`,
      );
    }
    if (decrement) group.desiredCapacity -= members.length;
    const now = this.account.now();
    const done = now + this.account.timing.standbyTransitionSeconds * 1000;
    const capacity = decrement
      ? `Changing the desired capacity from ${before} to ${group.desiredCapacity}.`
      : `Not decrementing the desired capacity; a replacement instance will be launched.`;
    const activities = members.map((m) => {
      this.move(m, 'EnteringStandby', 'Standby', done);
      return this.activity(group, `Moving EC2 instance to Standby: ${m.id}`, `At ${iso(now)} User request set the instance ${m.id} to the Standby state. ${capacity}`, done);
    });
    this.settle(group);
    return { Activities: activities.map((a) => this.toActivity(group, a)) };
  }

  /** ExitStandby (API_ExitStandby): each instance must be in Standby; the desired capacity grows by the count. */
  private exitStandby(raw: OpInput): Omit<ExitStandbyCommandOutput, '$metadata'> {
    const input = raw as unknown as ExitStandbyCommandInput;
    const group = this.settle(this.requireGroup(input.AutoScalingGroupName));
    const members = (input.InstanceIds ?? []).map((id) => this.member(group, id));
    for (const m of members) if (m.state !== 'Standby') throw validation(`The instance ${m.id} is not in Standby.`);
    const before = group.desiredCapacity;
    if (before + members.length > group.maxSize) {
      throw validation(
        `AutoScalingGroup ${group.name} has min-size=${group.minSize}, max-size=${group.maxSize}, and desired-size=${before}. To remove ${plural(members.length, 'instance')} from standby, please update the AutoScalingGroup sizes appropriately.`,
      );
    }
    group.desiredCapacity += members.length;
    const now = this.account.now();
    // Leaving standby goes through Pending (lifecycle hooks, load balancer registration) to InService;
    // a suspended Launch process does not block it (it is not a launch).
    const done = now + this.account.timing.instanceLaunchSeconds * 1000;
    const activities = members.map((m) => {
      this.move(m, 'Pending', 'InService', done);
      return this.activity(
        group,
        `Moving EC2 instance out of Standby: ${m.id}`,
        `At ${iso(now)} User request moved the instance ${m.id} out of the Standby state. Changing the desired capacity from ${before} to ${group.desiredCapacity}.`,
        done,
      );
    });
    this.settle(group);
    return { Activities: activities.map((a) => this.toActivity(group, a)) };
  }

  private setProcesses(raw: OpInput, suspend: boolean): Record<string, never> {
    const input = raw as unknown as ScalingProcessQuery;
    const group = this.settle(this.requireGroup(input.AutoScalingGroupName));
    const names = input.ScalingProcesses?.length ? input.ScalingProcesses : [...SCALING_PROCESSES];
    for (const name of names) {
      if (!(SCALING_PROCESSES as readonly string[]).includes(name)) throw validation(`Process ${name} is not a valid scaling process.`);
    }
    for (const name of names) {
      if (suspend) {
        if (!group.suspended.has(name)) group.suspended.set(name, `User suspended at ${iso(this.account.now())}`);
      } else {
        group.suspended.delete(name);
      }
    }
    // Resuming Launch or Terminate lets capacity management catch up at once.
    this.settle(group);
    return {};
  }

  /**
   * UpdateAutoScalingGroup (API_UpdateAutoScalingGroup): min ≤ desired ≤ max. A new MinSize above the
   * current desired capacity raises it, a new MaxSize below it lowers it, when DesiredCapacity is not given.
   */
  private updateAutoScalingGroup(raw: OpInput): Record<string, never> {
    const input = raw as unknown as UpdateAutoScalingGroupCommandInput;
    const group = this.settle(this.requireGroup(input.AutoScalingGroupName));
    const min = input.MinSize ?? group.minSize;
    const max = input.MaxSize ?? group.maxSize;
    if (min > max) throw validation(`Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
    let desired = group.desiredCapacity;
    if (input.DesiredCapacity !== undefined) {
      desired = input.DesiredCapacity;
      if (desired < min || desired > max) throw validation(`Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
    } else {
      if (input.MinSize !== undefined && min > desired) desired = min;
      if (input.MaxSize !== undefined && max < desired) desired = max;
    }
    group.minSize = min;
    group.maxSize = max;
    group.desiredCapacity = desired;
    this.settle(group);
    return {};
  }

  private createOrUpdateTags(raw: OpInput): Record<string, never> {
    const input = raw as unknown as CreateOrUpdateTagsCommandInput;
    for (const tag of input.Tags ?? []) {
      const group = this.requireGroup(tag.ResourceId);
      if (!tag.Key) throw validation('1 validation error detected: Value null at \'tags.member.1.member.key\' failed to satisfy constraint: Member must not be null');
      const entry: TagDescription = {
        ResourceId: group.name,
        ResourceType: 'auto-scaling-group',
        Key: tag.Key,
        Value: tag.Value ?? '',
        PropagateAtLaunch: tag.PropagateAtLaunch ?? false,
      };
      const at = group.tags.findIndex((t) => t.Key === tag.Key);
      if (at >= 0) group.tags[at] = entry;
      else group.tags.push(entry);
    }
    return {};
  }

  private deleteTags(raw: OpInput): Record<string, never> {
    const input = raw as unknown as DeleteTagsCommandInput;
    for (const tag of input.Tags ?? []) {
      const group = this.requireGroup(tag.ResourceId);
      group.tags = group.tags.filter((t) => t.Key !== tag.Key);
    }
    return {};
  }

  private describeScalingActivities(raw: OpInput): Omit<DescribeScalingActivitiesCommandOutput, '$metadata'> {
    const input = raw as unknown as DescribeScalingActivitiesCommandInput;
    const groups = input.AutoScalingGroupName ? [this.groups.get(input.AutoScalingGroupName)].filter((g): g is GroupRecord => !!g) : [...this.groups.values()];
    const wanted = input.ActivityIds?.length ? new Set(input.ActivityIds) : undefined;
    const all = groups
      .flatMap((g) => this.settle(g).activities.map((a) => ({ g, a })))
      .filter(({ a }) => !wanted || wanted.has(a.id))
      .sort((x, y) => y.a.startTime - x.a.startTime);
    const { items, next } = page(all, input.MaxRecords, input.NextToken, 100, 100);
    return { Activities: items.map(({ g, a }) => this.toActivity(g, a)), ...(next ? { NextToken: next } : {}) };
  }

  // ---------------------------------------------------------------------------------------------
  // Internal API (CloudFormation, seeding, the environment app, assertions)
  // ---------------------------------------------------------------------------------------------

  /** Creates a group and launches its desired capacity. Throws AlreadyExistsFault for a taken name. */
  createGroup(options: CreateGroupOptions): GroupView {
    if (this.groups.has(options.name)) {
      throw new SimServiceError('AlreadyExistsFault', `AutoScalingGroup by this name already exists - A group with the name ${options.name} already exists`, 400);
    }
    const desired = options.desiredCapacity ?? options.minSize;
    if (options.minSize > options.maxSize) throw validation(`Max bound, ${options.maxSize}, must be greater than or equal to min bound, ${options.minSize}`);
    if (desired < options.minSize || desired > options.maxSize) {
      throw validation(`Desired capacity:${desired} must be between the specified min size:${options.minSize} and max size:${options.maxSize}`);
    }
    const group: GroupRecord = {
      name: options.name,
      arn: this.account.arn('autoscaling', `autoScalingGroup:${this.ids.uuid()}:autoScalingGroupName/${options.name}`),
      minSize: options.minSize,
      maxSize: options.maxSize,
      desiredCapacity: desired,
      instances: [],
      suspended: new Map(),
      tags: (options.tags ?? []).map((t) => ({
        ResourceId: options.name,
        ResourceType: 'auto-scaling-group',
        Key: t.key,
        Value: t.value,
        PropagateAtLaunch: t.propagateAtLaunch ?? true,
      })),
      targetGroupARNs: [...(options.targetGroupARNs ?? [])],
      ...(options.launchTemplate ? { launchTemplate: { ...options.launchTemplate } } : {}),
      instanceType: options.instanceType ?? 't3.small',
      availabilityZones: options.availabilityZones?.length ? [...options.availabilityZones] : [`${this.account.region}a`, `${this.account.region}b`],
      ...(options.vpcZoneIdentifier ? { vpcZoneIdentifier: options.vpcZoneIdentifier } : {}),
      createdAt: this.account.now(),
      activities: [],
      ...(options.stackName ? { stackName: options.stackName } : {}),
    };
    this.groups.set(group.name, group);
    const startAt = Math.max(options.startAt ?? this.account.now(), this.account.now());
    const launchMs = (options.launchSeconds ?? this.account.timing.instanceLaunchSeconds) * 1000;
    for (let n = 0; n < desired; n++) this.launch(group, startAt, startAt + launchMs);
    return this.group(group.name) as GroupView;
  }

  /** Deletes a group and terminates its instances (DeleteAutoScalingGroup with ForceDelete, as CloudFormation does). */
  deleteGroup(name: string): void {
    this.groups.delete(name);
  }

  groupExists(name: string): boolean {
    return this.groups.has(name);
  }

  group(name: string): GroupView | undefined {
    const record = this.groups.get(name);
    if (!record) return undefined;
    const g = this.settle(record);
    return {
      name: g.name,
      minSize: g.minSize,
      maxSize: g.maxSize,
      desiredCapacity: g.desiredCapacity,
      instances: g.instances.map((i) => ({ id: i.id, state: i.state as LifecycleState })),
      suspendedProcesses: [...g.suspended.keys()],
      targetGroupARNs: [...g.targetGroupARNs],
      tags: Object.fromEntries(g.tags.map((t) => [t.Key ?? '', t.Value ?? ''])),
      ...(g.stackName ? { stackName: g.stackName } : {}),
    };
  }

  /** Groups registered with a target group (what a load balancer forwards to). */
  groupsInTargetGroup(targetGroupArn: string): GroupView[] {
    return [...this.groups.values()].filter((g) => g.targetGroupARNs.includes(targetGroupArn)).flatMap((g) => this.group(g.name) ?? []);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------------------

  private requireGroup(name: unknown): GroupRecord {
    const group = typeof name === 'string' ? this.groups.get(name) : undefined;
    if (!group) throw notFound(name);
    return group;
  }

  private member(group: GroupRecord, id: string): InstanceRecord {
    const instance = group.instances.find((i) => i.id === id);
    if (!instance) throw validation(`The instance ${id} is not part of Auto Scaling group ${group.name}.`);
    return instance;
  }

  private move(instance: InstanceRecord, now: State, next: State, at: number): void {
    instance.state = now;
    instance.next = next;
    instance.transitionAt = at;
  }

  private launch(group: GroupRecord, startAt: number, inServiceAt: number): void {
    const zone = group.availabilityZones[group.instances.length % group.availabilityZones.length] ?? `${this.account.region}a`;
    const instance: InstanceRecord = {
      id: `i-${this.ids.next(17, HEX)}`,
      availabilityZone: zone,
      instanceType: group.instanceType,
      state: 'Pending',
      next: 'InService',
      transitionAt: inServiceAt,
      launchedAt: startAt,
    };
    group.instances.push(instance);
    this.activity(
      group,
      `Launching a new EC2 instance: ${instance.id}`,
      `At ${iso(startAt)} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${this.active(group).length - 1} to ${this.active(group).length}.`,
      inServiceAt,
      startAt,
    );
  }

  private active(group: GroupRecord): InstanceRecord[] {
    return group.instances.filter((i) => i.state === 'Pending' || i.state === 'InService');
  }

  /** Advances due transitions, then lets capacity management launch or terminate toward the desired capacity. */
  private settle(group: GroupRecord): GroupRecord {
    const now = this.account.now();
    for (const i of group.instances) {
      if (i.next && i.transitionAt !== undefined && now >= i.transitionAt) {
        i.state = i.next;
        delete i.next;
        delete i.transitionAt;
      }
    }
    group.instances = group.instances.filter((i) => i.state !== 'Terminated');
    const active = this.active(group);
    if (active.length < group.desiredCapacity && !group.suspended.has('Launch')) {
      const launchMs = this.account.timing.instanceLaunchSeconds * 1000;
      for (let n = active.length; n < group.desiredCapacity; n++) this.launch(group, now, now + launchMs);
    } else if (active.length > group.desiredCapacity && !group.suspended.has('Terminate')) {
      // The default termination policy favours the newest launch here for simplicity: a Pending
      // instance goes before an InService one.
      const victims = [...active].sort((a, b) => b.launchedAt - a.launchedAt).slice(0, active.length - group.desiredCapacity);
      const done = now + this.account.timing.standbyTransitionSeconds * 1000;
      for (const v of victims) {
        this.move(v, 'Terminating', 'Terminated', done);
        this.activity(
          group,
          `Terminating EC2 instance: ${v.id}`,
          `At ${iso(now)} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from ${active.length} to ${group.desiredCapacity}.`,
          done,
        );
      }
      if (done <= now) group.instances = group.instances.filter((i) => !victims.includes(i));
    }
    return group;
  }

  private activity(group: GroupRecord, description: string, cause: string, endTime: number, startTime = this.account.now()): ActivityRecord {
    const record: ActivityRecord = { id: this.ids.uuid(), description, cause, startTime, endTime };
    group.activities.push(record);
    return record;
  }

  private toActivity(group: GroupRecord, a: ActivityRecord): Activity {
    const done = this.account.now() >= a.endTime;
    return {
      ActivityId: a.id,
      AutoScalingGroupName: group.name,
      AutoScalingGroupARN: group.arn,
      Description: a.description,
      Cause: a.cause,
      StartTime: new Date(a.startTime),
      ...(done ? { EndTime: new Date(a.endTime) } : {}),
      StatusCode: done ? 'Successful' : 'InProgress',
      Progress: done ? 100 : 50,
      Details: JSON.stringify({ 'Availability Zone': group.availabilityZones[0] }),
    };
  }

  private toGroup(g: GroupRecord): AutoScalingGroup {
    return {
      AutoScalingGroupName: g.name,
      AutoScalingGroupARN: g.arn,
      ...(g.launchTemplate ? { LaunchTemplate: { ...g.launchTemplate } } : {}),
      MinSize: g.minSize,
      MaxSize: g.maxSize,
      DesiredCapacity: g.desiredCapacity,
      DefaultCooldown: 300,
      AvailabilityZones: [...g.availabilityZones],
      LoadBalancerNames: [],
      TargetGroupARNs: [...g.targetGroupARNs],
      HealthCheckType: 'EC2',
      HealthCheckGracePeriod: 300,
      Instances: g.instances.map(
        (i): Instance => ({
          InstanceId: i.id,
          InstanceType: i.instanceType,
          AvailabilityZone: i.availabilityZone,
          LifecycleState: i.state as LifecycleState,
          HealthStatus: 'Healthy',
          ProtectedFromScaleIn: false,
          ...(g.launchTemplate ? { LaunchTemplate: { ...g.launchTemplate } } : {}),
        }),
      ),
      CreatedTime: new Date(g.createdAt),
      SuspendedProcesses: [...g.suspended].map(([ProcessName, SuspensionReason]) => ({ ProcessName, SuspensionReason })),
      ...(g.vpcZoneIdentifier ? { VPCZoneIdentifier: g.vpcZoneIdentifier } : {}),
      EnabledMetrics: [],
      Tags: g.tags.map((t) => ({ ...t })),
      TerminationPolicies: ['Default'],
      NewInstancesProtectedFromScaleIn: false,
      ServiceLinkedRoleARN: `arn:aws:iam::${this.account.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    };
  }
}
