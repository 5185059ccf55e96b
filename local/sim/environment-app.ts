/**
 * What an environment's load balancer answers. Requests are routed like an Application Load Balancer:
 * the listener on the URL's port, its rules by priority (path-pattern conditions), else its default
 * action. A Lambda target group is served by the stack's statistics function; an instance target
 * group by the application on the InService instances of the Auto Scaling groups registered with it
 * (instances in Standby are deregistered from the load balancer, so they serve nothing).
 *
 * The statistics function reports, like examples/environment.yaml's StatisticsFunction, the row count
 * of every table of the stack's databases and the object count of its buckets:
 * `{"environment": {"stackId": "<its stack's ID>"}, "data": {"<table>": {"count": n}, ..., "objects": {"<BucketLogicalId>": {"count": n}}}}`.
 * Like the sample's function, it reports the stack it belongs to when its environment holds
 * STACK_ID (the sample passes `!Ref AWS::StackId`; an application that does not is modelled by a
 * function without it), so a URL that reaches another stack's backend says so.
 */
import type { HttpHandler, SimAccount } from './account';
import type { ListenerAction } from './cloudformation';
import { sleep } from './core';

/** A glob of an ALB path-pattern condition: `*` any characters, `?` one character, case-sensitive. */
export function pathMatches(pattern: string, path: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(path);
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** What an ALB answers itself when it has nothing healthy to forward to (ALB troubleshooting, "HTTP 503"). */
function unavailable(detail: string): Response {
  return new Response(`<html><body><h1>503 Service Temporarily Unavailable</h1><!-- ${detail} --></body></html>`, {
    status: 503,
    headers: { 'content-type': 'text/html' },
  });
}

function abortError(): DOMException {
  return new DOMException('This operation was aborted', 'AbortError');
}

/** Waits `ms` of (fake) time, rejecting as fetch does if the request is aborted meanwhile. */
async function abortable(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw abortError();
  if (ms <= 0) return;
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    sleep(ms).then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => reject(err),
    );
  });
}

/**
 * The statistics of one stack, as its statistics function computes them; 503 while a database is not
 * available. `reportedStackId`: what the function says it describes (its STACK_ID), when it says.
 */
export function statisticsResponse(account: SimAccount, stackId: string, reportedStackId?: string): Response {
  const stack = account.cloudformation.stackById(stackId);
  if (!stack) return unavailable('no such stack');
  if (account.faults.silent.statisticsErrorForStack === stack.stackName) return json(500, { message: 'internal error' });
  if (account.faults.silent.emptyStatisticsForStack === stack.stackName) return json(200, { data: {} });
  const resources = account.cloudformation.resourcesOf(stackId);
  const databases = resources.filter((r) => r.type === 'AWS::RDS::DBInstance');
  const buckets = resources.filter((r) => r.type === 'AWS::S3::Bucket');
  // The stale-statistics fault answers numbers cached before the data arrived: every count zero.
  const stale = account.faults.silent.staleStatisticsForStack === stack.stackName;
  const data: Record<string, unknown> = {};
  for (const db of databases) {
    const instance = account.rds.instance(db.physicalId);
    if (!instance || instance.status !== 'available') {
      return json(503, { message: `database ${db.logicalId} is ${instance?.status ?? 'gone'}` });
    }
    for (const [table, rows] of Object.entries(instance.tables)) {
      data[databases.length > 1 ? `${db.logicalId}.${table}` : table] = { count: stale ? 0 : rows.length };
    }
  }
  if (buckets.length) {
    data.objects = Object.fromEntries(
      buckets.map((b) => [b.logicalId, { count: stale || !account.s3.bucketExists(b.physicalId) ? 0 : account.s3.objectCount(b.physicalId) }]),
    );
  }
  return json(200, { ...(reportedStackId ? { environment: { stackId: reportedStackId } } : {}), data });
}

/** The application on the instances: /health answers the environment's version. */
function applicationResponse(account: SimAccount, stackId: string, path: string, method: string): Response {
  const stack = account.cloudformation.stackById(stackId);
  if (path === '/health' && (method === 'GET' || method === 'HEAD')) {
    return json(200, { status: 'ok', version: stack?.parameters.EnvironmentVersion ?? 'unknown' });
  }
  if (path === '/' && method === 'GET') return json(200, { service: stack?.stackName ?? 'unknown' });
  return json(404, { message: 'Not Found' });
}

function forward(account: SimAccount, actions: ListenerAction[], url: URL, method: string): Response {
  const action = actions[0];
  if (!action) return unavailable('listener has no action');
  if (action.fixedResponse) {
    return new Response(action.fixedResponse.body, { status: action.fixedResponse.statusCode, headers: { 'content-type': action.fixedResponse.contentType } });
  }
  const cfn = account.cloudformation;
  const targetGroup = action.targetGroupArns.map((arn) => cfn.targetGroups.get(arn)).find((t) => t !== undefined);
  if (!targetGroup) return unavailable('target group gone');
  if (targetGroup.targetType === 'lambda') {
    const fn = targetGroup.targets.map((arn) => cfn.functions.get(arn)).find((f) => f !== undefined);
    // An ALB answers 502 when its Lambda target cannot be invoked.
    if (!fn) return new Response('<html><body><h1>502 Bad Gateway</h1></body></html>', { status: 502, headers: { 'content-type': 'text/html' } });
    return statisticsResponse(account, fn.stackId, fn.environment.STACK_ID);
  }
  const groups = account.autoscaling.groupsInTargetGroup(targetGroup.arn);
  const inService = groups.flatMap((g) => g.instances).filter((i) => i.state === 'InService');
  if (inService.length === 0) return unavailable('no healthy targets');
  return applicationResponse(account, targetGroup.stackId, url.pathname, method);
}

/** The HTTP handler registered for a load balancer's DNS name. Honours `request.signal` like fetch. */
export function environmentApp(account: SimAccount, loadBalancerArn: string): HttpHandler {
  return async (request: Request) => {
    await abortable(account.timing.latencyMs['HTTP.application'] ?? 0, request.signal);
    const cfn = account.cloudformation;
    const url = new URL(request.url);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const listener = [...cfn.listeners.values()].find((l) => l.loadBalancerArn === loadBalancerArn && l.port === port);
    // A deleted load balancer (its name no longer resolves) or no listener on that port (connection
    // refused): fetch reports both as a TypeError.
    if (!cfn.loadBalancers.has(loadBalancerArn) || !listener) throw new TypeError('fetch failed');
    const rules = [...cfn.listenerRules.values()].filter((r) => r.listenerArn === listener.arn).sort((a, b) => a.priority - b.priority);
    const rule = rules.find((r) => r.pathPatterns.length === 0 || r.pathPatterns.some((p) => pathMatches(p, url.pathname)));
    const response = forward(account, rule ? rule.actions : listener.defaultActions, url, request.method);
    if (request.signal.aborted) throw abortError();
    return response;
  };
}
