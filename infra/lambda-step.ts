/**
 * One Lambda function per workflow step, with the defaults every step shares: Node.js 22 on arm64,
 * the step's timeout and memory from lambdas/steps.ts, a minified ESM bundle with source maps and our
 * pinned AWS SDK, an explicit log group with retention, Powertools settings, X-Ray tracing, and a
 * role of its own that starts with nothing but writing to that log group and to X-Ray (the step's
 * grants are added by the construct). ENV_MIGRATOR_STEP names the step: the local executor maps each
 * Lambda task of the synthesized definitions to its handler through it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { STEP_NODE_OPTIONS, STEPS, type StepName } from '../lambdas/steps';

/**
 * The repository root (this file is infra/lambda-step.ts), or the package root when this code runs
 * from the package's dist/index.js, dist/index.cjs or dist/cli.js (one folder below it too).
 */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Set only by the package build (scripts/build.ts, an esbuild `define`): the folder, under the
 * package root, of the step bundles prebuilt at build time (`<folder>/<step>/index.mjs`). A user's
 * CDK app has neither esbuild nor this repository's lock file, so the package deploys those; in this
 * repository the identifier is undeclared and every step is bundled from its source at synth time.
 * A build-time constant and not a look for the folder: a stale dist/ in a checkout must never be
 * deployed instead of the source beside it.
 */
declare const ENV_MIGRATOR_PREBUILT_BUNDLES: string | undefined;

/** The folder holding a step's prebuilt bundle, when this code runs from the package; undefined in the repository. */
export function prebuiltBundleDir(step: StepName): string | undefined {
  if (typeof ENV_MIGRATOR_PREBUILT_BUNDLES === 'undefined') return undefined;
  return join(PROJECT_ROOT, ENV_MIGRATOR_PREBUILT_BUNDLES, step);
}

/**
 * Synthesizing without bundling (tests, the local runner reading definitions): set
 * ENV_MIGRATOR_SKIP_BUNDLING=1. The functions then carry a placeholder inline code and everything
 * else (runtime, timeout, environment, roles) exactly as deployed.
 */
export function bundlingSkipped(): boolean {
  return process.env.ENV_MIGRATOR_SKIP_BUNDLING === '1';
}

// ESM output has no `require`; some dependencies still call it (createRequire is the documented
// workaround for CommonJS interop in ESM bundles).
const ESM_REQUIRE_BANNER = "import{createRequire}from'module';const require=createRequire(import.meta.url);";

/**
 * Credential providers a step never loads in Lambda, left out of its bundle. The SDK's default
 * chain (@aws-sdk/credential-provider-node) reads the environment first, and Lambda always puts the
 * execution role's credentials there (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN:
 * "Defined runtime environment variables", Lambda Developer Guide). Every later link — SSO,
 * profile files, credential_process, web identity, container and instance metadata — is a
 * dynamic import() reached only when that first link finds nothing, and together they carried
 * about 95 KB (their STS/SSO clients included) into every bundle. Should one ever be reached, the
 * step fails with "Cannot find package '@aws-sdk/credential-provider-…'" instead of running on
 * credentials Lambda did not give it. The bundle test imports every bundle with no node_modules
 * beside it, so a static import of one of these (an SDK upgrade) fails the tests, not a deployment.
 */
export const UNREACHED_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
] as const;

/** esbuild options every step is bundled with (CDK's NodejsFunction here, the benchmark in bench/bundles.ts). */
export const STEP_BUNDLING = {
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  external: UNREACHED_CREDENTIAL_PROVIDERS,
  // The source map maps positions for --enable-source-maps stack traces; it need not carry every
  // source file (the SDK's included) as text: without them a step's map is 40 % of the size (discover:
  // 1.1 MB instead of 2.9 MB), in each deployed zip and in the package's prebuilt bundles.
  sourcesContent: false,
} as const;

/**
 * STEP_BUNDLING as esbuild's own build options, for the code that bundles the steps itself rather than
 * through NodejsFunction: the package build (scripts/build.ts) and the benchmark (bench/bundles.ts).
 */
export function stepEsbuildOptions() {
  return {
    bundle: true,
    platform: 'node' as const,
    format: STEP_BUNDLING.format,
    target: STEP_BUNDLING.target,
    mainFields: [...STEP_BUNDLING.mainFields] as string[],
    banner: { js: STEP_BUNDLING.banner },
    minify: STEP_BUNDLING.minify,
    external: [...STEP_BUNDLING.external] as string[],
    sourcesContent: STEP_BUNDLING.sourcesContent,
    tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
  };
}

export interface StepFunctionProps {
  step: StepName;
  /** Extra environment variables (e.g. CFN_ROLE_ARN for the stack steps). */
  environment?: Record<string, string>;
  /** Retention of the function's log group (default one month). */
  logRetention?: logs.RetentionDays;
  /** Powertools log level (default INFO). */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * The VPC to run the function in (the steps that call an environment's endpoints, which may sit behind
   * an internal load balancer). The role needs the network interface actions: the construct adds them.
   */
  vpc?: ec2.IVpc;
  /** Subnets of `vpc` (default: CDK's choice for a Lambda function, the private subnets). */
  vpcSubnets?: ec2.SubnetSelection;
  /** Security groups of the function in `vpc` (default: one CDK defines, all outbound traffic allowed). */
  securityGroups?: ec2.ISecurityGroup[];
}

/** The Lambda function of one workflow step. */
export class StepFunction extends Construct {
  readonly function: lambda.Function;
  readonly step: StepName;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StepFunctionProps) {
    super(scope, id);
    this.step = props.step;
    const { timeoutSeconds, memoryMb } = STEPS[props.step];
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    this.logGroup = logGroup;
    // Not the default role: that one carries the AWSLambdaBasicExecutionRole managed policy (logs in
    // every log group of the account); this one may write to its own log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `env-migrator step ${props.step}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    const common = {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.seconds(timeoutSeconds),
      memorySize: memoryMb,
      logGroup,
      role: this.role,
      tracing: lambda.Tracing.ACTIVE,
      description: `env-migrator step ${props.step}`,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'env-migrator',
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        ENV_MIGRATOR_STEP: props.step,
        NODE_OPTIONS: STEP_NODE_OPTIONS,
        ...props.environment,
      },
    } satisfies Partial<lambda.FunctionProps>;

    if (bundlingSkipped()) {
      this.function = new lambda.Function(this, 'Function', {
        ...common,
        handler: 'index.handler',
        code: lambda.Code.fromInline('export const handler = async () => { throw new Error("synthesized without bundling"); };'),
      });
      return;
    }
    const prebuilt = prebuiltBundleDir(props.step);
    if (prebuilt) {
      // The package: the bundle scripts/build.ts made with the options below (STEP_BUNDLING), its
      // source map beside it. Missing means a broken package: fail the synth, never deploy without code.
      if (!existsSync(join(prebuilt, 'index.mjs'))) throw new Error(`Step ${props.step} has no prebuilt bundle at ${prebuilt}/index.mjs: reinstall env-migrator`);
      this.function = new lambda.Function(this, 'Function', { ...common, handler: 'index.handler', code: lambda.Code.fromAsset(prebuilt) });
      return;
    }
    const entry = join(PROJECT_ROOT, 'lambdas', props.step, 'handler.ts');
    if (!existsSync(entry)) throw new Error(`Step ${props.step} has no handler at ${entry}`);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...common,
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: STEP_BUNDLING.target,
        mainFields: [...STEP_BUNDLING.mainFields],
        banner: STEP_BUNDLING.banner,
        minify: STEP_BUNDLING.minify,
        sourceMap: true,
        sourcesContent: STEP_BUNDLING.sourcesContent,
        // The runtime's bundled SDK may lag the versions the steps are written and tested against
        // (e.g. CRC64NVME checksums in S3): ship our pinned SDK, less what Lambda never loads.
        bundleAwsSDK: true,
        externalModules: [...STEP_BUNDLING.external],
        forceDockerBundling: false,
        tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
      },
    });
  }
}
