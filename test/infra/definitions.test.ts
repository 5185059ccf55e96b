import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { CANCEL_CHECK_STEPS } from '../../infra/step-permissions';
import { CHECKSUM_JOB_TIMEOUT_SECONDS, STEPS } from '../../lambdas/steps';
import { TASK_TIMEOUT_MARGIN_SECONDS } from '../../statemachine/building-blocks';
import { allStates, synth, type AslDefinition, type AslState } from './synth';

const machines = (): [string, AslDefinition][] => [
  ['Migrate', synth().migrate],
  ['Clone', synth().clone],
];

function lambdaTasks(definition: AslDefinition): [string, AslState][] {
  return [...allStates(definition)].filter(([, s]) => s.Type === 'Task' && synth().steps.has(s.Resource ?? ''));
}

describe('state machine definitions', () => {
  it('pass the local executor validation (aws-local-stepfunctions validates the ASL by default)', () => {
    for (const [name, definition] of machines()) {
      expect(() => new StateMachine(definition as never), name).not.toThrow();
    }
  });

  it('never test a path for absence (IsPresent false): the local executor evaluates it as never true where AWS finds the path absent, so what is tested here would not be what runs', () => {
    // aws-local-stepfunctions returns `IsPresent && value !== undefined` for an IsPresent rule.
    for (const [name, definition] of [...machines(), ['Retire', synth().retire] as [string, AslDefinition], ['Rollback', synth().rollback] as [string, AslDefinition]]) {
      expect(JSON.stringify(definition), name).not.toContain('"IsPresent":false');
    }
  });

  it('are JSONPath only: no JSONata, no variables', () => {
    for (const [name, definition] of machines()) {
      const text = JSON.stringify(definition);
      expect(text, name).not.toContain('JSONata');
      expect(text, name).not.toContain('{%');
      expect(text, name).not.toContain('"Assign"');
    }
  });

  it('name the forward states of Migrate as sentences', () => {
    const names = Object.keys(synth().migrate.States);
    expect(names).toEqual(
      expect.arrayContaining([
        'Validate the input',
        'Lock the environment',
        'Find the running migration',
        'Discover the environment',
        'Put the instances in standby',
        'Instances in standby?',
        'Clone the environment to a temporary stack',
        'Is the temporary copy identical?',
        'Delete the current environment',
        'Current environment deleted?',
        'Clone the temporary stack to the new version',
        'Is the new environment identical?',
        'Delete the temporary stack',
        'Temporary stack deleted?',
        "Delete this migration's snapshots",
        'Release the lock',
        'Compose the notification',
        'Publish the notification',
        'Report the migration',
        'Delete the temporary copy',
        'Bring the instances back into service',
        'Delete the mismatched new environment',
        'Input rejected',
        'Temporary copy differs',
        'New environment differs',
      ]),
    );
  });

  it('name the states of Clone as sentences', () => {
    const names = [...allStates(synth().clone)].map(([n]) => n);
    expect(names).toEqual(
      expect.arrayContaining([
        'Discover the source stack',
        'Snapshot the source databases',
        'Snapshots ready?',
        'Wait for the snapshots',
        'Snapshot failed',
        'Create the destination stack',
        'Stack created?',
        'Delete the failed stack',
        'Stack creation failed',
        'Discover the destination stack',
        'Copy each bucket',
        'Copy objects',
        'All objects copied?',
        'Verify the bucket copy',
        'Smoke test passed?',
        'Compare the statistics',
        'Tally the verification',
        'Is the copy identical?',
      ]),
    );
  });

  it('prove with S3 Batch Operations what the verification cannot: PROOF_NEEDED → both jobs started → Wait → status → Choice loops → the second pass, which may only answer EQUAL or MISMATCH', () => {
    const states = new Map(allStates(synth().clone));
    const get = (n: string) => {
      const s = states.get(n);
      if (!s) throw new Error(`Clone has no state "${n}"`);
      return s;
    };
    const choices = (n: string) => (get(n).Choices ?? []) as { Variable: string; StringEquals: string; Next: string }[];
    expect(choices('All of the bucket verified?')).toContainEqual(expect.objectContaining({ Variable: '$.verification.status', StringEquals: 'PROOF_NEEDED', Next: 'Start the source checksum job' }));
    expect(get('Start the source checksum job').Next).toBe('Start the destination checksum job');
    expect(get('Start the destination checksum job').Next).toBe('Check the source checksum job');
    for (const [side, title, after] of [['source', 'Source', 'Check the destination checksum job'], ['destination', 'Destination', 'Verify the bucket copy with the checksums']] as const) {
      const ready = choices(`${title} checksums computed?`);
      // READY and FAILED both go on: a failed job makes its versions NOT_COMPARABLE in the second pass.
      // A cancel request the status step found first (env-migrator cancel), then READY and FAILED.
      expect(ready.map((c) => [c.StringEquals, c.Next])).toEqual([[undefined, `Take the cancel request (${title} checksums computed?)`], ['READY', after], ['FAILED', after]]);
      expect(get(`${title} checksums computed?`).Default).toBe(`Wait for the ${side} checksum job`);
      expect(get(`Wait for the ${side} checksum job`)).toMatchObject({ Type: 'Wait', SecondsPath: `$.proof.${side}.wait.nextDelaySeconds`, Next: `Check the ${side} checksum job again` });
      expect((get(`Check the ${side} checksum job`).Parameters as Record<string, unknown>)['timeoutSeconds.$']).toBe('$.checksumJobSeconds');
    }
    const prove = get('Verify the bucket copy with the checksums');
    expect(prove.Parameters).toMatchObject({ 'continuation.$': '$.verification.continuation', proofResults: { 'source.$': '$.proof.source', 'destination.$': '$.proof.destination' } });
    expect(prove.Next).toBe('Checksums compared?');
    expect(choices('Checksums compared?').map((c) => c.StringEquals)).toEqual(['EQUAL', 'MISMATCH']);
    expect(get('Checksums compared?').Default).toBeUndefined();
    // The Map gives every item the bound of one job's wait.
    const map = get('Copy each bucket');
    expect((map.ItemSelector as Record<string, unknown>).checksumJobSeconds).toBe(CHECKSUM_JOB_TIMEOUT_SECONDS);
  });

  it('keep state names within the 80 characters Step Functions allows', () => {
    for (const [name, definition] of machines()) {
      for (const [state] of allStates(definition)) expect(state.length, `${name}: ${state}`).toBeLessThanOrEqual(80);
    }
  });

  it('start Clone from Migrate with startExecution.sync:2 and a deterministic execution name', () => {
    const clones = Object.entries(synth().migrate.States).filter(([, s]) => s.Resource?.includes(':states:::states:startExecution'));
    // Blue/green's clone into the idle slot is named -c1 too: phase A's "Stop the first clone" stops either.
    // A live sync's PREPARE is -live: phase A's "Stop the copy made while serving" stops it.
    expect(clones.map(([n]) => n).sort()).toEqual(['Clone the environment to a temporary stack', 'Clone the live slot into the idle slot', 'Clone the temporary stack to the new version', 'Copy while the environment serves']);
    for (const [, s] of clones) {
      expect(s.Resource).toBe('arn:aws:states:::states:startExecution.sync:2');
      expect((s.Parameters as Record<string, string>)['Name.$']).toMatch(/^States\.Format\('\{\}-(c[12]|live)', \$\.runId\)$/);
      expect(s.TimeoutSeconds).toBeGreaterThan(3600);
    }
  });

  it('never retry States.ALL, nor any permanent error', () => {
    const permanent = ['States.ALL', 'States.TaskFailed', 'InputInvalid', 'PreflightFailed', 'DeletionRefused', 'ResourceConflict', 'AwsAccessDenied', 'WaitTimedOut', 'CopyFailed'];
    for (const [name, definition] of machines()) {
      for (const [state, s] of allStates(definition)) {
        for (const retry of s.Retry ?? []) {
          for (const p of permanent) expect(retry.ErrorEquals, `${name}: ${state}`).not.toContain(p);
        }
      }
    }
  });

  it('call every Lambda with its function ARN, a timeout of the step timeout + 30 s, and the transient retry with full jitter', () => {
    for (const [name, definition] of machines()) {
      const tasks = lambdaTasks(definition);
      expect(tasks.length, name).toBeGreaterThan(5);
      for (const [state, s] of tasks) {
        const step = synth().steps.get(s.Resource!)!;
        expect(s.TimeoutSeconds, `${name}: ${state}`).toBe(STEPS[step].timeoutSeconds + TASK_TIMEOUT_MARGIN_SECONDS);
        expect(s.Retry, `${name}: ${state}`).toContainEqual({
          ErrorEquals: ['AwsThrottled', 'AwsUnavailable'],
          IntervalSeconds: 2,
          BackoffRate: 2,
          MaxAttempts: 6,
          JitterStrategy: 'FULL',
        });
        expect(s.Retry!.some((r) => r.ErrorEquals.includes('Lambda.ServiceException')), `${name}: ${state}`).toBe(true);
      }
    }
  });

  it('give every task of Migrate a Catch of States.ALL, so no failure ends it without the notification', () => {
    // A task inside a Map fails its iteration, and so the Map: the Map's own Catch stands for them.
    for (const [state, s] of Object.entries(synth().migrate.States)) {
      const runsTasks = s.Type === 'Map' && JSON.stringify(s).includes('"Type":"Task"');
      if (s.Type !== 'Task' && !runsTasks) continue;
      expect(s.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')), state).toBe(true);
    }
  });

  it('reach every Fail state of Migrate only through the ending: compose, publish, release the lock', () => {
    const states = synth().migrate.States;
    const fails = Object.keys(states).filter((n) => states[n]!.Type === 'Fail');
    expect(fails.length).toBeGreaterThanOrEqual(5);
    for (const [name, s] of Object.entries(states)) {
      const targets = [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)];
      const failTargets = targets.filter((t): t is string => t !== undefined && fails.includes(t));
      if (failTargets.length) expect(name).toBe('How did it end?');
    }
  });

  it('give Parameters as objects only (CDK renders a path payload of a payloadResponseOnly task as a string)', () => {
    for (const [name, definition] of machines()) {
      for (const [state, s] of allStates(definition)) {
        if ('Parameters' in s) expect(typeof s.Parameters === 'object' && s.Parameters !== null && !Array.isArray(s.Parameters), `${name}: ${state}`).toBe(true);
      }
    }
  });

  it('never use ResultPath "$" (the local executor would add a field named "$")', () => {
    for (const [name, definition] of machines()) {
      for (const [state, s] of allStates(definition)) {
        expect(s.ResultPath, `${name}: ${state}`).not.toBe('$');
        for (const c of s.Catch ?? []) expect(c.ResultPath, `${name}: ${state} catch`).not.toBe('$');
      }
    }
  });

  it('wait with the delay the status step computed', () => {
    for (const [name, definition] of machines()) {
      const waits = [...allStates(definition)].filter(([, s]) => s.Type === 'Wait');
      expect(waits.length, name).toBeGreaterThan(0);
      for (const [state, s] of waits) expect(s.SecondsPath, `${name}: ${state}`).toMatch(/\.wait\.nextDelaySeconds$/);
    }
  });

  it('every cancel read is the same safe point: a consistent GetItem of this execution\'s lock, retried, whose failure goes on to the state it guards, never to a compensation', () => {
    const reads: string[] = [];
    for (const [machine, definition] of machines()) {
      const states = new Map(allStates(definition));
      for (const [name, state] of states) {
        if (!name.startsWith('Read any cancel request (')) continue;
        reads.push(`${machine}: ${name}`);
        const where = name.slice('Read any cancel request ('.length, -1);
        expect(state.Resource, name).toBe('arn:aws:states:::dynamodb:getItem');
        expect(state.Parameters, name).toMatchObject({ ConsistentRead: true, Key: { stackName: { 'S.$': machine === 'Migrate' && where !== "Count the bucket's objects" && where !== "Count more of the bucket's objects" ? '$.input.stackName' : expect.stringMatching(/^\$\.(cancellation\.)?stackName$/) } } });
        expect(state.Retry?.length, name).toBeGreaterThan(0);
        // The guarded state: where the Choice goes when no request is found.
        const requested = states.get(state.Next ?? '');
        expect(requested?.Type, name).toBe('Choice');
        expect(state.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], Next: requested!.Default, ResultPath: null }]);
        const ours = states.get((requested!.Choices ?? [])[0]!.Next)!;
        expect(ours.Default, name).toBe(requested!.Default);
        expect(ours.Choices, name).toEqual([expect.objectContaining({ Variable: '$.cancelCheck.Item.owner.S', StringEqualsPath: '$.execution.id' })]);
        // A request found: its text kept where every cancelled state reads it, then that state.
        const take = states.get((ours.Choices ?? [])[0]!.Next)!;
        expect(take, name).toMatchObject({ Type: 'Pass', InputPath: '$.cancelCheck.Item.cancelRequested.S', ResultPath: '$.cancelRequest' });
      }
    }
    // Only between phases: the loops read the request through their steps (next test).
    expect(reads.sort()).toEqual([
      'Clone: Read any cancel request (Report the prepared copy)',
      'Clone: Read any cancel request (Run a smoke test?)',
      'Migrate: Read any cancel request (Begin deleting the current environment)',
      'Migrate: Read any cancel request (Copy while the environment serves)',
      'Migrate: Read any cancel request (Prepare the catch-up of the idle slot)',
      'Migrate: Read any cancel request (Prepare the catch-up of the temporary copy)',
      'Migrate: Read any cancel request (Prepare the clone into the idle slot)',
      'Migrate: Read any cancel request (Prepare the first clone)',
      'Migrate: Read any cancel request (Prepare the second clone)',
      'Migrate: Read any cancel request (Put the instances in standby)',
      // Blue/green: the last safe point before the entry point changes (phase A undoes the run).
      'Migrate: Read any cancel request (Record the switch)',
    ]);
  });

  it("every forward loop obeys a cancel request through its step: each call is given the lock's key and its Choice tests the step's answer first; no compensation loop does", () => {
    const obeying: string[] = [];
    for (const [machine, definition] of machines()) {
      const states = new Map(allStates(definition));
      for (const [name, state] of lambdaTasks(definition)) {
        const payload = (state.Parameters ?? {}) as Record<string, unknown>;
        const ref = payload['cancellation.$'] ?? payload.cancellation;
        if (ref === undefined) continue;
        const step = synth().steps.get(state.Resource ?? '');
        expect(CANCEL_CHECK_STEPS, `${machine}: ${name} gives ${step} a cancellation its handler must obey`).toContain(step);
        expect(ref, name).toEqual(machine === 'Clone' ? '$.cancellation' : { 'stackName.$': expect.stringMatching(/^\$\.(input\.)?stackName$/) });
        const choice = states.get(state.Next ?? '')!;
        const first = (choice.Choices ?? [])[0] as { Variable: string; IsPresent: boolean; Next: string };
        expect(first, `${machine}: ${name}`).toEqual({ Variable: `${state.ResultPath}.cancelRequested`, IsPresent: true, Next: expect.stringMatching(/^Take the cancel request \(/) });
        expect(states.get(first.Next), name).toMatchObject({ Type: 'Pass', InputPath: `${state.ResultPath}.cancelRequested`, ResultPath: '$.cancelRequest' });
        obeying.push(`${machine}: ${state.Next}`);
      }
    }
    expect([...new Set(obeying)].sort()).toEqual([
      'Clone: All objects copied?',
      'Clone: All objects pre-copied?',
      'Clone: All of the bucket verified?',
      'Clone: Destination checksums computed?',
      'Clone: Replicas caught up?',
      'Clone: Smoke test passed?',
      'Clone: Snapshots ready?',
      'Clone: Source checksums computed?',
      'Clone: Stack created?',
      'Migrate: Bucket counted?',
      'Migrate: Current environment deleted?',
      // Blue/green, after the switch: a request there switches back (the switch's compensation).
      'Migrate: Does the new slot answer through the entry point?',
      'Migrate: Instances in standby?',
      'Migrate: Original proven unchanged?',
      'Migrate: Switch in sync?',
    ]);
  });

  it('bound both executions by the migration timeout', () => {
    expect(synth().migrate.TimeoutSeconds).toBe(60 * 3600);
    expect(synth().clone.TimeoutSeconds).toBe(60 * 3600);
  });
});
