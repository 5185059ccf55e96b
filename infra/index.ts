/**
 * The package's public surface (package.json "exports" → dist/index.js, dist/index.cjs and
 * dist/types/infra/index.d.ts, built by scripts/build.ts): the construct to add to a CDK app, the
 * standalone stack around it, and the types of a migration's input and output. Everything else is
 * internal and may change without notice.
 */
export * from './environment-migrator';
export { EnvironmentMigratorStack, type EnvironmentMigratorStackProps } from './migrator-stack';
export type { MigrationInputRaw, MigrationOutput } from '../lambdas/shared/contracts';
