/**
 * The report of a real (simulated) migration, written by `rehearse --report` and opened in headless Chromium (Debian's `chromium`,
 * installed here with apt-get when missing): the browser lays out the state graphs and the downtime
 * timeline, and a measuring script added to a copy of the page checks they are drawn — every state a
 * box of its own, the path taken as visible strokes, a bar per AWS operation. The page and a
 * screenshot stay in reports/ (gitignored) for a person to look at.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { ioOf } from '../../cli/io';
import { rehearseCommand } from '../../cli/rehearse';
import type { ReportFigures } from '../../cli/report';
import { cliResultSchema } from '../../cli/result';
import { TEST_SIZE } from '../../local/sample-environment';

const OUT = resolve('reports');
const PAGE = join(OUT, 'report.html');
const SCREENSHOT = join(OUT, 'report-screenshot.png');

function chromium(): string {
  const found = (name: string) => {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  let bin = found('chromium');
  if (!bin) {
    // The issue asks for Debian's chromium, installed by the test when missing. A fresh machine may
    // have no package lists yet, and install cannot find the package without them.
    const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'ignore', timeout: 600_000 });
    try {
      install();
    } catch {
      execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 600_000 });
      install();
    }
    bin = found('chromium');
  }
  if (!bin) throw new Error('chromium is not installed and apt-get install -y chromium did not install it');
  return bin;
}

/** Runs in the page once laid out: what the browser drew, as JSON in <pre id="measured">. */
const MEASURE = `<script>
addEventListener('load', () => {
  const box = (el) => el.getBoundingClientRect();
  const graphs = [...document.querySelectorAll('svg.graph')].map((svg) => {
    const states = [...svg.querySelectorAll('g.state')].map((g) => box(g.querySelector('rect')));
    let overlaps = 0;
    for (let i = 0; i < states.length; i++) for (let j = i + 1; j < states.length; j++) {
      const a = states[i], b = states[j];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlaps++;
    }
    return {
      machine: svg.dataset.graph,
      width: box(svg).width, height: box(svg).height,
      states: states.length,
      drawnStates: states.filter((r) => r.width > 100 && r.height > 20).length,
      visited: svg.querySelectorAll('g.state.visited').length,
      taken: [...svg.querySelectorAll('path.edge.taken')].filter((p) => p.getTotalLength() > 5).length,
      overlaps,
    };
  });
  const bars = [...document.querySelectorAll('svg.timeline rect.bar.op')].filter((r) => box(r).width >= 1);
  const out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = JSON.stringify({ graphs, operations: [...new Set(bars.map((r) => r.dataset.operation))], bars: bars.length, notification: document.querySelector('pre')?.textContent.length ?? 0 });
  document.body.append(out);
});
</script>`;

interface Measured {
  graphs: { machine: string; width: number; height: number; states: number; drawnStates: number; visited: number; taken: number; overlaps: number }[];
  operations: string[];
  bars: number;
  notification: number;
}

describe('the report page in a browser', () => {
  let figures: ReportFigures;
  let dom: string;

  beforeAll(async () => {
    const bin = chromium();
    mkdirSync(OUT, { recursive: true });
    // As `npm run rehearse -- --report <file>` runs, on the tests' smaller sample environment.
    const out: string[] = [];
    const code = await rehearseCommand(ioOf({ out: (l) => out.push(l), err: () => undefined }), { scenario: 'happy', json: true, report: PAGE, size: TEST_SIZE });
    expect(code).toBe(EXIT.SUCCEEDED);
    const result = cliResultSchema.parse(JSON.parse(out.at(-1) ?? '{}'));
    figures = result.report as ReportFigures;
    expect(figures.path).toBe(PAGE);
    // One browser start for both: the DOM once the measuring script has run, and the screenshot (the
    // measurements land below the page's end, out of the picture).
    const measuring = join(OUT, 'report-measured.html');
    writeFileSync(measuring, readFileSync(PAGE, 'utf8').replace('</body>', `${MEASURE}</body>`));
    rmSync(SCREENSHOT, { force: true });
    dom = execFileSync(bin, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1400,2200', `--screenshot=${SCREENSHOT}`, '--dump-dom', `file://${measuring}`], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  }, 600_000);

  it('draws every state of Migrate and both Clones apart, the path taken, and a bar per AWS operation of the downtime', () => {
    const json = /<pre id="measured">([^<]*)<\/pre>/.exec(dom)?.[1];
    expect(json, 'the measuring script ran').toBeDefined();
    const m = JSON.parse(json!.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')) as Measured;
    expect(m.graphs.map((g) => g.machine)).toEqual(['Migrate', 'Clone', 'Clone']);
    for (const [i, g] of m.graphs.entries()) {
      const drawn = figures.executions[i]!;
      expect(g.states, g.machine).toBe(drawn.states);
      expect(g.drawnStates, g.machine).toBe(g.states);
      expect(g.overlaps, g.machine).toBe(0);
      expect(g.visited, g.machine).toBe(drawn.statesEntered);
      // A path through n states entered takes at least n - 1 transitions.
      expect(g.taken, g.machine).toBeGreaterThanOrEqual(g.visited - 1);
    }
    expect(m.operations).toEqual(expect.arrayContaining(['enter standby', 'snapshot', 'create stack', 'copy buckets', 'verify buckets', 'delete stack', "workflow's own"]));
    expect(m.notification).toBeGreaterThan(200);
    expect(figures.downtimeSeconds).toBeGreaterThan(0);
    expect(figures.awsSeconds! + figures.ownSeconds!).toBeCloseTo(figures.downtimeSeconds!, 3);
  });

  it('renders to a screenshot kept in reports/', () => {
    expect(existsSync(SCREENSHOT)).toBe(true);
    // A blank page of that size compresses to a few KiB; the drawn one is far larger.
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(60_000);
  });
});
