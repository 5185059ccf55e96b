import type { CopyTotals } from './contracts';

/**
 * One bucket's copy totals from its key ranges' (Clone copies a bucket as several ranges in
 * parallel; verify-bucket is given each range's totals and reports their sum as the bucket's).
 * A single CopyTotals is returned as it is. A range that stopped for a cancel request has no totals
 * (its fields are absent) and counts as 0. versionsRemoved is present when one of the ranges counted it.
 */
export function sumCopyTotals(totals: CopyTotals | readonly CopyTotals[] | undefined): CopyTotals | undefined {
  if (totals === undefined) return undefined;
  if (!Array.isArray(totals)) return totals as CopyTotals;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const sum: CopyTotals = { objectsCopied: 0, objectsSkipped: 0, bytesCopied: 0, multipartObjects: 0, deleteMarkersCopied: 0, versionsCleared: 0, requests: 0 };
  for (const t of totals as readonly Partial<CopyTotals>[]) {
    sum.objectsCopied += n(t.objectsCopied);
    sum.objectsSkipped += n(t.objectsSkipped);
    sum.bytesCopied += n(t.bytesCopied);
    sum.multipartObjects += n(t.multipartObjects);
    sum.deleteMarkersCopied += n(t.deleteMarkersCopied);
    sum.versionsCleared += n(t.versionsCleared);
    sum.requests += n(t.requests);
    if (typeof t.versionsRemoved === 'number') sum.versionsRemoved = (sum.versionsRemoved ?? 0) + t.versionsRemoved;
  }
  return sum;
}
