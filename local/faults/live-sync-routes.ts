/**
 * The routes of the live-sync fault matrix (issue 12): double-clone migrations of the sample with
 * liveSync, each entering a part of what live sync adds: the copy made while orders-prod serves (the
 * `<runId>-live` Clone: the destination created with a read replica, the promotion's change set
 * planned and read, every bucket pre-copied), the catch-up and the promotion after the standby (the
 * FINISH clone, c1), and phase A stopping the live copy. Blue/green with live sync runs the same
 * Clone states and the same Migrate state; its path after the clone is blue/green's own matrix.
 */
import { LIVE_SYNC_CLONE_TASK_STATES } from '../../statemachine/clone';
import { LIVE_COPY_STATE } from '../../statemachine/migrate';
import { denyFirstCall, FAULT_KINDS, type MatrixOptions, type Route } from './matrix';

/** The routes, in order of preference: a state's cells use the first route that enters it. */
export const LIVE_SYNC_ROUTES: Route[] = [
  {
    name: 'live-happy',
    description: 'orders-prod to 1.4.0 with liveSync: the temporary copy prepared while it serves, its replica caught up and promoted after the standby',
    spec: { liveSync: true },
  },
  {
    name: 'live-replica-stalls',
    description: "the temporary copy's read replica never catches up: past the catch-up wait, phase A deletes the copy and orders-prod returns to service",
    spec: { liveSync: true },
    arm: ({ account, tempStackName }) => {
      account.faults.silent.replicaStalls = { onlyInstancesOfStack: tempStackName };
    },
  },
  {
    name: 'live-precopy-fails',
    description: "the pre-copy fails while orders-prod still serves: phase A before any standby, the copy and its replica deleted",
    spec: { liveSync: true },
    arm: ({ account }) => void account.faults.add(denyFirstCall('Clone live: Pre-copy objects', 'copy-bucket')),
  },
];

/** Migrate's own states of live sync (the PREPARE clone's task, and phase A stopping it). */
const LIVE_MIGRATE_STATES = new Set([LIVE_COPY_STATE, 'Stop the copy made while serving']);
/** The FINISH clone's states of live sync: the catch-up and the promotion (its copy and verification are the double clone's). */
const LIVE_FINISH_STATES = new Set<string>(LIVE_SYNC_CLONE_TASK_STATES);

/**
 * The live-sync matrix: every Task state live sync adds × every kind that applies, plus silent loss in
 * the pre-copy (an object it skips without a word must still be in the verified copy).
 */
export const LIVE_SYNC_MATRIX: MatrixOptions = {
  machines: ['Migrate', 'Clone'],
  clones: ['c1', 'live'],
  routes: LIVE_SYNC_ROUTES,
  reachedOnly: true,
  filter: (t) => (t.machine === 'Migrate' && LIVE_MIGRATE_STATES.has(t.state)) || t.clone === 'live' || (t.clone === 'c1' && LIVE_FINISH_STATES.has(t.state)),
  // Silent loss where live sync moves data: the pre-copy (the delta after the standby must repair it).
  kindsFor: (t) => (t.clone === 'live' && t.state === 'Pre-copy objects' ? FAULT_KINDS : FAULT_KINDS.filter((k) => k !== 'silent-loss')),
};
