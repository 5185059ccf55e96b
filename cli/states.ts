/**
 * `env-migrator states`: lists every state of the synthesized Migrate and Clone definitions, by
 * type, in definition order (Map iterations indented) — the workflow as it would be deployed.
 */
import { localDeployment } from '../local/definitions';
import { synthesizeTemplate } from '../local/synth';
import { EXIT, type ExitCode } from './exit-codes';
import type { Io } from './io';

interface State {
  Type: string;
  ItemProcessor?: { States: Record<string, State> };
  Iterator?: { States: Record<string, State> };
  Branches?: { States: Record<string, State> }[];
}

function list(states: Record<string, State>, indent: string, out: string[]): void {
  for (const [name, state] of Object.entries(states)) {
    out.push(`${indent}${state.Type.padEnd(8)} ${name}`);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) list(inner.States, `${indent}    `, out);
    for (const branch of state.Branches ?? []) list(branch.States, `${indent}    `, out);
  }
}

/** Prints both definitions' states. Exit code 0. */
export async function statesCommand(io: Io): Promise<ExitCode> {
  const deployment = localDeployment(await synthesizeTemplate(), { region: 'us-east-1', accountId: '123456789012' });
  for (const machine of [deployment.migrate, deployment.clone]) {
    const lines: string[] = [];
    list((JSON.parse(machine.definition) as { States: Record<string, State> }).States, '  ', lines);
    io.out(`${machine.name.replace(/[0-9A-F]{8}$/, '')} (${lines.length} states)`);
    for (const line of lines) io.out(line);
    io.out('');
  }
  return EXIT.SUCCEEDED;
}
