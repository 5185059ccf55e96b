/**
 * Fault routes of the original's deletion (issue 10, item 2): a failure of "Delete the current
 * environment" before anything of the original was deleted must return it to service (phase A, the
 * temporary copy deleted), never leave it in standby with the data said to be in the copy. The
 * invariants check that an original still whole is back in service and named as the survivor.
 */
import { SAMPLE_STACK } from '../sample-environment';
import type { Route } from './matrix';
import { isRunning, outsideState } from './runner';
import { taskHooks } from './state-context';

const DELETE_CURRENT = 'Migrate: Delete the current environment';

export const DELETION_ROUTES: Route[] = [
  {
    name: 'deletion-denied-before-emptying',
    description: "delete-stack's first read of the original is denied (AccessDenied, nothing deleted): DeletionNotStarted, phase A, the original back in service",
    spec: {},
    arm: ({ account }) =>
      void account.faults.add({ kind: 'error', match: () => isRunning(DELETE_CURRENT), times: 1, error: { code: 'AccessDenied', message: 'User is not authorized to perform this operation (simulated fault)', httpStatusCode: 403 } }),
  },
  {
    name: 'mfa-delete-after-preflight',
    description: "MFA delete is turned on for the original's UploadsBucket after the preflight: the emptying is refused as a whole, nothing deleted, phase A",
    spec: {},
    arm: ({ account }) => {
      taskHooks.beforeTask = async (s) => {
        if (s.state !== 'Delete the current environment' || s.invocation !== 1) return;
        const uploads = account.cloudformation.resourcesOf(SAMPLE_STACK).find((r) => r.logicalId === 'UploadsBucket')!.physicalId;
        await outsideState(() => account.s3.setMfaDelete(uploads, true));
      };
    },
  },
];
