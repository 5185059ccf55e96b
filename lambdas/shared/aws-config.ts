/**
 * Client configuration shared by every handler. Region, credentials and endpoints come from the
 * standard AWS SDK configuration (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>),
 * so the same handler runs in Lambda, against a real account from a laptop, or against any
 * AWS-compatible endpoint. Nothing here knows about the simulator.
 */
export const clientConfig = { maxAttempts: 4 } as const;

/** S3-compatible endpoints often need path-style addressing (S3_FORCE_PATH_STYLE=true). */
export const s3ClientConfig = { ...clientConfig, forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' } as const;
