/**
 * The heartbeat of watch and the rehearsal (local/heartbeat.ts) and the downtime read from a history
 * (local/downtime.ts), from hand-written events: which wait a check's output opens, when it beats,
 * what it says, and what closes it.
 */
import { describe, expect, it } from 'vitest';
import { downtimeFromHistory } from '../../local/downtime';
import { STANDBY_STATE } from '../../statemachine/downtime-states';
import type { ProgressEvent } from '../../local/executor';
import { type Heartbeat, HeartbeatTracker } from '../../local/heartbeat';
import { heartbeatText } from '../../local/progress';

const T0 = Date.parse('2026-03-01T03:00:00Z');
const MIGRATE = 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1';
const CLONE1 = 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-1-c1';
const CLONE2 = 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-1-c2';
const s = (seconds: number) => T0 + seconds * 1000;

function ev(at: number, type: string, stateName?: string, extra: Partial<ProgressEvent> = {}): ProgressEvent {
  const arn = extra.executionArn ?? MIGRATE;
  return { timestamp: at, type, stateName, machine: arn === MIGRATE ? 'Migrate' : 'Clone', executionName: arn.split(':').at(-1)!, executionArn: arn, ...extra };
}

/** A snapshot wait's check, as its StateExited output holds it at `$.snapshotStatus`. */
function check(at: number, name: string, status: string, startedAt: number, extra: Record<string, unknown> = {}, arn = CLONE1): ProgressEvent[] {
  const wait = { label: 'snapshot em-1-c1-db to become available', startedAt: new Date(startedAt).toISOString(), timeoutSeconds: 7200, elapsedSeconds: Math.round((at - startedAt) / 1000), nextDelaySeconds: 60, attempt: 1 };
  return [
    ev(at, 'StateEntered', name, { stateType: 'Task', executionArn: arn }),
    ev(at, 'StateExited', name, { stateType: 'Task', executionArn: arn, output: { source: { stackName: 'orders-prod' }, snapshotStatus: { status, wait, ...extra } } }),
  ];
}

function track(events: ProgressEvent[], until?: number): Heartbeat[] {
  const beats: Heartbeat[] = [];
  const t = new HeartbeatTracker((b) => beats.push(b));
  for (const e of events) t.observe(e);
  if (until !== undefined) t.tick(until);
  return beats;
}

describe('heartbeats', () => {
  it("beat every 30 s from a wait's first check, with the elapsed time, the timeout and the last check's percent, until a check says READY", () => {
    const beats = track([
      ...check(s(0), 'Check the snapshots', 'PENDING', s(0), { progress: { percent: 0 } }),
      ...check(s(70), 'Check the snapshots again', 'PENDING', s(0), { progress: { percent: 40 } }),
      ...check(s(130), 'Check the snapshots again', 'READY', s(0)),
      ev(s(400), 'StateEntered', 'Create the destination stack', { stateType: 'Task', executionArn: CLONE1 }),
    ]);
    expect(beats.map((b) => [b.elapsedSeconds, b.percent])).toEqual([
      [30, 0],
      [60, 0],
      [90, 40],
      [120, 40],
    ]);
    expect(beats[0]).toMatchObject({ timestamp: s(30), label: 'snapshot em-1-c1-db to become available', timeoutSeconds: 7200, machine: 'Clone' });
    expect(heartbeatText(beats[2]!)).toBe('waiting for snapshot em-1-c1-db to become available: 1 min 30 s of 2 h 00 min, 40 %');
  });

  it("ignore a wait's result left in the state by an earlier loop: only a result checked during this Task counts", () => {
    // A PENDING result checked at 0 s, carried in the output of a Task entered at 600 s (a loop that timed out).
    const stale = check(s(600), 'Delete the temporary stack', 'PENDING', s(0)).map((e) => ({ ...e }));
    const out = stale[1]!.output as { snapshotStatus: { wait: { elapsedSeconds: number } } };
    out.snapshotStatus.wait.elapsedSeconds = 0;
    expect(track(stale, s(900))).toEqual([]);
  });

  it('stop when the check fails (a timeout) or the execution ends', () => {
    const failed = track([...check(s(0), 'Check the snapshots', 'PENDING', s(0)), ev(s(40), 'StateFailed', 'Check the snapshots again', { executionArn: CLONE1, error: 'WaitTimedOut' })], s(600));
    expect(failed.map((b) => b.elapsedSeconds)).toEqual([30]);
    const ended = track([...check(s(0), 'Check the snapshots', 'PENDING', s(0)), ev(s(10), 'ExecutionAborted', undefined, { executionArn: CLONE1 })], s(600));
    expect(ended).toEqual([]);
  });

  it("follow a copy of several invocations with objects and bytes copied of the bucket's total from Migrate's inventory", () => {
    const totals = (objects: number, bytes: number) => ({ objectsCopied: objects - 10, objectsSkipped: 10, bytesCopied: bytes, multipartObjects: 0, deleteMarkersCopied: 0, versionsCleared: 0, requests: objects });
    // Each invocation runs 100 s; the copy is followed from the first one's start.
    const copy = (name: string, at: number, status: string, objects: number, bytes: number) => [
      ev(at - 100_000, 'StateEntered', name, { stateType: 'Task', executionArn: CLONE1 }),
      ev(at, 'StateExited', name, { stateType: 'Task', executionArn: CLONE1, output: { copy: { status, pair: { logicalId: 'UploadsBucket' }, continuation: { totals: totals(objects, bytes), invocations: 1 } } } }),
    ];
    const inventory = { inventory: [{ bucket: { logicalId: 'UploadsBucket' }, versioning: 'Enabled', notCarried: 0, counts: { currentObjects: 3000, noncurrentVersions: 1000, deleteMarkers: 5, bytes: 8 * 1024 ** 3, archived: 0 } }] };
    const beats = track([
      ev(s(0), 'StateExited', 'Count each bucket\'s objects', { stateType: 'Map', output: inventory }),
      ...copy('Copy objects', s(900), 'CONTINUE', 1500, 2 * 1024 ** 3),
      ...copy('Copy more objects', s(1000), 'DONE', 4000, 8 * 1024 ** 3),
    ], s(2000));
    // The first invocation has no figure yet: it beats as a running step (next test).
    expect(beats.slice(0, 3).map((b) => [b.timestamp, b.label, b.copied])).toEqual([830, 860, 890].map((t) => [s(t), 'step "Copy objects" to finish', undefined]));
    expect(beats.slice(3).map((b) => b.copied)).toEqual([
      { objects: 1500, bytes: 2 * 1024 ** 3, totalObjects: 4000, totalBytes: 8 * 1024 ** 3 },
      { objects: 1500, bytes: 2 * 1024 ** 3, totalObjects: 4000, totalBytes: 8 * 1024 ** 3 },
      { objects: 1500, bytes: 2 * 1024 ** 3, totalObjects: 4000, totalBytes: 8 * 1024 ** 3 },
    ]);
    expect(heartbeatText(beats[3]!)).toBe('waiting for copy of bucket UploadsBucket: 2 min 10 s, 1,500 of 4,000 objects, 2.0 GiB of 8.0 GiB copied');
  });

  it('add up the key ranges of a bucket copied in parallel, and end the copy only once every range is done', () => {
    const totals = (objects: number) => ({ objectsCopied: objects, objectsSkipped: 0, bytesCopied: objects * 1024, multipartObjects: 0, deleteMarkersCopied: 0, versionsCleared: 0, requests: objects });
    const out = (at: number, status: string, range: object, objects: number) =>
      ev(at, 'StateExited', 'Copy more objects', { stateType: 'Task', executionArn: CLONE1, output: { copy: { status, pair: { logicalId: 'UploadsBucket' }, continuation: { totals: totals(objects), invocations: 1 }, range } } });
    const inventory = { inventory: [{ bucket: { logicalId: 'UploadsBucket' }, versioning: 'Enabled', notCarried: 0, counts: { currentObjects: 4000, noncurrentVersions: 0, deleteMarkers: 0, bytes: 4000 * 1024, archived: 0 } }] };
    const beats = track([
      ev(s(0), 'StateExited', "Count each bucket's objects", { stateType: 'Map', output: inventory }),
      out(s(100), 'CONTINUE', { upTo: 'm' }, 1000),
      out(s(101), 'CONTINUE', { after: 'm' }, 700),
      // One range is done; the other still copies: the bucket is still followed, with both ranges' objects.
      out(s(120), 'DONE', { upTo: 'm' }, 2000),
      out(s(200), 'DONE', { after: 'm' }, 2000),
    ], s(400));
    const copies = beats.filter((b) => b.label === 'copy of bucket UploadsBucket').map((b) => [b.timestamp, b.copied?.objects]);
    expect(copies).toEqual([[s(130), 2700], [s(160), 2700], [s(190), 2700]]);
  });

  it('beat while one long invocation of a step runs (no output until it ends), with how long it has run; iterations of a Map in one state count once; nothing once it leaves', () => {
    const at = (seconds: number, type: string, name: string) => ev(s(seconds), type, name, { stateType: 'Task', executionArn: CLONE1 });
    const beats = track([
      at(0, 'StateEntered', 'Verify the bucket copy'),
      at(5, 'StateEntered', 'Verify the bucket copy'),
      at(50, 'StateExited', 'Verify the bucket copy'),
      at(95, 'StateExited', 'Verify the bucket copy'),
      at(100, 'StateEntered', 'Compare the statistics'),
      at(110, 'StateExited', 'Compare the statistics'),
    ], s(300));
    expect(beats.map((b) => [b.elapsedSeconds, b.label, b.machine])).toEqual([
      [30, 'step "Verify the bucket copy" to finish', 'Clone'],
      [60, 'step "Verify the bucket copy" to finish', 'Clone'],
      [90, 'step "Verify the bucket copy" to finish', 'Clone'],
    ]);
    expect(beats[0]!.timeoutSeconds).toBeUndefined();
    expect(heartbeatText(beats[2]!)).toBe('waiting for step "Verify the bucket copy" to finish: 1 min 30 s');
  });

  it('say nothing of a running check while its wait is followed: the wait beats, with its figures', () => {
    const beats = track([...check(s(0), 'Check the snapshots', 'PENDING', s(0), { progress: { percent: 10 } }), ev(s(60), 'StateEntered', 'Check the snapshots again', { stateType: 'Task', executionArn: CLONE1 })], s(150));
    expect(beats.map((b) => b.label)).toEqual(Array(5).fill('snapshot em-1-c1-db to become available'));
  });
});

describe('the downtime read from a history', () => {
  it("runs from entering standby to the second Clone's end; waits and checks are the workflow's own time, a Clone's start is not counted as work", () => {
    const clone2Start = ev(s(1000), 'StateEntered', 'Clone the temporary stack to the new version', { stateType: 'Task' });
    const events: ProgressEvent[] = [
      ev(s(0), 'ExecutionStarted'),
      ev(s(100), 'StateEntered', STANDBY_STATE, { stateType: 'Task' }),
      ev(s(101), 'StateExited', STANDBY_STATE, { stateType: 'Task' }),
      ev(s(101), 'StateEntered', 'Wait for the instances', { stateType: 'Wait' }),
      ev(s(341), 'StateExited', 'Wait for the instances', { stateType: 'Wait' }),
      ev(s(341), 'StateEntered', 'Check the instances again', { stateType: 'Task' }),
      ev(s(342), 'StateExited', 'Check the instances again', { stateType: 'Task' }),
      clone2Start,
      ev(s(1000), 'ExecutionStarted', undefined, { executionArn: CLONE2 }),
      ev(s(1000), 'StateEntered', 'Create the destination stack', { stateType: 'Task', executionArn: CLONE2 }),
      ev(s(1002), 'StateExited', 'Create the destination stack', { stateType: 'Task', executionArn: CLONE2 }),
      ev(s(1900), 'ExecutionSucceeded', undefined, { executionArn: CLONE2, output: { outcome: 'EQUAL' } }),
      ev(s(1901), 'StateExited', 'Clone the temporary stack to the new version', { stateType: 'Task' }),
      ev(s(2500), 'ExecutionSucceeded'),
    ];
    const d = downtimeFromHistory(
      events,
      {
        operations: [
          { executionArn: MIGRATE, label: 'instances to enter standby', start: s(101), end: s(342) },
          { executionArn: CLONE2, label: 'stack orders-prod to be created', start: s(1002), end: s(1880) },
        ],
        checkStates: new Set([`${MIGRATE}/Check the instances again`]),
      },
      'Migrate',
      { arns: [CLONE1, CLONE2], startedBy: new Set([`${MIGRATE}/${clone2Start.stateName}`]) },
    )!;
    expect(d).toMatchObject({ seconds: 1800, until: 'verified', measuredFrom: 'history', awsSeconds: 1122 });
    expect(d.path.map((p) => p.label)).toEqual([`${STANDBY_STATE} + instances to enter standby`, 'Create the destination stack + stack orders-prod to be created']);
    // From the standby check (342 s) to the creation (1000 s), and after the stack (1880 s to 1900 s): ours.
    expect(d.overheadSeconds).toBe(678);
    expect(downtimeFromHistory(events.filter((e) => e.stateName !== STANDBY_STATE), { operations: [], checkStates: new Set() }, 'Migrate', { arns: [], startedBy: new Set() })).toBeUndefined();
  });
});
