/**
 * `env-migrator report <execution-arn> --out report.html`: a picture of one run, as a single
 * self-contained HTML page (./report-html.ts) read from Step Functions (./report-core.ts). Also what
 * `rehearse --report` writes once its simulated run has ended. Runs against AWS from the packaged CLI:
 * it needs nothing of the simulator.
 */
import { writeFile } from 'node:fs/promises';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionArn } from './arn';
import { EXIT, type ExitCode } from './exit-codes';
import { type Io, humanOf } from './io';
import { type BlueGreenPicture, blueGreenOf, downtimeOf, errorOf, noticeOf, notificationOf, pictureOf, readRun } from './report-core';
import { formatSeconds, reportHtml } from './report-html';
import { awsFailure, resultLine } from './result';

export interface ReportFigures {
  /** Where the page was written. */
  path: string;
  status: string;
  outcome: string;
  survivor: string | null;
  error: { name: string; cause: string } | null;
  /** Executions drawn: Migrate and each Clone it started. */
  executions: { executionArn: string; machine: string; status: string; statesEntered: number; states: number }[];
  downtimeSeconds: number | null;
  awsSeconds: number | null;
  ownSeconds: number | null;
  notificationSubject: string | null;
  bytes: number;
  /** A blue/green run: the slots, the switch and how to go back (absent for a double clone). */
  blueGreen?: BlueGreenPicture;
}

/**
 * Reads the run of `executionArn` and writes its page to `path`. Where `report` and `rehearse
 * --report` meet. Returns the figures the command prints. Throws AwsCallFailed when a Step Functions
 * call fails, and the file system's error when the page cannot be written.
 */
export async function writeReport(sfn: SFNClient, executionArn: string, path: string, now: Date = new Date()): Promise<ReportFigures> {
  const run = await readRun(sfn, executionArn);
  const pictures = run.map(pictureOf);
  const downtime = downtimeOf(run);
  const notification = notificationOf(run);
  const notice = noticeOf(run);
  const root = run[0]!;
  const blueGreen = blueGreenOf(run);
  const html = reportHtml({ run, pictures, downtime, notification, outcome: notice.outcome, survivor: notice.survivor, blueGreen, generatedAt: now });
  await writeFile(path, html, 'utf8');
  return {
    path,
    status: root.status,
    outcome: notice.outcome ?? root.status,
    survivor: notice.survivor ?? null,
    error: errorOf(root),
    executions: pictures.map((p) => ({ executionArn: p.execution.executionArn, machine: p.execution.machine, status: p.execution.status, statesEntered: p.states.size, states: p.graph.nodes.length })),
    downtimeSeconds: downtime ? downtime.seconds : null,
    awsSeconds: downtime ? downtime.path.awsSeconds : null,
    ownSeconds: downtime ? downtime.path.overheadSeconds : null,
    notificationSubject: notification?.subject ?? null,
    bytes: Buffer.byteLength(html),
    ...(blueGreen ? { blueGreen } : {}),
  };
}

/** The lines `report` and `rehearse --report` print about the page. */
export function reportLines(f: ReportFigures): string[] {
  return [
    `report              ${f.path} (${Math.round(f.bytes / 1024)} KiB, self-contained)`,
    `executions drawn    ${f.executions.map((x) => `${x.machine} ${x.status} (${x.statesEntered} of ${x.states} states entered)`).join(', ')}`,
    `downtime            ${f.downtimeSeconds === null ? 'none (the instances never went into standby)' : `${formatSeconds(f.downtimeSeconds)}: AWS operations ${formatSeconds(f.awsSeconds ?? 0)}, the workflow's own ${formatSeconds(f.ownSeconds ?? 0)}`}`,
    `notification        ${f.notificationSubject ?? '(none sent yet)'}`,
    ...(f.blueGreen
      ? [
          `blue/green          live ${f.blueGreen.liveSlot ?? '?'}, previous ${f.blueGreen.previousSlot}; ${f.blueGreen.retireAt ? `retire at ${f.blueGreen.retireAt}` : 'no retire scheduled'}; ${f.blueGreen.rollbackCommand ?? 'no rollback (no switch to undo)'}`,
        ]
      : []),
  ];
}

export interface ReportCommandOptions {
  out: string;
  json: boolean;
}

/**
 * `env-migrator report`: exit 0 when the page was written, whatever the run's outcome (a report of a
 * failed migration is what the incident needs); 6 when a Step Functions call fails; 1 when the file
 * cannot be written.
 */
export async function reportCommand(io: Io, execution: ExecutionArn, options: ReportCommandOptions): Promise<ExitCode> {
  const say = humanOf(io, options.json);
  let figures: ReportFigures;
  try {
    figures = await writeReport(io.sfn(execution.region), execution.arn, options.out);
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall) {
      io.err(`env-migrator report: cannot write ${options.out}: ${err.message}`);
      if (options.json) io.out(resultLine({ outcome: 'REPORT_NOT_WRITTEN', exitCode: EXIT.FAILED, survivor: null, error: { name: 'ReportNotWritten', cause: err.message }, executionArn: execution.arn }));
      return EXIT.FAILED;
    }
    return awsFailure(io, err, options.json, execution.arn);
  }
  for (const line of reportLines(figures)) say(line);
  if (options.json) {
    const { outcome, survivor, error, ...rest } = figures;
    io.out(resultLine({ outcome, exitCode: EXIT.SUCCEEDED, survivor, error, executionArn: execution.arn, ...rest }));
  }
  return EXIT.SUCCEEDED;
}
