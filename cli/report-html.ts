/**
 * The report as one self-contained HTML page: inline CSS and SVG drawn here, no script, no font, no
 * image, no link to anything, so it opens from a file on a machine without network (an incident
 * channel, a laptop at 3 a.m.). The state graphs are laid out in layers (longest path from the start,
 * a few barycentre sweeps to untangle), the path taken drawn over the definition.
 */
import type { CriticalPath } from '../bench/metrics';
import {
  type BlueGreenPicture,
  type Downtime,
  type ExecutionPicture,
  type GraphEdge,
  type RunExecution,
  type SentNotification,
  errorOf,
} from './report-core';
import { STANDBY_STATE } from '../statemachine/downtime-states';

export interface ReportPage {
  run: readonly RunExecution[];
  pictures: readonly ExecutionPicture[];
  downtime?: Downtime;
  notification?: SentNotification;
  outcome?: string;
  survivor?: string | null;
  /** A blue/green run: the slots, the switch, how to go back (report-core.ts blueGreenOf). */
  blueGreen?: BlueGreenPicture;
  /** When the page was written (for the footer). */
  generatedAt: Date;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 3725 → "1 h 02 min 05 s"; 42.4 → "42 s"; 0.3 → "0.3 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min ${String(sec).padStart(2, '0')} s`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

// ---------------------------------------------------------------------------------------------
// State graph
// ---------------------------------------------------------------------------------------------

const NODE_W = 210;
const NODE_H = 38;
const GAP_X = 22;
const GAP_Y = 34;
const MARGIN = 20;

interface Placed {
  name: string;
  type: string;
  layer: number;
  order: number;
  x: number;
  y: number;
}

/** Layers by longest path from the start over the edges that are not loops; order by barycentre sweeps. */
export function layout(start: string, names: readonly { name: string; type: string }[], edges: readonly GraphEdge[]): { placed: Map<string, Placed>; width: number; height: number; back: Set<string> } {
  const out = new Map<string, string[]>();
  for (const e of edges) (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e.to);
  // Depth-first from the start: an edge to a state still on the stack closes a loop (a wait loop, a retry).
  const back = new Set<string>();
  const state = new Map<string, 1 | 2>();
  const order: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    for (const m of out.get(n) ?? []) {
      if (state.get(m) === 1) back.add(`${n}\u0000${m}`);
      else if (!state.has(m)) visit(m);
    }
    state.set(n, 2);
    order.push(n);
  };
  visit(start);
  for (const { name } of names) if (!state.has(name)) visit(name);
  const topo = order.reverse();
  const layer = new Map<string, number>(topo.map((n) => [n, 0]));
  for (const n of topo) {
    for (const m of out.get(n) ?? []) {
      if (back.has(`${n}\u0000${m}`)) continue;
      layer.set(m, Math.max(layer.get(m) ?? 0, (layer.get(n) ?? 0) + 1));
    }
  }
  const layers: string[][] = [];
  for (const n of topo) (layers[layer.get(n)!] ??= []).push(n);
  const neighbours = new Map<string, string[]>();
  for (const e of edges) {
    if (back.has(`${e.from}\u0000${e.to}`)) continue;
    (neighbours.get(e.to) ?? neighbours.set(e.to, []).get(e.to)!).push(e.from);
    (neighbours.get(e.from) ?? neighbours.set(e.from, []).get(e.from)!).push(e.to);
  }
  const pos = new Map<string, number>();
  const place = () => layers.forEach((l) => l.forEach((n, i) => pos.set(n, i - (l.length - 1) / 2)));
  place();
  for (let sweep = 0; sweep < 6; sweep++) {
    const sequence = sweep % 2 === 0 ? layers : [...layers].reverse();
    for (const l of sequence) {
      const bary = new Map(l.map((n) => {
        const ps = (neighbours.get(n) ?? []).map((m) => pos.get(m)).filter((p): p is number => p !== undefined);
        return [n, ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : (pos.get(n) ?? 0)] as const;
      }));
      l.sort((a, b) => bary.get(a)! - bary.get(b)!);
      l.forEach((n, i) => pos.set(n, i - (l.length - 1) / 2));
    }
  }
  const widest = Math.max(1, ...layers.map((l) => l.length));
  const width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X + 80;
  const types = new Map(names.map((n) => [n.name, n.type]));
  const placed = new Map<string, Placed>();
  layers.forEach((l, li) =>
    l.forEach((n, i) => {
      const x = width / 2 - 40 + (i - (l.length - 1) / 2) * (NODE_W + GAP_X) - NODE_W / 2;
      placed.set(n, { name: n, type: types.get(n) ?? 'Task', layer: li, order: i, x, y: MARGIN + li * (NODE_H + GAP_Y) });
    }),
  );
  return { placed, width, height: MARGIN * 2 + layers.length * (NODE_H + GAP_Y), back };
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** One execution's state graph as an SVG: every state of the definition, the path taken highlighted, each state's time. */
export function graphSvg(p: ExecutionPicture): string {
  const { graph, states, taken } = p;
  const { placed, width, height, back } = layout(graph.start, graph.nodes, graph.edges);
  const edgeSvg: string[] = [];
  const takenSvg: string[] = [];
  for (const e of graph.edges) {
    const a = placed.get(e.from);
    const b = placed.get(e.to);
    if (!a || !b) continue;
    const key = `${e.from}\u0000${e.to}`;
    const isTaken = taken.has(key);
    let d: string;
    if (back.has(key) || b.layer <= a.layer) {
      // A loop back up: out of the right side and into the right side, clear of the states between.
      const sx = a.x + NODE_W;
      const sy = a.y + NODE_H / 2;
      const tx = b.x + NODE_W;
      const ty = b.y + NODE_H / 2;
      const bulge = 40 + Math.min(120, Math.abs(a.layer - b.layer) * 6);
      d = `M${sx},${sy} C${sx + bulge},${sy} ${tx + bulge},${ty} ${tx},${ty}`;
    } else {
      const sx = a.x + NODE_W / 2;
      const sy = a.y + NODE_H;
      const tx = b.x + NODE_W / 2;
      const ty = b.y;
      const mid = (ty - sy) / 2;
      d = `M${sx},${sy} C${sx},${sy + mid} ${tx},${ty - mid} ${tx},${ty}`;
    }
    const cls = `edge ${e.kind}${isTaken ? ' taken' : ''}`;
    (isTaken ? takenSvg : edgeSvg).push(`<path class="${cls}" d="${d}" marker-end="url(#${isTaken ? 'arrow-taken' : 'arrow'})"><title>${esc(e.from)} → ${esc(e.to)} (${e.kind}${isTaken ? ', taken' : ''})</title></path>`);
  }
  const nodeSvg: string[] = [];
  for (const n of placed.values()) {
    const v = states.get(n.name);
    const cls = v ? (v.failed ? 'state visited failed' : 'state visited') : 'state';
    const detail = v ? `${n.type} · ${formatSeconds(v.seconds)}${v.visits > 1 ? ` · ×${v.visits}` : ''}` : n.type;
    nodeSvg.push(
      `<g class="${cls}" data-state="${esc(n.name)}" data-seconds="${v ? v.seconds.toFixed(1) : ''}" transform="translate(${n.x.toFixed(1)},${n.y.toFixed(1)})">` +
        `<title>${esc(n.name)}${v ? `\n${n.type}, entered ${v.visits} time${v.visits === 1 ? '' : 's'}, ${formatSeconds(v.seconds)} in all${v.failed ? ', failed' : ''}` : `\n${n.type}, not entered`}</title>` +
        `<rect width="${NODE_W}" height="${NODE_H}" rx="${n.type === 'Choice' ? 14 : 4}"/>` +
        `<text x="8" y="15" class="name">${esc(truncate(n.name, 33))}</text>` +
        `<text x="8" y="30" class="detail">${esc(detail)}</text></g>`,
    );
  }
  return `<svg class="graph" data-graph="${esc(p.execution.machine)}" xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width + 140)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width + 140)} ${Math.ceil(height)}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#b8bec7"/></marker>
<marker id="arrow-taken" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f6feb"/></marker></defs>
${edgeSvg.join('\n')}
${takenSvg.join('\n')}
${nodeSvg.join('\n')}
</svg>`;
}

// ---------------------------------------------------------------------------------------------
// Downtime timeline
// ---------------------------------------------------------------------------------------------

const LANE_COLOURS: Record<string, string> = {
  'switch entry point': '#2563eb',
  'switch back': '#b91c1c',
  'enter standby': '#8b5cf6',
  discover: '#64748b',
  snapshot: '#0ea5e9',
  'create stack': '#f59e0b',
  'copy buckets': '#10b981',
  'verify buckets': '#059669',
  'smoke test': '#14b8a6',
  'compare statistics': '#06b6d4',
  'prove original unchanged': '#a855f7',
  'delete stack': '#ef4444',
  'delete snapshots': '#f87171',
  'return to service': '#84cc16',
};

function niceStep(seconds: number): number {
  const steps = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800];
  return steps.find((s) => seconds / s <= 12) ?? 86400;
}

const clockOf = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** The downtime window as lanes: one per AWS operation, one for the Clone executions, one for the workflow's own time. */
export function timelineSvg(d: Downtime, run: readonly RunExecution[]): string {
  const LABEL_W = 190;
  const PLOT_W = 860;
  const ROW_H = 26;
  const span = Math.max(1, d.end - d.start);
  const xOf = (t: number) => LABEL_W + ((t - d.start) / span) * PLOT_W;
  const lanes: string[] = [];
  for (const b of d.bars) if (!lanes.includes(b.label)) lanes.push(b.label);
  const children = run.slice(1).map((x) => ({ x, start: Math.max(d.start, x.startDate), end: Math.min(d.end, x.stopDate ?? d.end) })).filter((c) => c.end > c.start);
  const rows = [...(children.length ? ['executions'] : []), ...lanes, "workflow's own"];
  const height = 34 + rows.length * ROW_H + 10;
  const out: string[] = [];
  const step = niceStep(span / 1000);
  for (let t = 0; t <= span / 1000 + 0.001; t += step) {
    const x = xOf(d.start + t * 1000);
    out.push(`<line class="tick" x1="${x.toFixed(1)}" y1="22" x2="${x.toFixed(1)}" y2="${height - 8}"/><text class="axis" x="${x.toFixed(1)}" y="16" text-anchor="middle">+${clockOf(t * 1000)}</text>`);
  }
  rows.forEach((row, i) => {
    const y = 28 + i * ROW_H;
    out.push(`<text class="lane" x="${LABEL_W - 8}" y="${y + 16}" text-anchor="end">${esc(row)}</text>`);
    if (row === 'executions') {
      for (const c of children) {
        out.push(
          `<g class="bar execution"><title>${esc(`${c.x.machine} ${c.x.name}`)}: ${formatSeconds((c.end - c.start) / 1000)}, +${clockOf(c.start - d.start)} → +${clockOf(c.end - d.start)}${c.x.startedBy ? ` (started by "${esc(c.x.startedBy)}")` : ''}</title>` +
            `<rect x="${xOf(c.start).toFixed(1)}" y="${y + 3}" width="${Math.max(1, xOf(c.end) - xOf(c.start)).toFixed(1)}" height="${ROW_H - 6}"/>` +
            `<text x="${(xOf(c.start) + 4).toFixed(1)}" y="${y + 17}">${esc(`${c.x.machine} ${c.x.name}`)}</text></g>`,
        );
      }
      return;
    }
    const bars = row === "workflow's own" ? d.ours.map((o) => ({ ...o, label: row, machine: 'workflow', executionName: '' })) : d.bars.filter((b) => b.label === row);
    for (const b of bars) {
      const colour = row === "workflow's own" ? '#334155' : (LANE_COLOURS[row] ?? '#94a3b8');
      out.push(
        `<rect class="bar op" data-operation="${esc(row)}" x="${xOf(b.start).toFixed(1)}" y="${y + 3}" width="${Math.max(1.5, xOf(b.end) - xOf(b.start)).toFixed(1)}" height="${ROW_H - 6}" fill="${colour}">` +
          `<title>${esc(row)}${b.executionName ? ` (${esc(b.machine)} ${esc(b.executionName)})` : ''}: ${formatSeconds((b.end - b.start) / 1000)}, +${clockOf(b.start - d.start)} → +${clockOf(b.end - d.start)}</title></rect>`,
      );
    }
  });
  return `<svg class="timeline" data-timeline="downtime" xmlns="http://www.w3.org/2000/svg" width="${LABEL_W + PLOT_W + 20}" height="${height}" viewBox="0 0 ${LABEL_W + PLOT_W + 20} ${height}">\n${out.join('\n')}\n</svg>`;
}

function pathTable(path: CriticalPath, start: number): string {
  const rows = path.segments
    .map((s) => `<tr><td>+${clockOf(s.start - start)}</td><td>${esc(s.label)}</td><td class="num">${formatSeconds(s.awsSeconds)}</td><td class="num">${formatSeconds(s.oursBeforeSeconds)}</td></tr>`)
    .join('\n');
  return `<table class="path"><thead><tr><th>from</th><th>AWS operation(s) on the critical path</th><th>AWS</th><th>the workflow's own time before it</th></tr></thead><tbody>
${rows}
<tr><td></td><td>after the last operation</td><td></td><td class="num">${formatSeconds(path.oursAfterSeconds)}</td></tr></tbody></table>`;
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#0f172a;background:#fff}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:13px}.meta dt{color:#64748b}.meta dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
.outcome{display:inline-block;padding:2px 8px;border-radius:4px;font-weight:600;color:#fff;background:#16a34a}.outcome.bad{background:#dc2626}
.figures{display:flex;gap:24px;flex-wrap:wrap;margin:8px 0}.figures div{background:#f1f5f9;border-radius:6px;padding:6px 12px}.figures b{display:block;font-size:18px}
.scroll{overflow:auto;border:1px solid #e2e8f0;border-radius:6px;max-height:900px}
svg text{font-family:system-ui,sans-serif}
.graph .state rect{fill:#f8fafc;stroke:#cbd5e1}.graph .state text{fill:#94a3b8}.graph .state .name{font-size:11.5px}.graph .state .detail{font-size:10.5px}
.graph .state.visited rect{fill:#dbeafe;stroke:#1f6feb;stroke-width:1.6}.graph .state.visited text{fill:#0f172a}
.graph .state.failed rect{fill:#fee2e2;stroke:#dc2626}
.edge{fill:none;stroke:#d4d9e0;stroke-width:1}.edge.catch{stroke-dasharray:4 3}.edge.branch,.edge.join{stroke-dasharray:1 3}
.edge.taken{stroke:#1f6feb;stroke-width:2.4}
.timeline .tick{stroke:#e2e8f0}.timeline .axis{font-size:10px;fill:#64748b}.timeline .lane{font-size:12px;fill:#334155}
.timeline .execution rect{fill:#e0e7ff;stroke:#6366f1}.timeline .execution text{font-size:11px;fill:#312e81}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #e2e8f0;padding:3px 10px;text-align:left}.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f8fafc;border:1px solid #e2e8f0;border-radius:6px;padding:12px;white-space:pre-wrap;font-size:12.5px}
.legend span{display:inline-block;margin-right:14px;font-size:12px;color:#475569}.legend i{display:inline-block;width:22px;height:10px;margin-right:4px;vertical-align:middle;border:1px solid #94a3b8}
footer{margin-top:32px;color:#94a3b8;font-size:12px}
`;

/** The whole page. */
export function reportHtml(page: ReportPage): string {
  const root = page.run[0];
  if (!root) throw new Error('a report needs an execution');
  const error = errorOf(root);
  const ok = root.status === 'SUCCEEDED';
  const outcome = page.outcome ?? root.status;
  const end = root.stopDate ?? Math.max(...root.events.map((e) => e.timestamp?.getTime() ?? 0));
  const meta: [string, string][] = [
    ['execution', root.executionArn],
    ['status', root.status],
    ['data is in', page.survivor === undefined ? 'not named' : (page.survivor ?? 'nowhere named (nothing was touched)')],
    ['started', new Date(root.startDate).toISOString()],
    ['ended', root.stopDate ? new Date(root.stopDate).toISOString() : 'still running'],
    ['total time', formatSeconds((end - root.startDate) / 1000)],
    ...(error ? ([['error', `${error.name}: ${error.cause}`]] as [string, string][]) : []),
    ...page.run.slice(1).map((x) => [`${x.machine} run`, `${x.name}: ${x.status}${x.startedBy ? ` (started by "${x.startedBy}")` : ''}`] as [string, string]),
  ];
  const bg = page.blueGreen;
  if (bg) {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    meta.splice(
      3,
      0,
      ['strategy', `blue-green: entry point ${bg.recordName}, slots ${bg.previousSlot} → ${bg.newSlot}`],
      ['live slot', bg.liveSlot ?? 'not named'],
      ['previous slot', bg.liveSlot === bg.newSlot ? `${bg.previousSlot}, in standby as the rollback point` : bg.previousSlot],
      ['switch', iso(bg.switchedAt) ? `in sync at ${iso(bg.switchedAt)}${iso(bg.switchedBackAt) ? `; switched back, in sync at ${iso(bg.switchedBackAt)}` : ''}` : 'never made'],
      ['retire', bg.retireAt ? `the retire run deletes ${bg.previousSlot} at ${bg.retireAt}` : 'not scheduled'],
      ['rollback', bg.rollbackCommand ?? 'none (no switch to undo)'],
      [
        'record TTL',
        bg.record
          ? bg.record.alias
            ? `alias (${bg.record.type}): Route 53 answers with the target's TTL (60 s for a load balancer); not in the downtime figure`
            : `${bg.record.ttlSeconds ?? '?'} s (${bg.record.type}): resolvers may keep the previous slot that long after the switch; not in the downtime figure`
          : 'not read',
      ],
    );
  }
  const d = page.downtime;
  const downtime = d
    ? `<div class="figures">
<div>downtime<b>${formatSeconds(d.seconds)}</b></div>
<div>AWS operations<b>${formatSeconds(d.path.awsSeconds)}</b></div>
<div>the workflow's own<b>${formatSeconds(d.path.overheadSeconds)} (${d.path.overheadPercent.toFixed(1)} %)</b></div>
<div>of which in Wait states<b>${formatSeconds(d.path.breakdown.pollWaitSeconds)}</b></div>
<div>in Lambda tasks<b>${formatSeconds(d.path.breakdown.lambdaSeconds)}</b></div>
<div>orchestration<b>${formatSeconds(d.path.breakdown.orchestrationSeconds)}</b></div>
</div>
<p>From the standby ("${esc(STANDBY_STATE)}" entered) to ${esc(d.endsAt)}. An operation's bar runs from the state that starts it to the check that saw it done, as the history shows it: the last poll's wait is inside the bar. The workflow's own time is what no operation covers (validation, the lock, choices, Lambda checks between operations).</p>
<div class="scroll">${timelineSvg(d, page.run)}</div>
<h3>Critical path (bench/metrics.ts criticalPath over the operations above)</h3>
${pathTable(d.path, d.start)}`
    : '<p>No downtime: the run never put the instances in standby, so the environment stayed in service.</p>';
  const graphs = page.pictures
    .map(
      (p, i) => `<h3>${esc(p.execution.machine)} — ${esc(p.execution.name)} (${esc(p.execution.status)}${p.execution.startedBy ? `, started by "${esc(p.execution.startedBy)}"` : ''})</h3>
<p>${p.states.size} of ${p.graph.nodes.length} states entered; ${i === 0 ? 'each state shows its type and the time spent in it.' : 'the same legend.'}</p>
<div class="scroll">${graphSvg(p)}</div>`,
    )
    .join('\n');
  const notification = page.notification
    ? `<p><b>Subject:</b> ${esc(page.notification.subject)}</p>\n<pre>${esc(page.notification.message)}</pre>`
    : '<p>No notification in the history (the run has not reached "Compose the notification").</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>env-migrator report: ${esc(root.name)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>${CSS}</style></head>
<body>
<h1>env-migrator — ${esc(root.machine)} ${esc(root.name)} <span class="outcome${ok ? '' : ' bad'}">${esc(outcome)}</span></h1>
<dl class="meta">${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
<h2>Downtime</h2>
${downtime}
<h2>State graphs</h2>
<p class="legend"><span><i style="background:#dbeafe;border-color:#1f6feb"></i>entered</span><span><i style="background:#fee2e2;border-color:#dc2626"></i>failed</span><span><i style="background:#f8fafc"></i>not entered</span><span><i style="background:#1f6feb;height:3px"></i>transition taken</span><span>dashed: Catch · dotted: into and out of a Map or Parallel branch · on the right: loops back</span></p>
${graphs}
<h2>Notification sent</h2>
${notification}
<footer>Written by env-migrator report at ${esc(page.generatedAt.toISOString())} from the execution history (GetExecutionHistory) and the definitions the executions ran (DescribeStateMachineForExecution). Self-contained: no network needed.</footer>
</body></html>
`;
}
