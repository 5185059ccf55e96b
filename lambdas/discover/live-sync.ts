/**
 * The live-sync preflight (issue 12; docs/design.md invariant 9): before the standby, whether every
 * database of the stack can be carried as a read replica, each reason naming the database and what
 * to do. A refusal here costs nothing: the state machine refuses (LiveSyncNotPossible) or falls back
 * to snapshots, as the input's liveSyncFallback says, while the environment still serves.
 */
import type { DBInstance } from '@aws-sdk/client-rds';
import { REPLICA_SOURCE_PARAMETER_SUFFIX } from '../shared/cfn-template';
import type { LiveSyncPlan, NewTemplateCheck } from '../shared/contracts';

/**
 * Engines whose DB instances the workflow carries as read replicas of the same Region. RDS also
 * makes read replicas of Oracle and SQL Server, under licence and edition conditions this workflow
 * does not check (RDS User Guide, "Working with DB instance read replicas"); Aurora replicates
 * within its cluster, not by DB instance read replicas.
 */
export const LIVE_SYNC_ENGINES: readonly string[] = ['postgres', 'mysql', 'mariadb'];

/** One database of the stack as discover found it. */
export interface LiveSyncDatabase {
  logicalId: string;
  dbInstanceIdentifier: string;
  /** DescribeDBInstances' answer; undefined when RDS does not know the instance. */
  instance?: DBInstance;
}

/**
 * Why one database cannot be the source of a read replica (empty: it can). RDS requires automated
 * backups on the source ("Before a DB instance can serve as a source DB instance, make sure to enable
 * automatic backups on the source DB instance. To do this, set the backup retention period to a value
 * other than 0", RDS User Guide, "Working with DB instance read replicas"); the workflow replicates
 * an available, standalone instance (a replica of a replica would be promoted away from its chain). Pure.
 */
export function databaseReasons(db: LiveSyncDatabase): string[] {
  const name = `database ${db.logicalId} (${db.dbInstanceIdentifier})`;
  const i = db.instance;
  if (!i) return [`${name} does not exist in RDS: it cannot be the source of a read replica`];
  const reasons: string[] = [];
  const engine = i.Engine ?? 'unknown';
  if (i.DBClusterIdentifier) {
    reasons.push(`${name} belongs to Aurora cluster ${i.DBClusterIdentifier}: Aurora replicates within its cluster, not by DB instance read replicas; migrate it with snapshots`);
  } else if (!LIVE_SYNC_ENGINES.includes(engine)) {
    reasons.push(`${name} runs ${engine}: the live sync carries read replicas of ${LIVE_SYNC_ENGINES.join(', ')} only; migrate it with snapshots (liveSyncFallback "snapshots")`);
  }
  if ((i.BackupRetentionPeriod ?? 0) < 1) {
    reasons.push(`${name} has automated backups turned off (BackupRetentionPeriod 0), which RDS requires of a read replica's source: set BackupRetentionPeriod to 1 or more in the template and update the stack first`);
  }
  if (i.ReadReplicaSourceDBInstanceIdentifier) {
    reasons.push(`${name} is itself a read replica of ${i.ReadReplicaSourceDBInstanceIdentifier}: promote it to a standalone database first`);
  }
  if (i.DBInstanceStatus !== 'available') {
    reasons.push(`${name} is ${i.DBInstanceStatus ?? 'in an unknown state'}, not available: RDS creates read replicas of an available database only`);
  }
  return reasons;
}

/**
 * The LiveSyncPlan of discover's Migrate preflight. Not requested: nothing checked. Requested: every
 * database's reasons (databaseReasons), and the template the replicas are created from must declare
 * `<LogicalId>SourceDBInstanceIdentifier` for each: with blue-green the new template (it creates the
 * idle slot), with the double clone the stack's own (clone 1 recreates the current version; clone 2
 * restores from snapshots). `replicaTemplate` is that template's declared parameter names and where
 * it comes from, undefined when it could not be read (newTemplateProblems reports that). Pure.
 */
export function liveSyncPlan(check: NewTemplateCheck, databases: LiveSyncDatabase[], replicaTemplate: { source: string; parameters: Set<string> } | undefined): LiveSyncPlan {
  if (check.liveSync !== true) return { requested: false, possible: false, reasons: [] };
  const reasons = databases.flatMap(databaseReasons);
  if (!replicaTemplate) {
    reasons.push('the template the read replicas would be created from cannot be read, so whether it declares their parameters is not known');
  } else {
    for (const db of databases) {
      const parameter = `${db.logicalId}${REPLICA_SOURCE_PARAMETER_SUFFIX}`;
      if (!replicaTemplate.parameters.has(parameter)) {
        reasons.push(
          `${replicaTemplate.source} declares no parameter ${parameter}: database ${db.logicalId} cannot start as a read replica; declare it and use it as the database's SourceDBInstanceIdentifier (template contract, examples/README.md)`,
        );
      }
    }
  }
  return { requested: true, possible: reasons.length === 0, reasons };
}
