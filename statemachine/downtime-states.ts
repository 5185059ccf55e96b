/**
 * The Migrate states that bound the downtime, by name: the one that puts the instances in standby
 * (the service stops) and the second clone, whose end is the new environment verified. The
 * definition names its states with these; `watch`, `rehearse` and `report` find the downtime in an
 * execution's history by them. No import here: the packaged CLI reads it without aws-cdk-lib.
 */
export const STANDBY_STATE = 'Put the instances in standby';
export const SECOND_CLONE_STATE = 'Clone the temporary stack to the new version';
/**
 * Blue/green: the state entered once the switch of the entry point is INSYNC (Route 53 has applied
 * it on every authoritative server): from then the new slot serves. Its first entry ends the
 * downtime, less the resolvers' caches (the record's TTL), which the figures add where they say so.
 */
export const SWITCHED_STATE = 'Smoke test through the entry point';
/**
 * Blue/green: the state entered once the new slot answered through the entry point (the smoke test
 * through the record passed), whatever happens after it: the switch ended the downtime. A run that
 * never enters it never switched or switched back, and its downtime runs to the end of the execution.
 */
export const SERVED_STATE = 'Schedule the retire run';
