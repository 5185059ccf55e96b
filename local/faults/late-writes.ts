/**
 * Fault routes that attack the last proof before the original's deletion (issue 9, items 2 and 7):
 * a late write to the original after clone 1's verification, an object PUT (its bucket and its
 * statistics change) or a row (only its statistics change); and listings slow enough that the
 * inventory and the recheck each need more than one invocation. Each must end with the original
 * kept, back in service, the temporary copy deleted and one notification naming what changed; the
 * invariants check that the survivor holds the late write too (local/late-writes.ts amends the baseline).
 */
import { recordKey } from '../sim/environment-data';
import { armLateWrites, lateObject, lateRow } from '../late-writes';
import { SAMPLE_STACK } from '../sample-environment';
import type { TimingProfile } from '../sim/core';
import type { Route } from './matrix';
import { LIGHT_TIMING, isRunning } from './runner';

/** A ListObjectVersions page this slow leaves less than the steps' safety margin of a 900 s invocation. */
const SLOW_PAGE_MS = 800_000;
const SLOW_LISTERS = ["Migrate: Count the bucket's objects", "Migrate: Count more of the bucket's objects", 'Migrate: Prove the original unchanged', 'Migrate: Prove more of the original unchanged'];

/** LIGHT_TIMING, with each ListObjectVersions page slow while the inventory or the recheck lists. */
const SLOW_LISTING: TimingProfile = new Proxy(LIGHT_TIMING, {
  get(target, property, receiver) {
    const base = Reflect.get(target, property, receiver) as unknown;
    if (property === 'latencyMs' && SLOW_LISTERS.some(isRunning)) return { ...(base as Record<string, number>), 'S3.ListObjectVersions': SLOW_PAGE_MS };
    return base;
  },
});

/** Whether the last run's late writes happened (a route whose write never fired proves nothing). */
export const lateWriteFired = { object: false, row: false };

export const LATE_WRITE_ROUTES: Route[] = [
  {
    name: 'late-object',
    description: "an object is PUT into the original's UploadsBucket after clone 1's verification: the original is kept (OriginalChangedAfterVerification, phase A)",
    spec: {},
    arm: ({ account, baseline }) => {
      lateWriteFired.object = false;
      armLateWrites(account, baseline, [lateObject(SAMPLE_STACK, 'UploadsBucket', 'uploads/late/export.json', '{"late":true}\n')], () => void (lateWriteFired.object = true));
    },
  },
  {
    name: 'late-row',
    description: "a row is written into the original's database after clone 1's verification: its statistics move, its buckets do not; the original is kept",
    spec: {},
    arm: ({ account, baseline }) => {
      lateWriteFired.row = false;
      armLateWrites(account, baseline, [lateRow(SAMPLE_STACK, 'OrdersDb', 'orders', { id: 'order-late', total: 12 })], () => void (lateWriteFired.row = true));
    },
  },
  {
    name: 'slow-listing',
    description: 'listing a bucket page takes most of an invocation: the inventory and the recheck continue in further invocations',
    spec: { timing: SLOW_LISTING },
    arm: ({ account, baseline }) => {
      // 1,001 versions of one key: two ListObjectVersions pages in the versioned UploadsBucket. Part
      // of the original from the start, so part of its baseline too.
      const uploads = account.cloudformation.resourcesOf(SAMPLE_STACK).find((r) => r.logicalId === 'UploadsBucket')!.physicalId;
      const key = 'uploads/log/rolling.txt';
      for (let i = 0; i <= 1000; i++) account.s3.putObjectDirect(uploads, key, { body: `line ${i}\n` });
      if (baseline) recordKey(account, baseline.data, 'UploadsBucket', uploads, key);
    },
  },
];
