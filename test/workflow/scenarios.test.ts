/**
 * The synthesized Migrate definition, run locally with the real handlers on the simulated account,
 * for every rehearsal scenario: each must end as docs/design.md says, with every invariant holding on the
 * account's final state (read from the account, not from what the workflow reports).
 */
import { describe, expect, it } from 'vitest';
import { rehearse } from '../../local/rehearsal';
import { SAMPLE_STACK, TARGET_VERSION, TEST_SIZE } from '../../local/sample-environment';
import { SCENARIOS, scenario, tempStackNameOf } from '../../local/scenarios';

/**
 * What the preflight refusals of issue 10 (item 3) must say, checked on the scenario's own run: refused
 * at discovery, before the standby (no snapshot taken), naming the problem and its remedy.
 */
const REFUSED_BEFORE_STANDBY: Record<string, RegExp[]> = {
  'termination-protected': [/termination protection enabled/, /update-termination-protection --no-enable-termination-protection --stack-name orders-prod/],
  'deletion-protected': [/database OrdersDb \([a-z0-9-]+\) of stack orders-prod has deletion protection enabled on the instance/, /--no-deletion-protection/],
  'object-locked': [/bucket UploadsBucket \([^)]+\) of stack orders-prod has S3 Object Lock enabled/, /Move the bucket out of the environment's stack/],
  'mfa-delete': [/bucket UploadsBucket \([^)]+\) of stack orders-prod has MFA delete enabled/, /MFADelete=Disabled/],
  'snapshot-quota-full': [/manual DB snapshot quota is too small: 0 of 1 used, and the migration needs 2 more/, /Delete manual snapshots no longer needed/],
  'uncopied-table': [/resource SessionsTable of stack orders-prod \(AWS::DynamoDB::Table, [^)]+\) holds data the migration does not copy/, /"acceptUncopiedResources": \["SessionsTable"\]/],
};

describe('Migrate, rehearsed on the simulated account', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: ends ${s.expected.outcome} with the data in the ${s.expected.survivor === 'temp' ? 'temporary stack' : 'stack named orders-prod'} and every invariant held`, async () => {
      const result = await rehearse(s, { size: TEST_SIZE });
      expect(result.violations).toEqual([]);
      expect(result.outcome).toBe(s.expected.outcome);
      const expectedSurvivor = s.expected.survivor === 'temp' ? tempStackNameOf(SAMPLE_STACK, result.executionArn) : SAMPLE_STACK;
      expect(result.survivor).toBe(expectedSurvivor);
      expect(result.dataIntact).toBe(true);
      expect(result.notifications).toBe(1);
      expect(result.report.notifications[0]!.message).toContain(expectedSurvivor);
      // Errors say what was found: a Clone's own error, never the States.TaskFailed wrapping it; never a
      // StatisticsMismatch whose cause says the statistics are equal.
      if (s.expected.error) expect(result.error).toBe(s.expected.error);
      expect(result.error).not.toBe('States.TaskFailed');
      if (result.error === 'StatisticsMismatch') expect(result.cause).not.toMatch(/: statistics equal/);
      // Every state of Migrate and its Clones under half of Step Functions' 256 KiB (uncatchable past it).
      expect(result.maxStateBytes, result.largestState).toBeGreaterThan(0);
      expect(result.maxStateBytes, result.largestState).toBeLessThanOrEqual(128 * 1024);
      // large-statistics: documents over 1 MB, compared in full, never in the state.
      if (s.environment?.extraTables) expect((result.statisticsBefore as { bytes: number }).bytes).toBeGreaterThan(1_000_000);
      const refusal = REFUSED_BEFORE_STANDBY[s.name];
      if (refusal) {
        expect(result.error).toBe('PreflightFailed');
        expect(result.snapshotsMade).toBe(0);
        expect(result.report.notifications[0]!.message).toContain('Failed at state: "Discover the environment"');
        for (const pattern of refusal) expect(result.report.notifications[0]!.message).toMatch(pattern);
      }
      // The downtime (standby → verified) and where it went: none when refused before the standby;
      // otherwise the critical path's AWS time and the workflow's own add up to the window.
      // (A live sync takes no snapshot before its standby: no snapshot says nothing of it there.)
      if (refusal || (result.snapshotsMade === 0 && s.input.liveSync !== true)) expect(result.downtime).toBeUndefined();
      else {
        const d = result.downtime!;
        expect(d.until).toBe(result.outcome === 'succeeded' ? 'verified' : 'ended');
        expect(d.path.length).toBeGreaterThan(0);
        expect(Math.abs(d.awsSeconds + d.overheadSeconds - d.seconds)).toBeLessThanOrEqual(1);
      }
      // Accepted, the uncopied table is named in the success notification, never dropped silently.
      if (s.name === 'uncopied-table-accepted') expect(result.report.notifications[0]!.message).toMatch(/NOT COPIED: SessionsTable \(AWS::DynamoDB::Table, [^)]+\): not copied \(acceptUncopiedResources\)/);
    });
  }

  it('happy: the environment serves the target version, with the statistics it had before; no 30 simulated seconds of a wait pass without a heartbeat', async () => {
    const lines: Record<string, unknown>[] = [];
    const result = await rehearse(scenario('happy'), { size: TEST_SIZE, jsonLine: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const at = (l: Record<string, unknown>) => Date.parse(String(l.at));
    const beats = lines.filter((l) => l.event === 'heartbeat');
    // Each kind of wait says what it saw: the snapshot's percent, the stack's newest events.
    expect(beats.some((b) => /^snapshot .* to become available$/.test(String(b.label)) && typeof b.percent === 'number')).toBe(true);
    expect(beats.some((b) => /^stack .* to be created$/.test(String(b.label)) && (b.latestEvents as string[]).length > 0)).toBe(true);
    // A wait's beat gives its timeout; a long invocation's (`step "…" to finish`) has its Lambda's, not in the history's events.
    const waitBeats = beats.filter((b) => !String(b.label).startsWith('step "'));
    expect(waitBeats.every((b) => typeof b.elapsedSeconds === 'number' && typeof b.timeoutSeconds === 'number' && (b.elapsedSeconds as number) <= (b.timeoutSeconds as number))).toBe(true);
    // Inside every Wait state, from entering it to the execution's next state: a line at least every 30 s.
    const states = lines.filter((l) => l.event === 'state');
    let waits = 0;
    for (const [i, w] of states.entries()) {
      if (w.type !== 'StateEntered' || w.stateType !== 'Wait') continue;
      const next = states.slice(i + 1).find((l) => l.executionArn === w.executionArn);
      if (!next) continue;
      waits++;
      const points = [at(w), ...beats.filter((b) => b.executionArn === w.executionArn && at(b) > at(w) && at(b) < at(next)).map(at), at(next)];
      for (let k = 1; k < points.length; k++) expect(points[k]! - points[k - 1]!, `${String(w.state)} at ${String(w.at)}`).toBeLessThanOrEqual(30_000);
    }
    expect(waits).toBeGreaterThan(5);
    expect(result.outcome).toBe('succeeded');
    expect(result.survivorVersion).toBe(TARGET_VERSION);
    expect(result.statisticsAfter).toEqual(result.statisticsBefore);
    // Every version was copied twice (current → temp → new), none skipped on a fresh destination: each
    // object once, plus the seeded history's later versions (4 keys: 2 overwritten, 1 deleted and
    // written again, 1 only deleted — a delete marker, which is no copy), plus the fixed real-account
    // objects: one multipart upload, three takes of a rewritten avatar, one avatar under a delete marker.
    const versions = TEST_SIZE.objects + 6 + (TEST_SIZE.largeObject ? 1 : 0) + 3 + 5;
    expect(result.objectsCopied).toBe(2 * versions);
    expect(result.snapshotsMade).toBe(2);
  });

  it('stats-mismatch-first-clone: the notification names the statistics that differ and the stack that holds the data', async () => {
    const result = await rehearse(scenario('stats-mismatch-first-clone'), { size: TEST_SIZE });
    const [message] = result.report.notifications;
    expect(message!.subject).toContain(SAMPLE_STACK);
    expect(message!.message).toMatch(/customers\.count/);
    expect(result.error).toBe('StatisticsMismatch');
  });

  it('batch-proof: the object no rule of the step can prove is proven by Compute checksum jobs on both sides, and the run succeeds', async () => {
    const result = await rehearse(scenario('batch-proof'), { size: TEST_SIZE });
    expect(result.outcome).toBe('succeeded');
    // Clone 1 proves the video by batch; clone 2 by the CRC64NVME the first copy wrote on both sides. Nothing left not comparable.
    expect(result.comparedBy).toMatchObject({ batch: 1, checksum: 1, notComparable: 0 });
  });

  it('stack-owned-kms-key: the preflight refuses before the standby, naming the key, its ARN, the database and the remedy', async () => {
    const result = await rehearse(scenario('stack-owned-kms-key'), { size: TEST_SIZE });
    expect(result.error).toBe('PreflightFailed');
    expect(result.snapshotsMade).toBe(0);
    const [message] = result.report.notifications;
    expect(message!.message).toContain('Failed at state: "Discover the environment"');
    expect(message!.message).toMatch(/KMS key DataKey \(arn:aws:kms:[^)]+:key\/[0-9a-f-]+\) belongs to stack orders-prod and encrypts database OrdersDb/);
    expect(message!.message).toContain('Set DeletionPolicy: Retain and UpdateReplacePolicy: Retain on DataKey');
  });
});

describe('the new template, checked before the standby (issue 10 items 1 and 4)', () => {
  it('new-template-renamed-bucket and new-template-missing-parameter: refused at discovery, before any snapshot or standby, the notification naming the bucket or the parameter', async () => {
    for (const [name, expected] of [
      ['new-template-renamed-bucket', /bucket ReportsBucket \(AWS::S3::Bucket\) of orders-prod has no partner in the new template [^ ]+renamed-bucket\.yaml \(its buckets not in orders-prod: ReportArchiveBucket/],
      ['new-template-missing-parameter', /parameter AlertEmail of the new template [^ ]+alert-email\.yaml has no default and gets no value: give it in parameters/],
    ] as const) {
      const result = await rehearse(scenario(name), { size: TEST_SIZE });
      expect(result.error, name).toBe('PreflightFailed');
      expect(result.snapshotsMade, name).toBe(0);
      const [message] = result.report.notifications;
      expect(message!.message, name).toContain('Failed at state: "Discover the environment"');
      expect(message!.message, name).toMatch(expected);
    }
  });
});
