/**
 * The fault matrix as a table (state × fault kind), the totals, and the summary object that
 * `npm run faults -- --json` prints on its last line.
 */
import type { BadInputResult } from './bad-inputs';
import { FAULT_KINDS, type CellResult, type FaultKind, type MatrixResult } from './matrix';
import type { RandomResult } from './random';
import type { VerificationAttackResult } from './verification';
import type { GuardAttackResult } from './guards';

const HEADERS: Record<FaultKind, string> = {
  'aws-error': 'AWS error',
  throttle: 'throttled',
  timeout: 'timeout',
  'silent-loss': 'silent loss',
  crash: 'crash',
};

const MARK: Record<CellResult['status'], string> = { held: 'held', broken: 'BROKE', missed: 'MISSED', unreached: 'UNREACHED', 'n/a': '-' };

/** One line per Task state, one column per fault kind; the broken cells spelt out below. */
export function matrixTable(m: MatrixResult): string[] {
  const width = Math.max(...m.states.map((s) => s.key.length), 5);
  const col = (s: string) => s.padEnd(13);
  const lines = [`${'State'.padEnd(width)}  ${FAULT_KINDS.map((k) => col(HEADERS[k])).join('')}`, '-'.repeat(width + 2 + 13 * FAULT_KINDS.length)];
  for (const s of m.states) {
    const cells = FAULT_KINDS.map((k) => m.cells.find((c) => c.key === s.key && c.kind === k));
    lines.push(`${s.key.padEnd(width)}  ${cells.map((c) => col(c ? MARK[c.status] : '?')).join('')}`);
  }
  lines.push('', 'held: every invariant held on the final state.  -: the fault does not apply (the state makes no AWS call, has no wait, moves no data).');
  const bad = m.cells.filter((c) => c.status !== 'held' && c.status !== 'n/a');
  if (bad.length > 0) {
    lines.push('', 'Cells that did not hold:');
    for (const c of bad) lines.push(`  ${c.key} × ${c.kind} (${c.route ?? 'no route'}): ${c.note ?? ''}${c.violations.length ? ` ${c.violations.join('; ')}` : ''}`);
  }
  const brokenRoutes = m.routes.filter((r) => r.outcome.violations.length > 0);
  for (const r of brokenRoutes) lines.push(`  route ${r.route.name} itself broke: ${r.outcome.violations.join('; ')}`);
  return lines;
}

export interface FaultsSummary {
  /** Matrix runs: the routes plus every applicable cell. */
  scenarios: number;
  passed: number;
  /** Cells where a fault kind does not apply to the state (no AWS call, no wait, no data moved). */
  notApplicable: number;
  randomized: number;
  randomizedPassed: number;
  seed: number | null;
  badInputs: number;
  badInputsRejected: number;
  /** Faults that attack the verification (local/faults/verification.ts), and how many held. */
  verificationAttacks: number;
  verificationAttacksHeld: number;
  /** Faults that change the world under the last guards (local/faults/guards.ts), and how many held. */
  guardAttacks: number;
  guardAttacksHeld: number;
  /** What did not hold, one line each. */
  failures: string[];
}

/** Several matrices as one (their routes, states and cells side by side). */
export function mergeMatrices(matrices: MatrixResult[]): MatrixResult {
  return { states: matrices.flatMap((m) => m.states), routes: matrices.flatMap((m) => m.routes), cells: matrices.flatMap((m) => m.cells) };
}

/** Several randomized runs as one: the schedules summed, the first failure kept. */
export function mergeRandom(results: RandomResult[]): RandomResult | undefined {
  if (results.length === 0) return undefined;
  const failure = results.find((r) => r.failure)?.failure;
  return { seed: results[0]!.seed, runs: results.reduce((n, r) => n + r.runs, 0), passed: results.reduce((n, r) => n + r.passed, 0), ...(failure ? { failure } : {}) };
}

export function summarize(m: MatrixResult | undefined, r: RandomResult | undefined, bad: BadInputResult[] | undefined, attacks?: VerificationAttackResult[], guards?: GuardAttackResult[]): FaultsSummary {
  const applicable = m ? m.cells.filter((c) => c.status !== 'n/a') : [];
  const failures: string[] = [];
  for (const route of m?.routes ?? []) if (route.outcome.violations.length) failures.push(`route ${route.route.name}: ${route.outcome.violations.join('; ')}`);
  for (const c of applicable) if (c.status !== 'held') failures.push(`${c.key} × ${c.kind}: ${c.status}${c.note ? ` (${c.note})` : ''} ${c.violations.join('; ')}`.trim());
  if (r?.failure) failures.push(r.failure.message.replace(/\n/g, ' | '));
  for (const b of bad ?? []) if (!b.rejected) failures.push(`bad input "${b.input.name}": ${b.problems.join('; ')}`);
  for (const a of attacks ?? []) if (!a.held) failures.push(`verification attack ${a.name}: ${a.problems.join('; ')}`);
  for (const g of guards ?? []) if (!g.held) failures.push(`guard attack ${g.name}: ${g.problems.join('; ')}`);
  return {
    scenarios: (m?.routes.length ?? 0) + applicable.length,
    passed: (m?.routes.filter((x) => x.outcome.violations.length === 0).length ?? 0) + applicable.filter((c) => c.status === 'held').length,
    notApplicable: m ? m.cells.length - applicable.length : 0,
    randomized: r?.runs ?? 0,
    randomizedPassed: r?.passed ?? 0,
    seed: r?.seed ?? null,
    badInputs: bad?.length ?? 0,
    badInputsRejected: bad?.filter((b) => b.rejected).length ?? 0,
    verificationAttacks: attacks?.length ?? 0,
    verificationAttacksHeld: attacks?.filter((a) => a.held).length ?? 0,
    guardAttacks: guards?.length ?? 0,
    guardAttacksHeld: guards?.filter((g) => g.held).length ?? 0,
    failures,
  };
}

/** True when every scenario, schedule and bad input held (or was rejected) and something was run. */
export function allHeld(s: FaultsSummary): boolean {
  return s.failures.length === 0 && s.passed === s.scenarios && s.randomizedPassed === s.randomized && s.badInputsRejected === s.badInputs && s.verificationAttacksHeld === s.verificationAttacks && s.guardAttacksHeld === s.guardAttacks && s.scenarios + s.randomized + s.badInputs + s.verificationAttacks + s.guardAttacks > 0;
}
