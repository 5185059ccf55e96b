/**
 * The benchmark's shortcut through the AWS SDK for S3. A bucket copy of the reference migration is
 * 400,000 CopyObject calls; through the whole SDK middleware stack (endpoint rules, XML
 * serialization, user agent...) each costs ~0.2 ms of real CPU here, which alone would blow the
 * benchmark's three minutes. None of that stack changes what the simulated account answers (its
 * middleware replaces the HTTP round trip and returns the output undeserialized, ../local/sim/install.ts),
 * except the SDK's retry of throttling and 5xx errors, which matters to a copy under SlowDown.
 *
 * So while the benchmark runs, S3Client.send goes straight to the account, wrapped in the SAME retry
 * the SDK's retry middleware performs: the client's own retry strategy object (its maxAttempts,
 * backoff and retry quota, shared by the client's calls as in the SDK), refreshed with the error
 * classified the way the SDK classifies it. Step code is unchanged; every other client keeps the
 * whole stack.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { SimAccount } from '../local/sim/account';
import { dispatchFromClient } from '../local/sim/client-cpu';

/** The SDK's retry token strategy (RetryStrategyV2 of @smithy/types), as the client config provides it. */
interface RetryToken {
  getRetryCount(): number;
}
interface RetryStrategyV2 {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  refreshRetryTokenForRetry(token: RetryToken, errorInfo: { error: unknown; errorType: RetryErrorType }): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}
type RetryErrorType = 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR';

interface SdkCommand {
  input: Record<string, unknown>;
  constructor: { name: string };
}
interface SdkLikeError {
  name?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

// The SDK's own lists (@smithy/core retry: THROTTLING_ERROR_CODES, TRANSIENT_ERROR_CODES,
// TRANSIENT_ERROR_STATUS_CODES); "Retry behavior", AWS SDKs and Tools Reference Guide:
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
const THROTTLING_CODES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT_CODES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

function errorType(err: unknown): RetryErrorType {
  const e = (err ?? {}) as SdkLikeError;
  const status = e.$metadata?.httpStatusCode ?? 0;
  if (status === 429 || THROTTLING_CODES.has(e.name ?? '')) return 'THROTTLING';
  if (TRANSIENT_CODES.has(e.name ?? '') || TRANSIENT_STATUS.has(status)) return 'TRANSIENT';
  if (status >= 500 && status <= 599) return 'SERVER_ERROR';
  return 'CLIENT_ERROR';
}

interface ClientWithConfig {
  config: { retryStrategy: () => Promise<RetryStrategyV2> };
}

/** Routes S3Client.send to `account` with the SDK's retry; returns the function that restores it. */
export function shortcutS3(account: SimAccount): () => void {
  const proto = S3Client.prototype as unknown as { send: (command: SdkCommand, ...rest: unknown[]) => Promise<unknown> };
  const original = proto.send;
  proto.send = async function fastSend(this: ClientWithConfig, command: SdkCommand): Promise<unknown> {
    const operation = command.constructor.name.replace(/Command$/, '');
    const strategy = await this.config.retryStrategy();
    let token = await strategy.acquireInitialRetryToken('');
    for (;;) {
      try {
        // Each attempt costs the client its CPU, on the invocation's lane (../local/sim/client-cpu.ts).
        const output = (await dispatchFromClient(account, 'S3', operation, command.input)) ?? {};
        strategy.recordSuccess(token);
        const attempts = token.getRetryCount() + 1;
        return { ...(output as object), $metadata: { httpStatusCode: 200, requestId: 'sim-request', attempts, totalRetryDelay: 0 } };
      } catch (err) {
        try {
          // Sleeps the backoff itself (on the simulated clock), or throws when no retry is left.
          token = await strategy.refreshRetryTokenForRetry(token, { error: err, errorType: errorType(err) });
        } catch {
          throw err;
        }
      }
    }
  };
  return () => {
    proto.send = original;
  };
}
