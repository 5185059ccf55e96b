/**
 * STOPGAP until the construct and the harness create the workflow's bucket themselves (being wired
 * in separately): the bucket the steps keep documents in (manifests, difference lists), created in
 * the simulated account and named in WORKFLOW_BUCKET. Delete this file and its one call in
 * harness.ts once that lands.
 */
import type { SimAccount } from './sim/account';

export const LOCAL_WORKFLOW_BUCKET = 'env-migrator-workflow-123456789012';

export function ensureWorkflowBucket(account: SimAccount): void {
  process.env.WORKFLOW_BUCKET ??= LOCAL_WORKFLOW_BUCKET;
  const name = process.env.WORKFLOW_BUCKET;
  if (!account.s3.bucketExists(name)) account.s3.createBucket(name);
}
