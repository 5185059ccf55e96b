/**
 * The S3 requests a benchmark run records, one row per request in growable typed arrays: a million
 * objects per bucket make tens of millions of requests, and as objects they held gigabytes of the
 * heap that the garbage collector had to trace at every collection (and that the per-step heap
 * measurement had to collect around). The typed arrays' storage lies outside the JavaScript heap.
 */
import type { S3Request } from './observe';

export class S3RequestLog implements Iterable<S3Request> {
  private size = 0;
  private starts = new Float64Array(1024);
  private ends = new Float64Array(1024);
  /** Index into `names` of the operation, the bucket and the error (-1: none). */
  private operations = new Int32Array(1024);
  private buckets = new Int32Array(1024);
  private errors = new Int32Array(1024);
  /** Index into `names` of a write's prefix (-1: none). */
  private prefixes = new Int32Array(1024);
  private readonly names: string[] = [];
  private readonly indexOf = new Map<string, number>();

  get length(): number {
    return this.size;
  }

  push(request: S3Request): void {
    if (this.size === this.starts.length) this.grow();
    const i = this.size++;
    this.starts[i] = request.start;
    this.ends[i] = request.end;
    this.operations[i] = this.intern(request.operation);
    this.buckets[i] = this.intern(request.bucket);
    this.errors[i] = request.error === undefined ? -1 : this.intern(request.error);
    this.prefixes[i] = request.prefix === undefined ? -1 : this.intern(request.prefix);
  }

  /** The request at `index` (a fresh object each time). */
  at(index: number): S3Request {
    const error = this.errors[index] as number;
    const prefix = this.prefixes[index] as number;
    return {
      operation: this.names[this.operations[index] as number] as string,
      bucket: this.names[this.buckets[index] as number] as string,
      start: this.starts[index] as number,
      end: this.ends[index] as number,
      ...(error >= 0 ? { error: this.names[error] as string } : {}),
      ...(prefix >= 0 ? { prefix: this.names[prefix] as string } : {}),
    };
  }

  /** The requests from `index` on, in the order they were recorded. */
  *from(index: number): Generator<S3Request> {
    for (let i = index; i < this.size; i++) yield this.at(i);
  }

  [Symbol.iterator](): Iterator<S3Request> {
    return this.from(0);
  }

  private intern(name: string): number {
    let index = this.indexOf.get(name);
    if (index === undefined) {
      index = this.names.push(name) - 1;
      this.indexOf.set(name, index);
    }
    return index;
  }

  private grow(): void {
    const bigger = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.starts = bigger(this.starts, (n) => new Float64Array(n));
    this.ends = bigger(this.ends, (n) => new Float64Array(n));
    this.operations = bigger(this.operations, (n) => new Int32Array(n));
    this.buckets = bigger(this.buckets, (n) => new Int32Array(n));
    this.errors = bigger(this.errors, (n) => new Int32Array(n));
    this.prefixes = bigger(this.prefixes, (n) => new Int32Array(n));
  }
}
