/**
 * What a CLI command prints, captured for a test: under --json the lines for people go to stderr
 * (`err`) and the JSON result alone to stdout (`out`). `onLine` lets a test act on a progress line as
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
    /** The JSON result: alone on stdout, in the shared schema. */
    json: () => {
      expect(out).toHaveLength(1);
      return cliResultSchema.parse(JSON.parse(out[0] ?? '{}'));
    },
  };
}
