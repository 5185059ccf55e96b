/**
 * HTTP probes of an environment's own endpoints (statistics, smoke test). Steps receive a
 * `fetch`-compatible function instead of using the global one, so tests and the local simulator
 * can answer the requests; handlers pass `(url, init) => fetch(url, init)`, resolved at call time.
 */

/** The part of a fetch Response the steps read. */
export interface HttpResponseLike {
  status: number;
  text(): Promise<string>;
}

export interface HttpRequestInit {
  method: 'GET';
  headers: Record<string, string>;
  signal: AbortSignal;
  redirect: 'follow' | 'manual';
}

export type FetchLike = (url: string, init: HttpRequestInit) => Promise<HttpResponseLike>;

/** Either the response (any status) or why there was none. */
export type HttpOutcome = { status: number; body: string; reason?: undefined } | { status?: undefined; body?: undefined; reason: string };

export interface HttpGetOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Follow redirects (default) or report the 3xx itself. */
  redirect?: 'follow' | 'manual';
}

/**
 * GETs `url`, reading the whole body, within `timeoutMs` for headers and body together. Never
 * throws: a timeout or network error comes back as `reason`. The timeout is a setTimeout plus an
 * AbortController (not AbortSignal.timeout), because the local simulator's fake clock fakes only
 * setTimeout and Date; racing the timer also covers a fetch that ignores the abort signal.
 */
export async function httpGet(fetchFn: FetchLike, url: string, options: HttpGetOptions): Promise<HttpOutcome> {
  const controller = new AbortController();
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<HttpOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ reason: `timed out after ${seconds} s` });
    }, options.timeoutMs);
  });
  const request = (async (): Promise<HttpOutcome> => {
    const response = await fetchFn(url, {
      method: 'GET',
      headers: options.headers ?? {},
      signal: controller.signal,
      redirect: options.redirect ?? 'follow',
    });
    return { status: response.status, body: await response.text() };
  })().catch((err: unknown): HttpOutcome => {
    if (controller.signal.aborted) return { reason: `timed out after ${seconds} s` };
    return { reason: `network error: ${describeError(err)}` };
  });
  try {
    return await Promise.race([request, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Node's fetch reports "fetch failed" and keeps the useful part (ECONNREFUSED...) in `cause`. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${err.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
  }
  return err.message;
}
