/**
 * A GetObject Body as the SDK hands it out: a Node.js Readable with the SDK's stream mixin
 * (`transformToString`, `transformToByteArray`, `transformToWebStream`). The simulated S3 answers with
 * it, and a step run in a worker thread (../isolated-invocations.ts) gets its bytes wrapped in it again.
 */
import { Readable } from 'node:stream';

export type SdkBody = Readable & {
  transformToByteArray: () => Promise<Uint8Array>;
  transformToString: (encoding?: string) => Promise<string>;
  transformToWebStream: () => ReadableStream;
};

/** A GetObject Body with the SDK's stream mixin (what `Body.transformToString()` is called on). */
export function sdkBody(chunks: Iterable<Buffer>): SdkBody {
  const stream = Readable.from(chunks, { objectMode: false });
  const collect = async () => {
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
    return Buffer.concat(parts);
  };
  return Object.assign(stream, {
    transformToByteArray: async () => new Uint8Array(await collect()),
    transformToString: async (encoding?: string) => (await collect()).toString((encoding ?? 'utf8') as BufferEncoding),
    transformToWebStream: () => Readable.toWeb(stream) as unknown as ReadableStream,
  });
}

