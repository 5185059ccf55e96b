/**
 * Measures the AWS SDK v3 S3 client's own CPU per request, the `clientCpuMs` of bench/timing.json
 * ([client-cpu] in bench/README.md "Timing model"). The real client (the copy step's configuration,
 * lambdas/shared/aws-config.ts fanOutS3ClientConfig) sends each operation N times to a loopback
 * endpoint in a child process (so the server's CPU is not counted) that answers every request after a
 * fixed latency with a canned answer of the size the workflow sees (a ListObjectVersions page of 1,000
 * versions); `process.cpuUsage()` of this process over the N requests, after a warm-up, ÷ N.
 *
 *   npx tsx bench/client-cpu.ts [--requests 8000] [--latency-ms 15] [--in-flight 64]
 *
 * Prints one line per operation and the JSON of them last.
 */
import { fork } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { CopyObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectVersionsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { fanOutS3ClientConfig } from '../lambdas/shared/aws-config';

const PAGE = 1000;

function versionsPage(): string {
  const entries: string[] = [];
  for (let i = 0; i < PAGE; i++) {
    const key = `uploads/2024/${String(i).padStart(6, '0')}/photo ${i}.jpg`;
    entries.push(
      `<Version><Key>${key}</Key><VersionId>3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo${i}</VersionId><IsLatest>true</IsLatest>` +
        `<LastModified>2024-05-01T12:00:00.000Z</LastModified><ETag>"9b2cf535f27731c974343645a3985328"</ETag><Size>${1000 + i}</Size>` +
        `<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner><StorageClass>STANDARD</StorageClass></Version>`,
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>source</Name><Prefix></Prefix>` +
    `<KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><NextKeyMarker>uploads/2024/000999/photo 999.jpg</NextKeyMarker>` +
    `<NextVersionIdMarker>v999</NextVersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>${entries.join('')}</ListVersionsResult>`
  );
}

function objectsPage(): string {
  const entries: string[] = [];
  for (let i = 0; i < PAGE; i++) {
    entries.push(
      `<Contents><Key>uploads/2024/${String(i).padStart(6, '0')}/photo ${i}.jpg</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified>` +
        `<ETag>"9b2cf535f27731c974343645a3985328"</ETag><Size>${1000 + i}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>source</Name><Prefix></Prefix>` +
    `<NextContinuationToken>token</NextContinuationToken><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>${entries.join('')}</ListBucketResult>`
  );
}

/** The child: answers each request after `latencyMs` by its shape (no state: the answers are canned). */
function serve(latencyMs: number): void {
  const versions = versionsPage();
  const objects = objectsPage();
  const copy = `<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><LastModified>2024-05-01T12:00:00.000Z</LastModified><ETag>"9b2cf535f27731c974343645a3985328"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></CopyObjectResult>`;
  const tags = `<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet><Tag><Key>team</Key><Value>orders</Value></Tag></TagSet></Tagging>`;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        const url = req.url ?? '';
        const headers: Record<string, string> = { 'x-amz-request-id': 'bench', 'content-type': 'application/xml' };
        let body = '';
        if (req.method === 'HEAD') {
          Object.assign(headers, { etag: '"9b2cf535f27731c974343645a3985328"', 'content-length': '1000', 'last-modified': 'Wed, 01 May 2024 12:00:00 GMT', 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-meta-owner': 'orders' });
          res.writeHead(200, headers).end();
          return;
        }
        if (req.method === 'PUT') body = copy;
        else if (url.includes('versions')) body = versions;
        else if (url.includes('tagging')) body = tags;
        else if (url.includes('list-type=2')) body = objects;
        else {
          res.writeHead(400, headers).end('<Error><Code>NotImplemented</Code></Error>');
          return;
        }
        res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
      }, latencyMs),
    );
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
}

interface Figure {
  operation: string;
  requests: number;
  cpuMsPerRequest: number;
  realSeconds: number;
}

async function measure(operation: string, call: (i: number) => Promise<unknown>, requests: number, inFlight: number): Promise<Figure> {
  const run = async (n: number): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(inFlight, n) }, async () => {
        while (next < n) await call(next++);
      }),
    );
  };
  await run(Math.min(requests, 500)); // warm: the JIT, the sockets, the endpoint rules' cache
  const started = performance.now();
  const before = process.cpuUsage();
  await run(requests);
  const cpu = process.cpuUsage(before);
  return { operation, requests, cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / requests, realSeconds: (performance.now() - started) / 1000 };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const latencyMs = arg('--latency-ms', 15);
  const requests = arg('--requests', 8000);
  const inFlight = arg('--in-flight', 64);
  const child = fork(fileURLToPath(import.meta.url), ['--serve', String(latencyMs)], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  try {
    const client = new S3Client({
      ...fanOutS3ClientConfig(inFlight),
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    });
    const key = (i: number) => `uploads/2024/${String(i % PAGE).padStart(6, '0')}/photo ${i}.jpg`;
    const figures: Figure[] = [];
    figures.push(await measure('CopyObject', (i) => client.send(new CopyObjectCommand({ Bucket: 'destination', Key: key(i), CopySource: `source/${encodeURIComponent(key(i))}?versionId=3sL4kqtJlcpXroDTDmJ`, MetadataDirective: 'COPY', TaggingDirective: 'COPY', ChecksumAlgorithm: 'CRC64NVME' })), requests, inFlight));
    figures.push(await measure('HeadObject', (i) => client.send(new HeadObjectCommand({ Bucket: 'source', Key: key(i), ChecksumMode: 'ENABLED' })), requests, inFlight));
    figures.push(await measure('GetObjectTagging', (i) => client.send(new GetObjectTaggingCommand({ Bucket: 'source', Key: key(i) })), requests, inFlight));
    // A page is ~1,000 times the bytes of a copy's answer: fewer of them say as much.
    const pages = Math.max(50, Math.round(requests / 20));
    figures.push(await measure('ListObjectVersions', () => client.send(new ListObjectVersionsCommand({ Bucket: 'source', KeyMarker: 'uploads/', MaxKeys: PAGE })), pages, Math.min(inFlight, 4)));
    figures.push(await measure('ListObjectsV2', () => client.send(new ListObjectsV2Command({ Bucket: 'source', ContinuationToken: 'token', MaxKeys: PAGE })), pages, Math.min(inFlight, 4)));
    for (const f of figures) console.log(`${f.operation.padEnd(20)} ${f.cpuMsPerRequest.toFixed(3)} ms CPU per request (${f.requests} requests, ${f.realSeconds.toFixed(1)} s)`);
    console.log(JSON.stringify({ node: process.version, latencyMs, inFlight, cpuMsPerRequest: Object.fromEntries(figures.map((f) => [f.operation, Number(f.cpuMsPerRequest.toFixed(3))])) }));
    client.destroy();
  } finally {
    child.kill();
  }
}

if (process.argv[2] === '--serve') serve(Number(process.argv[3]));
else await main();
