/**
 * The peers `npm run bench:copy` measures the copy step against, run as an operator would run them
 * against the same endpoint: Debian's awscli (`/usr/bin/aws s3 sync`, its defaults, and with
 * `max_concurrent_requests` 64) and rclone (`rclone sync --transfers 64 --checkers 64 --checksum`).
 * Each runs in `bash -c '<command>; times'`: its CPU is the whole process tree's (the shell's
 * children's user + system time that `times` prints), start-up included, as its wall time is.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Debian's awscli; the PATH may hold another `aws` (a pyenv awscli v1), never used here. */
export const AWS_CLI = '/usr/bin/aws';

export type PeerId = 'awsS3SyncDefault' | 'awsS3Sync64' | 'rclone';

export interface PeerRun {
  ms: number;
  /** Children's user + system CPU of the shell (bash `times`), ms. */
  cpuMs: number;
}

function onPath(command: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs Debian's awscli and rclone when missing (`apt-get install -y`, through sudo unless root),
 * saying what it runs on `log`. Throws when the installation fails or leaves a tool missing.
 */
export function ensurePeerTools(needAws: boolean, needRclone: boolean, log: (line: string) => void): void {
  const missing = [...(needAws && !existsSync(AWS_CLI) ? ['awscli'] : []), ...(needRclone && !onPath('rclone') ? ['rclone'] : [])];
  if (missing.length === 0) return;
  const [command, ...prefix] = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', 'apt-get'];
  const install = (args: string[]) => {
    log(`bench:copy: ${[command, ...prefix, ...args].join(' ')}`);
    return spawnSync(command as string, [...prefix, ...args], { stdio: ['ignore', 2, 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status;
  };
  log(`bench:copy: ${missing.join(' and ')} not installed (${AWS_CLI}, rclone): installing them`);
  // A fresh container has no package lists: update once if the first attempt fails.
  if (install(['install', '-y', ...missing]) !== 0 && (install(['update']) !== 0 || install(['install', '-y', ...missing]) !== 0)) {
    throw new Error(`installing ${missing.join(' ')} failed: install them (apt-get install -y awscli rclone) and run again`);
  }
  if ((needAws && !existsSync(AWS_CLI)) || (needRclone && !onPath('rclone'))) throw new Error(`${missing.join(' ')} still missing after apt-get install`);
}

/** The environment without the caller's AWS and rclone settings (profiles, CA bundles, endpoints). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_') && !name.startsWith('RCLONE_')) env[name] = value;
  return env;
}

/** `bash -c` times output: two lines of `<user> <system>` (`1m2.345s`), the shell's then its children's. */
export function childrenCpuMs(timesOutput: string): number {
  const lines = timesOutput.trim().split('\n');
  const children = lines.at(-1) ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2) throw new Error(`cannot read bash times output: ${timesOutput}`);
  return ((seconds[0] as number) + (seconds[1] as number)) * 1000;
}

/** Runs `command` in bash with `env`, its own stdout discarded; resolves with wall time and CPU. */
function timed(command: string, env: NodeJS.ProcessEnv): Promise<PeerRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('bash', ['-c', `${command} >/dev/null; rc=$?; times; exit $rc`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`${command} exited ${code}: ${err}`));
      try {
        resolve({ ms, cpuMs: childrenCpuMs(out) });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

/** A peer bound to the endpoint: `run(source, destination)` syncs one bucket into another. */
export interface Peer {
  id: PeerId;
  label: string;
  run(source: string, destination: string): Promise<PeerRun>;
}

/** The three peers against `endpointUrl`; `dispose` removes their temporary configuration files. */
export async function peers(endpointUrl: string): Promise<{ peers: Peer[]; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-copy-'));
  // awscli reads only these files: the user's ~/.aws never changes a run. Path-style addressing as
  // the copy step's S3_FORCE_PATH_STYLE; the transfer settings are awscli's defaults unless stated.
  const defaults = join(dir, 'aws-default.ini');
  const wide = join(dir, 'aws-64.ini');
  const credentials = join(dir, 'credentials');
  await writeFile(defaults, '[default]\ns3 =\n  addressing_style = path\n');
  await writeFile(wide, '[default]\ns3 =\n  addressing_style = path\n  max_concurrent_requests = 64\n');
  await writeFile(credentials, '');
  const aws = (config: string): NodeJS.ProcessEnv => ({
    ...cleanEnv(),
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  });
  // An on-the-fly remote (RCLONE_CONFIG_<NAME>_<OPTION>, rclone docs "Config file"), an empty config
  // file so that the user's never applies. list_version 2: rclone's "Other" provider defaults to
  // ListObjects (v1), which the endpoint refuses; every tool here lists with ListObjectsV2.
  const rcloneEnv: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    RCLONE_CONFIG: credentials,
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: endpointUrl,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: 'bench',
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: 'bench',
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_BENCH_LIST_VERSION: '2',
  };
  // --only-show-errors: not 10,000 "copy:" lines to print (and to count as CPU); the transfer is the same.
  const awsSync = (src: string, dst: string) => `${AWS_CLI} s3 sync s3://${src} s3://${dst} --endpoint-url ${endpointUrl} --only-show-errors`;
  return {
    peers: [
      { id: 'awsS3SyncDefault', label: 'aws s3 sync (defaults)', run: (s, d) => timed(awsSync(s, d), aws(defaults)) },
      { id: 'awsS3Sync64', label: 'aws s3 sync (max_concurrent_requests 64)', run: (s, d) => timed(awsSync(s, d), aws(wide)) },
      {
        id: 'rclone',
        label: 'rclone sync --transfers 64 --checkers 64 --checksum',
        // --s3-no-check-bucket: the destination exists; never a CreateBucket.
        run: (s, d) => timed(`rclone sync bench:${s} bench:${d} --transfers 64 --checkers 64 --checksum --s3-no-check-bucket`, rcloneEnv),
      },
    ],
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
