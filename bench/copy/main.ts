/**
 * `npm run bench:copy`: the copy step against the best peers, one after another on the same
 * loopback S3 endpoint (bench/copy/endpoint.ts, a process of its own answering every request after
 * `--latency-ms`), copying the same source bucket into a fresh empty destination (issue 15).
 *
 *   npm run bench:copy -- [--latency-ms 15] [--objects 10000] [--runs 3] [--concurrency 128] [--bytes 1024] [--warm-objects 500]
 *                         [--tools copy,aws,aws64,rclone] [--json]
 *
 * For each tool: objects/s (median of the runs, min–max), requests per object and peak requests in
 * flight (the endpoint's counts), client CPU per object, and the identical re-run onto the complete
 * destination (time, requests, CopyObject requests). `--json` ends the output with one JSON line.
 * bench/README.md "Copy speed against peers" explains each figure and how it is measured.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_COPY_CONCURRENCY } from '../../lambdas/steps';
import type { EndpointStats } from './endpoint';
import { ensurePeerTools, type PeerId, peers as makePeers } from './peers';
import { runCopyStep, startEndpoint } from './processes';

const SOURCE = 'bench-source';
const DESTINATION = 'bench-destination';
const WARM_SOURCE = 'bench-warm-source';
const WARM_DESTINATION = 'bench-warm-destination';

type ToolId = 'copyStep' | PeerId;
const TOOL_FLAGS: Record<string, ToolId> = { copy: 'copyStep', aws: 'awsS3SyncDefault', aws64: 'awsS3Sync64', rclone: 'rclone' };

/** One measured run: what the tool says of itself and what the endpoint saw. */
interface Measured {
  ms: number;
  cpuMs: number;
  stats: EndpointStats;
}

export interface RerunFigures {
  seconds: number;
  requests: number;
  copyObjectRequests: number;
}

export interface ToolFigures {
  label: string;
  /** Median over the runs. */
  objectsPerSecond: number;
  minObjectsPerSecond: number;
  maxObjectsPerSecond: number;
  requestsPerObject: number;
  peakInFlight: number;
  cpuMsPerObject: number;
  rerun: RerunFigures;
  /** Requests the endpoint refused (501), per operation, over all of the tool's runs. */
  refused: Record<string, number>;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function addInto(into: Record<string, number>, counts: Record<string, number>): void {
  for (const [k, v] of Object.entries(counts)) into[k] = (into[k] ?? 0) + v;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'latency-ms': { type: 'string', default: '15' },
      objects: { type: 'string', default: '10000' },
      runs: { type: 'string', default: '3' },
      concurrency: { type: 'string' },
      bytes: { type: 'string', default: '1024' },
      // Objects the copy step's runner copies first, unmeasured: a warm function.
      'warm-objects': { type: 'string', default: '500' },
      tools: { type: 'string', default: 'copy,aws,aws64,rclone' },
      json: { type: 'boolean', default: false },
    },
  });
  const latencyMs = Number(values['latency-ms']);
  const objects = Number(values.objects);
  const runs = Number(values.runs);
  const bytes = Number(values.bytes);
  const warmObjects = Number(values['warm-objects']);
  const concurrency = values.concurrency !== undefined ? Number(values.concurrency) : undefined;
  for (const [name, v] of Object.entries({ '--latency-ms': latencyMs, '--objects': objects, '--runs': runs, '--bytes': bytes, '--warm-objects': warmObjects, '--concurrency': concurrency ?? 1 })) {
    if (!Number.isInteger(v) || v < (name === '--latency-ms' || name === '--bytes' ? 0 : 1)) throw new Error(`${name} must be a whole number${name === '--latency-ms' || name === '--bytes' ? '' : ' above 0'}`);
  }
  const tools = (values.tools as string).split(',').map((t) => {
    const id = TOOL_FLAGS[t.trim()];
    if (!id) throw new Error(`--tools: unknown tool "${t}" (copy, aws, aws64, rclone)`);
    return id;
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  ensurePeerTools(tools.includes('awsS3SyncDefault') || tools.includes('awsS3Sync64'), tools.includes('rclone'), log);

  const endpoint = await startEndpoint(latencyMs);
  const { peers, dispose } = await makePeers(endpoint.url);
  const figures: Partial<Record<ToolId, ToolFigures>> = {};
  try {
    await endpoint.seed(SOURCE, objects, bytes);
    if (tools.includes('copyStep')) await endpoint.seed(WARM_SOURCE, warmObjects, bytes);
    const configured = concurrency ?? DEFAULT_COPY_CONCURRENCY;
    for (const tool of tools) {
      const peer = peers.find((p) => p.id === tool);
      const label = peer?.label ?? `copy step (COPY_CONCURRENCY ${configured})`;
      const once = async (): Promise<Measured> => {
        if (!peer) await endpoint.clear(WARM_DESTINATION);
        await endpoint.resetStats();
        let ms: number;
        let cpuMs: number;
        if (peer) ({ ms, cpuMs } = await peer.run(SOURCE, DESTINATION));
        else {
          const r = await runCopyStep({ endpoint: endpoint.url, source: SOURCE, destination: DESTINATION, concurrency, warmUp: { source: WARM_SOURCE, destination: WARM_DESTINATION } });
          if (r.status !== 'DONE') throw new Error(`the copy step answered ${r.status}`);
          ({ ms, cpuMs } = r);
        }
        return { ms, cpuMs, stats: await endpoint.stats() };
      };
      const measured: Measured[] = [];
      for (let run = 1; run <= runs; run++) {
        await endpoint.clear(DESTINATION);
        const m = await once();
        const copied = m.stats.buckets[DESTINATION] ?? 0;
        if (copied !== objects) throw new Error(`${label}, run ${run}: the destination holds ${copied} objects, not ${objects}`);
        log(`bench:copy: ${label}, run ${run}/${runs}: ${Math.round(objects / (m.ms / 1000))} objects/s, ${total(m.stats.requests)} requests, peak ${m.stats.peakInFlight} in flight, CPU ${(m.cpuMs / objects).toFixed(2)} ms/object`);
        measured.push(m);
      }
      // The identical re-run: onto the destination the last run completed.
      const again = await once();
      const rates = measured.map((m) => objects / (m.ms / 1000));
      const refused: Record<string, number> = {};
      for (const m of [...measured, again]) addInto(refused, m.stats.refused);
      figures[tool] = {
        label,
        objectsPerSecond: round(median(rates), 0),
        minObjectsPerSecond: round(Math.min(...rates), 0),
        maxObjectsPerSecond: round(Math.max(...rates), 0),
        requestsPerObject: round(median(measured.map((m) => (total(m.stats.requests) + total(m.stats.refused)) / objects)), 3),
        peakInFlight: Math.max(...measured.map((m) => m.stats.peakInFlight)),
        cpuMsPerObject: round(median(measured.map((m) => m.cpuMs / objects)), 3),
        rerun: {
          seconds: round(again.ms / 1000, 2),
          requests: total(again.stats.requests) + total(again.stats.refused),
          copyObjectRequests: again.stats.requests.CopyObject ?? 0,
        },
        refused,
      };
      log(`bench:copy: ${label}, identical re-run: ${figures[tool]?.rerun.seconds} s, ${figures[tool]?.rerun.requests} requests, ${figures[tool]?.rerun.copyObjectRequests} CopyObject`);
    }

    const copy = figures.copyStep;
    const peerFigures = Object.fromEntries(Object.entries(figures).filter(([id]) => id !== 'copyStep')) as Partial<Record<PeerId, ToolFigures>>;
    const best = Object.entries(peerFigures).sort(([, a], [, b]) => (b?.objectsPerSecond ?? 0) - (a?.objectsPerSecond ?? 0))[0];
    const ratio = copy && best?.[1] ? round(copy.objectsPerSecond / best[1].objectsPerSecond, 2) : null;

    process.stdout.write(`${table(figures, { objects, bytes, latencyMs, runs, ratio, best: best?.[1]?.label })}\n`);
    if (values.json) {
      const refused: Record<string, number> = {};
      for (const f of Object.values(figures)) addInto(refused, f?.refused ?? {});
      const line = {
        copyObjectsPerSecond: copy?.objectsPerSecond ?? null,
        peers: peerFigures,
        ratioToBestPeer: ratio,
        cpuMsPerObject: copy?.cpuMsPerObject ?? null,
        peakInFlight: copy?.peakInFlight ?? null,
        configuredConcurrency: configured,
        latencyMs,
        objects,
        rerun: copy?.rerun ?? null,
        copyStep: copy ?? null,
        refused,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    return 0;
  } finally {
    await dispose();
    await endpoint.stop();
  }
}

function table(
  figures: Partial<Record<ToolId, ToolFigures>>,
  o: { objects: number; bytes: number; latencyMs: number; runs: number; ratio: number | null; best: string | undefined },
): string {
  const header = ['tool', 'objects/s (min–max)', 'req/object', 'peak in flight', 'CPU ms/object', 're-run s', 're-run requests', 're-run copies'];
  const rows = Object.values(figures).map((f) =>
    f
      ? [
          f.label,
          `${f.objectsPerSecond} (${f.minObjectsPerSecond}–${f.maxObjectsPerSecond})`,
          f.requestsPerObject.toFixed(3),
          String(f.peakInFlight),
          f.cpuMsPerObject.toFixed(2),
          f.rerun.seconds.toFixed(2),
          String(f.rerun.requests),
          String(f.rerun.copyObjectRequests),
        ]
      : [],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  const refused: Record<string, number> = {};
  for (const f of Object.values(figures)) addInto(refused, f?.refused ?? {});
  return [
    `Copy of ${o.objects.toLocaleString('en')} objects of ${o.bytes} B between two buckets of the bench endpoint (loopback, ${o.latencyMs} ms per request), median of ${o.runs} run(s)`,
    '',
    line(header),
    ...rows.map(line),
    '',
    o.ratio !== null ? `copy step / best peer (${o.best}): ${o.ratio.toFixed(2)}×` : 'copy step / best peer: not measured (--tools)',
    'CPU: the copy step, process.cpuUsage() of its process around the handler calls (a warm function); the peers, the whole process (bash `times`: children user + system, start-up included).',
    'Time: the copy step, its handler calls; the peers, the process from start to exit.',
    `Refused by the endpoint (501): ${Object.keys(refused).length ? Object.entries(refused).map(([k, v]) => `${k} ×${v}`).join(', ') : 'none'}`,
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:copy failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
