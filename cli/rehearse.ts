/**
 * `env-migrator rehearse`: a full migration of the sample environment against the simulated AWS
 * account, printed state by state, ending with a summary. Exit code 0 only when it succeeded.
 */
import { parseArgs } from 'node:util';
import { rehearse, type RehearsalSummary } from '../local/rehearsal';
import { SCENARIOS, scenario } from '../local/scenarios';

const USAGE = `Usage: npm run rehearse -- [--scenario <name>] [--json]

Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(28)} ${s.description}`).join('\n')}`;

function printSummary(s: RehearsalSummary, write: (line: string) => void): void {
  const mark = (ok: boolean) => (ok ? 'yes' : 'NO');
  write('');
  write('── Rehearsal summary ─────────────────────────────────────────────');
  write(`scenario            ${s.scenario}`);
  write(`environment         ${s.stackName}`);
  write(`outcome             ${s.outcome}${s.error ? ` (${s.error})` : ''}`);
  for (const [i, m] of (s.migrations ?? []).entries()) {
    write(`migration ${i + 1}         ${m.outcome}${m.error ? ` (${m.error})` : ''} → version ${m.survivorVersion ?? '?'}, invariants ${m.violations.length ? 'BROKEN' : 'held'}, ${formatDuration(m.simulatedSeconds)} simulated`);
  }
  write(`data is in          ${s.survivor ?? 'nowhere named'}${s.survivorVersion ? ` (version ${s.survivorVersion})` : ''}`);
  write(`data intact         ${mark(s.dataIntact)}`);
  write(`invariants held     ${mark(s.invariantsHeld)}${s.violations.length ? `: ${s.violations.join('; ')}` : ''}`);
  write(`statistics before   ${JSON.stringify(s.statisticsBefore)}`);
  write(`statistics after    ${JSON.stringify(s.statisticsAfter)}`);
  write(`objects copied      ${s.objectsCopied}`);
  write(`snapshots made      ${s.snapshotsMade}`);
  write(`notifications sent  ${s.notifications}${s.notificationSubject ? `: "${s.notificationSubject}"` : ''}`);
  write(`states executed     ${s.statesExecuted}`);
  write(`largest state       ${s.maxStateBytes} bytes (${s.largestState}; the limit is 262144)`);
  write(`Lambda invocations  ${s.lambdaInvocations}`);
  write(`AWS API calls       ${s.awsCalls}`);
  write(`simulated duration  ${formatDuration(s.simulatedSeconds)}`);
}

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const sec = seconds % 60;
  return `${h} h ${String(m).padStart(2, '0')} min ${String(sec).padStart(2, '0')} s`;
}

export async function rehearseCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { scenario: { type: 'string', default: 'happy' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const chosen = scenario(values.scenario);
  const write = (line: string) => console.log(line);
  write(`Rehearsing "${chosen.name}": ${chosen.description}`);
  write('');
  const { report, ...summary } = await rehearse(chosen, { write });
  const notice = report.notifications.at(-1);
  if (notice && summary.outcome !== 'succeeded') {
    write('');
    write('── The notification the on-call engineer receives ─────────────────');
    write(`Subject: ${notice.subject ?? ''}`);
    for (const line of notice.message.split('\n')) write(`  ${line}`);
  }
  printSummary(summary, write);
  if (values.json) console.log(JSON.stringify(summary));
  return summary.outcome === 'succeeded' ? 0 : 1;
}
