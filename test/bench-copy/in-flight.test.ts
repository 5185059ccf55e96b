/**
 * No hidden caps (issue 15): the copy step keeps as many requests in flight as COPY_CONCURRENCY says,
 * measured where it counts, at an S3 endpoint (bench/copy/endpoint.ts, a process of its own) that
 * the real copy-bucket handler talks to over HTTP in a process of its own, as `npm run bench:copy`
 * runs it. A limit below the configured one anywhere between the copy loop and the socket (the HTTP
 * agent's 50 sockets, the SDK's settings) shows as a lower peak, one above it (none at all) as a
 * higher one. The endpoint holds its CopyObject answers until 96 requests are in flight (2 s at most):
 * the peak is then the client's limit, not how fast this busy machine let it send its first 96.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EndpointProcess, type PreparedCopyStep, prepareCopyStep, startEndpoint } from '../../bench/copy/processes';

// More than two rounds of 96: the peak is held while copies finish and others start.
const OBJECTS = 200;
const CONCURRENCY = 96;

describe('bench:copy endpoint and the copy step', () => {
  let endpoint: EndpointProcess;
  let copyStep: PreparedCopyStep;
  beforeAll(async () => {
    // The copy step's process loads the SDK while the endpoint starts.
    copyStep = prepareCopyStep({ source: 'src', destination: 'dst', concurrency: CONCURRENCY });
    endpoint = await startEndpoint(25, CONCURRENCY);
    await endpoint.seed('src', OBJECTS, 64);
    await endpoint.clear('dst');
  });
  afterAll(async () => {
    copyStep?.cancel();
    await endpoint?.stop();
  });

  it('the copy step holds exactly COPY_CONCURRENCY requests in flight at the endpoint, and copies every object', async () => {
    await endpoint.resetStats();
    const run = await copyStep.run(endpoint.url);
    const stats = await endpoint.stats();
    expect(run).toMatchObject({ status: 'DONE', objectsCopied: OBJECTS, objectsSkipped: 0 });
    expect(stats.buckets.dst).toBe(OBJECTS);
    expect(stats.requests.CopyObject).toBe(OBJECTS);
    expect(stats.peakInFlight).toBe(CONCURRENCY);
    expect(stats.refused).toEqual({});
  });

  it('the endpoint refuses an operation it does not implement with 501 NotImplemented and counts it', async () => {
    await endpoint.resetStats();
    const res = await fetch(`${endpoint.url}/src/data/000001.bin`);
    expect(res.status).toBe(501);
    expect(await res.text()).toContain('<Code>NotImplemented</Code>');
    const stats = await endpoint.stats();
    expect(stats.refused).toEqual({ GetObject: 1 });
    expect(stats.requests).toEqual({});
  });
});
