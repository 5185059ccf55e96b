/**
 * What a CLI command prints, captured for a test: under --json the lines for people go to stderr
 * (`err`) and the JSON result to stdout (`out`), last (watch and rehearse put their events before it). `onLine` lets a test act on a progress line as
 * an operator would (stop the execution when a state is entered). `deps` adds or replaces clients.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { expect } from 'vitest';
import type { runCli } from '../../cli/program';
import { cliResultSchema } from '../../cli/result';

type Deps = NonNullable<Parameters<typeof runCli>[1]>;

export function terminal(options: { onLine?: (line: string) => void; env?: Record<string, string | undefined>; deps?: Partial<Deps> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: Deps = {
    sfn: new SFNClient({}),
    out: (line: string) => out.push(line),
    err: (line: string) => {
      err.push(line);
      options.onLine?.(line);
    },
    env: options.env ?? {},
    ...options.deps,
  };
  return {
    out,
    err,
    deps,
    /**
     * The JSON result: the last line of stdout, in the shared schema. Only `watch` and `rehearse` put
     * lines before it, each an event (`event`: "state" or "heartbeat").
     */
    json: () => {
      expect(out.length).toBeGreaterThan(0);
      for (const line of out.slice(0, -1)) expect(JSON.parse(line)).toHaveProperty('event');
      return cliResultSchema.parse(JSON.parse(out.at(-1) ?? '{}'));
    },
    /** The event lines before the result (watch and rehearse under --json). */
    events: () => out.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
