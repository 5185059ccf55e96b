/**
 * Client configuration shared by every handler. Region, credentials and endpoints come from the
 * standard AWS SDK configuration (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>),
 * so the same handler runs in Lambda, against a real account from a laptop, or against any
 * AWS-compatible endpoint. Nothing here knows about the simulator.
 */
export const clientConfig = { maxAttempts: 4 } as const;

/** S3-compatible endpoints often need path-style addressing (S3_FORCE_PATH_STYLE=true). */
export const s3ClientConfig = { ...clientConfig, forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' } as const;

/**
 * The S3 client of a step that keeps `concurrency` requests in flight (copy, verify, inventory).
 * The SDK's Node.js handler gives its agents 50 sockets by default, and a request beyond them waits
 * for one ("Configuring maxSockets in Node.js", AWS SDK for JavaScript v3 developer guide): both
 * agents get one socket per request allowed in flight, HTTPS for AWS and HTTP for an S3-compatible
 * endpoint on loopback (`npm run bench:copy`), so the configured concurrency is the real one.
 */
export function fanOutS3ClientConfig(concurrency: number) {
  const agent = { keepAlive: true, maxSockets: concurrency };
  return { ...s3ClientConfig, requestHandler: { httpAgent: agent, httpsAgent: agent } };
}
