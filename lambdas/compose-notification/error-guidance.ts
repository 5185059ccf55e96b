/**
 * What an error means and what to do about it, for the errors whose name alone does not say it to
 * the engineer who reads the notification (compose-notification's WHY section, after the cause).
 */
export interface ErrorGuidance {
  /** What happened, in the workflow's terms. */
  meaning: string;
  /** What to do next. */
  action: string;
}

export const ERROR_GUIDANCE: Readonly<Record<string, ErrorGuidance>> = {
  PromotionUnsafe: {
    meaning:
      'Live sync: the CloudFormation change set that would promote the copy\'s read replicas to standalone databases would replace, remove or add a resource (or could no longer be executed as checked). A replaced database is a new, empty one, so the workflow did not promote anything: the source environment still holds all the data.',
    action:
      'Read the cause: it names each resource and the property that requires recreation. Make the template keep those properties unchanged across the promotion (declare <LogicalId>PromotedFrom and keep DBName, MasterUsername, KmsKeyId... AWS::NoValue once promoted: examples/README.md), then run the migration again; or run it without liveSync.',
  },
  ReplicationBroken: {
    meaning:
      "Live sync: a database of the copy is no longer a read replica of its source, or RDS reports its replication stopped (error, terminated, stopped), so it does not hold what the source wrote. Nothing was promoted; the source environment still holds all the data.",
    action:
      'Check the replica named in the cause (RDS console, Replication section and events), fix what stopped it (storage, parameter changes, a promotion by hand), then run the migration again; or run it without liveSync.',
  },
  LiveSyncNotPossible: {
    meaning:
      'Live sync was asked for, and the preflight found databases it cannot carry as read replicas (listed in the cause). liveSyncFallback is "refuse", so the migration stopped before the standby: nothing was changed.',
    action:
      'Fix what the cause names (automated backups on, a supported engine, the template declaring <LogicalId>SourceDBInstanceIdentifier), or start the migration again with liveSyncFallback "snapshots" to migrate by snapshots instead, or without liveSync.',
  },
};

/** The lines that explain `errorName`, or none when it needs no explanation beyond its cause. */
export function guidanceLines(errorName: string): string[] {
  const g = ERROR_GUIDANCE[errorName];
  return g ? [`What it means: ${g.meaning}`, `What to do: ${g.action}`] : [];
}
