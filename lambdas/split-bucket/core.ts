import { ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KeyRange, SplitBucketEvent, SplitBucketResult } from '../shared/contracts';
import { compareKeys } from '../shared/key-order';
import { VERSION_PAGE_SIZE } from '../shared/versions';

export interface SplitOptions {
  /** At most this many ranges (MAX_KEY_RANGES unless the event says otherwise). */
  maxRanges: number;
  /** A range is cut for every this many estimated entries at least (MIN_RANGE_ENTRIES). */
  minRangeEntries: number;
}

/** Probes sent at once in each round of the search for the bucket's last key. */
export const END_PROBES = 16;
/** Rounds of that search at most: each narrows where the last key lies about 16-fold (a character in 1 to 2 rounds). */
const MAX_END_ROUNDS = 16;
/** Rounds of probes into the gaps estimated largest (see splitBucket). */
const REFINE_ROUNDS = 3;
/** Probes spread over the whole key space once its end is known, per range asked for. */
const DENSITY_PROBES_PER_RANGE = 4;
/** Printable ASCII, what most key names are made of: the search for the last key tries these in every place. */
const PRINTABLE_ASCII = Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i));
/** Characters of a key beyond the common prefix that its position counts. */
const POSITION_DIGITS = 32;

/** One listing page: the keys it holds, in order, with their entries (versions and delete markers) on it. */
interface Page {
  /** The KeyMarker it was listed after: no key lies between it and the page's first key. */
  marker?: string;
  keys: { key: string; entries: number }[];
  /** Some entries follow the page's last key: a page that is not truncated listed to the end of the bucket. */
  truncated: boolean;
}

/**
 * Clone, per bucket, before "copy objects": cuts the source bucket's key space into at most
 * `maxRanges` KeyRanges that copy-bucket invocations copy in parallel (issue 15: one function
 * copies about 1,000 objects/s at most, CPU-bound, so a bucket of millions needs several).
 *
 * One ListObjectVersions page (1,000 entries) first: a bucket that fits in it is one open range {}
 * and nothing more is asked. Otherwise the key distribution is estimated by probing in parallel:
 * a ListObjectVersions with KeyMarker at a candidate key lists the 1,000 entries that follow it,
 * which tells which real key comes next and how far 1,000 entries reach from there (the local
 * density). Candidates are spaced evenly in a numbering of keys built from the characters the keys
 * seen so far use (so "logs/000001".."logs/999999" is spaced over the digits, not over all of
 * Unicode): rounds of END_PROBES probes narrow down where the last key is (16-fold per round), then
 * DENSITY_PROBES_PER_RANGE × maxRanges probes spread over the whole space measure the density.
 * The search also probes "<prefix of the greatest key>\uFFFF" for each prefix, which finds in one
 * round how much of the greatest key the last one shares. 100 to 250 requests, all reads,
 * whatever the bucket's size (a listing of 10 million entries would be 10,000).
 *
 * How even the ranges are: entries between two keys listed on the same page are counted exactly,
 * and nothing lies between a probe's KeyMarker and the first key it lists; across the rest of a
 * gap between two pages they are estimated as the gap's width (in that numbering) times the mean
 * density of the two pages around it; the gaps estimated largest are probed again (REFINE_ROUNDS),
 * and where a range's share ends inside a gap a probe there finds a real key for the bound.
 * Measured on in-memory listings (8 ranges; largest range against its share): sequence numbers
 * (1,000,000 keys) 1.13x from 188 requests, random UUIDs (200,000) 1.22x from 141; but ISO
 * timestamps (300,000) 5.5x and a few large folders among small ones (270,000) 6.2x, where the
 * characters seen so far in a place (months, user names) are not those the bucket uses and the
 * density inside a page says little about a gap between folders or days (the estimate is then
 * far off either way; 4 times the probes did not help). Uneven ranges only copy less in
 * parallel: every key is in exactly one range whatever the estimate, and the whole bucket is
 * verified after the copy.
 *
 * The ranges cover the whole key space exactly, in order: the first has no `after`, the last no
 * `upTo`, each `after` is the previous `upTo`. Every bound is a real key listed here, each range's
 * `upTo` included in it, and the last range starts before the last key listed: no range is empty
 * when it is cut (a key deleted since is simply not copied). A range is cut for every
 * `minRangeEntries` estimated entries at least: a smaller one would save less than a second of
 * copying for the state transitions and invocation it costs.
 *
 * Request rates: ranges of one bucket often share one S3 prefix, and S3 supports "at least 3,500
 * PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per partitioned prefix" (S3 user
 * guide, "Best practices design patterns: optimizing Amazon S3 performance"). The ranges' copies
 * are not coordinated: each invocation's adaptive limiter halves its requests in flight when S3
 * answers SlowDown (lambdas/shared/concurrency.ts), which is what keeps the whole fan-out within
 * the prefix's rate while S3 scales its partitions.
 *
 * Returns the ranges, the estimated entry count and the requests made. Throws the raw SDK error of
 * a failed listing (the handler classifies it: throttling is retried by the state machine).
 */
export async function splitBucket(s3: S3Client, event: SplitBucketEvent, options: SplitOptions): Promise<SplitBucketResult> {
  const bucket = event.pair.sourceBucket;
  const maxRanges = Math.max(1, Math.floor(event.maxRanges ?? options.maxRanges));
  let requests = 0;
  const list = async (keyMarker: string | undefined): Promise<Page> => {
    requests++;
    const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: VERSION_PAGE_SIZE, ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}) }));
    const counts = new Map<string, number>();
    for (const e of [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])]) if (e.Key !== undefined) counts.set(e.Key, (counts.get(e.Key) ?? 0) + 1);
    const keys = [...counts].map(([key, entries]) => ({ key, entries })).sort((a, b) => compareKeys(a.key, b.key));
    return { ...(keyMarker !== undefined ? { marker: keyMarker } : {}), keys, truncated: out.IsTruncated === true };
  };

  const first = await list(undefined);
  if (!first.truncated || maxRanges === 1) return { ranges: [{}], estimatedEntries: entriesOf(first), requests };
  const pages: Page[] = [first];
  const probe = async (candidates: string[]) => {
    const found = await Promise.all(candidates.map((c) => list(c)));
    pages.push(...found.filter((p) => p.keys.length > 0));
    return found;
  };

  // Where is the last key? Between the greatest key listed and the lowest candidate after which
  // nothing is listed (undefined: above every key seen); found once a page lists to the end.
  let upper: string | undefined;
  for (let round = 0; round < MAX_END_ROUNDS && pages.every((p) => p.truncated); round++) {
    const greatest = greatestKey(pages);
    // "<a prefix of the greatest key>\uFFFF" lists what follows every key with that prefix: the
    // longest such prefix after which nothing is listed is the last key's, found in one round.
    const shared = upper === undefined ? 0 : [...commonPrefix(greatest, upper)].length;
    const chars = [...greatest].slice(0, POSITION_DIGITS);
    const jumps = chars.map((_, i) => `${chars.slice(0, i).join('')}\uFFFF`).slice(shared + 1).filter((c) => upper === undefined || compareKeys(c, upper) < 0);
    const candidates = [...new Set([...jumps.slice(0, END_PROBES), ...KeySpace.search(pages, greatest, upper).between(greatest, upper, END_PROBES)])].sort(compareKeys);
    if (candidates.length === 0) break;
    const found = await probe(candidates);
    const empty = candidates.filter((_, i) => (found[i] as Page).keys.length === 0);
    if (empty.length) upper = empty[0];
  }

  // The density over the whole space, where no page has listed yet.
  const lowest = (first.keys[0] as { key: string }).key;
  const space = KeySpace.of(pages);
  const listed = (c: string) => pages.some((p) => compareKeys((p.keys[0] as { key: string }).key, c) <= 0 && compareKeys(c, (p.keys.at(-1) as { key: string }).key) < 0);
  await probe(space.between(lowest, greatestKey(pages), DENSITY_PROBES_PER_RANGE * maxRanges).filter((c) => !listed(c)));

  // Gaps estimated to hold more than a quarter of a range are probed in their middle, the largest first.
  for (let round = 0; round < REFINE_ROUNDS; round++) {
    const space = KeySpace.of(pages);
    const { total, gaps } = estimate(pages, space);
    const large = gaps.filter((g) => g.entries > total / maxRanges / 4).sort((a, b) => b.entries - a.entries).slice(0, END_PROBES);
    const candidates = large.flatMap((g) => space.between(g.after, g.before, 1)).filter((c) => !listed(c));
    if (candidates.length === 0) break;
    await probe(candidates);
  }

  // A bound is a real key: where a range's share ends inside a gap, the key found there is listed.
  const roughSpace = KeySpace.of(pages);
  const rough = estimate(pages, roughSpace);
  const wanted = Math.min(maxRanges, Math.max(1, Math.ceil(rough.total / options.minRangeEntries)));
  const atBounds: string[] = [];
  for (let j = 1; j < wanted; j++) {
    const target = (j * rough.total) / wanted;
    const gap = rough.gaps.find((g) => g.start <= target && target < g.start + g.entries);
    if (gap) atBounds.push(roughSpace.at(gap.after, gap.before, (target - gap.start) / gap.entries));
  }
  const fresh = [...new Set(atBounds)].filter((c) => !listed(c));
  if (fresh.length) await probe(fresh);

  const { keys, total } = estimate(pages, KeySpace.of(pages));
  const count = Math.min(maxRanges, Math.max(1, Math.ceil(total / options.minRangeEntries)));
  return { ranges: rangesAt(keys, total, count), estimatedEntries: Math.round(total), requests };
}

function entriesOf(page: Page): number {
  return page.keys.reduce((n, k) => n + k.entries, 0);
}

function greatestKey(pages: Page[]): string {
  let greatest = '';
  for (const p of pages) {
    const last = p.keys.at(-1)?.key;
    if (last !== undefined && compareKeys(last, greatest) > 0) greatest = last;
  }
  return greatest;
}

/** Keys between two listed ones that no page has listed, and how many entries they are estimated to hold. */
interface Gap {
  after: string;
  before: string;
  /** Entries estimated before the gap. */
  start: number;
  entries: number;
}

/** A known key and the estimated number of entries before it in the bucket. */
interface Placed {
  key: string;
  entries: number;
  before: number;
}

/**
 * Every key listed, in order, with the entries estimated before it: exact within a page, the gap
 * between two pages estimated from their densities (see splitBucket).
 */
function estimate(pages: Page[], space: KeySpace): { keys: Placed[]; total: number; gaps: Gap[] } {
  const byFirst = [...pages].sort((a, b) => compareKeys((a.keys[0] as { key: string }).key, (b.keys[0] as { key: string }).key));
  // Adjacent known keys: `gapAfter` is true where no page lists both, so keys may lie between them.
  const entries = new Map<string, number>();
  // The lowest marker a page starting at a key was listed after: nothing lies between the two.
  const markers = new Map<string, string>();
  const follows = new Map<string, string>();
  const density = new Map<string, number>();
  for (const p of byFirst) {
    // Measured from where the probe started (nothing lies between its marker and its first key): at
    // the scale of the probes, not of one folder's last characters.
    const d = space.density(entriesOf(p), p.marker ?? (p.keys[0] as { key: string }).key, (p.keys.at(-1) as { key: string }).key);
    const firstKey = (p.keys[0] as { key: string }).key;
    const known = markers.get(firstKey);
    if (p.marker !== undefined && (known === undefined || compareKeys(p.marker, known) < 0)) markers.set(firstKey, p.marker);
    p.keys.forEach((k, i) => {
      // A key cut by the page's end shows part of its entries: the larger count is the truer one.
      entries.set(k.key, Math.max(entries.get(k.key) ?? 0, k.entries));
      if (i + 1 < p.keys.length) follows.set(k.key, (p.keys[i + 1] as { key: string }).key);
      density.set(k.key, Math.min(density.get(k.key) ?? Number.POSITIVE_INFINITY, d));
    });
  }
  const sorted = [...entries.keys()].sort(compareKeys);
  const keys: Placed[] = [];
  const gaps: Gap[] = [];
  let before = 0;
  sorted.forEach((key, i) => {
    const n = entries.get(key) as number;
    keys.push({ key, entries: n, before });
    before += n;
    const next = sorted[i + 1];
    if (next === undefined || follows.get(key) === next) return;
    // A gap no page spans: its width times the mean density of the pages on either side.
    const around = [density.get(key), density.get(next)].filter((d): d is number => d !== undefined && Number.isFinite(d));
    const d = around.length ? around.reduce((a, b) => a + b, 0) / around.length : 0;
    // Only up to the marker the page of `next` was listed after: from there to `next` is known empty.
    const marker = markers.get(next);
    const unknownTo = marker !== undefined && compareKeys(marker, next) < 0 ? marker : next;
    const gap = compareKeys(unknownTo, key) > 0 ? space.width(key, unknownTo) * d : 0;
    if (gap > 0) gaps.push({ after: key, before: unknownTo, start: before, entries: gap });
    before += gap;
  });
  return { keys, total: before, gaps };
}

/** `count` ranges with bounds at real keys, each `upTo` the key whose cumulative count is nearest its share. */
function rangesAt(keys: Placed[], total: number, count: number): KeyRange[] {
  const bounds: string[] = [];
  let from = 0;
  for (let j = 1; j < count; j++) {
    const target = (j * total) / count;
    // The last key is never a bound: the last range holds it.
    let best = -1;
    for (let i = from; i < keys.length - 1; i++) {
      const through = (keys[i] as Placed).before + (keys[i] as Placed).entries;
      if (best < 0 || Math.abs(through - target) < Math.abs((keys[best] as Placed).before + (keys[best] as Placed).entries - target)) best = i;
      if (through > target) break;
    }
    if (best < 0) break;
    bounds.push((keys[best] as Placed).key);
    from = best + 1;
  }
  if (bounds.length === 0) return [{}];
  const ranges: KeyRange[] = [{ upTo: bounds[0] }];
  for (let i = 1; i < bounds.length; i++) ranges.push({ after: bounds[i - 1], upTo: bounds[i] });
  ranges.push({ after: bounds.at(-1) });
  return ranges;
}

/**
 * A numbering of keys that keeps S3's order (UTF-8 binary, compareKeys): after the prefix every key
 * shares, the i-th character is a digit whose base is the number of characters seen in that place
 * (+ 1: 0 is the key's end), its rank among them; POSITION_DIGITS places. Evenly spaced numbers are
 * then evenly spaced keys as the bucket names them: "logs/0000001".."logs/0199999" is spaced over
 * the digits used in each place, a UUID over hex digits, whatever part of Unicode names draw from.
 * Positions are BigInts: two keys that differ only in their 20th character still have a width.
 */
class KeySpace {
  private readonly bases: bigint[];
  /** The position above every key of the space. */
  readonly top: bigint;

  private constructor(
    private readonly prefix: string,
    /** Per place, the characters seen there, in order. */
    private readonly places: string[][],
  ) {
    // 0: the key ends; 1..n: the characters seen; n + 1: a character above all of them (a marker's U+FFFF).
    this.bases = places.map((chars) => BigInt(chars.length + 2));
    this.top = this.bases.reduce((a, b) => a * b, 1n);
  }

  /** The space of the keys listed on `pages`: where they lie, to estimate how many lie between them. */
  static of(pages: Page[]): KeySpace {
    let prefix: string | undefined;
    for (const p of pages) for (const k of p.keys) prefix = prefix === undefined ? k.key : commonPrefix(prefix, k.key);
    return KeySpace.over(pages, prefix ?? '', []);
  }

  /**
   * The space from `low` up to `high` (undefined: above every key) for the search of the last key,
   * which must find characters no key listed so far has: every place also holds printable ASCII
   * and, above all of it, U+FFFF (a candidate "<low's prefix>\uFFFF" lists what follows every key
   * with that prefix).
   */
  static search(pages: Page[], low: string, high: string | undefined): KeySpace {
    return KeySpace.over(pages, high === undefined ? '' : commonPrefix(low, high), [...PRINTABLE_ASCII, '\uFFFF', ...(high === undefined ? [] : [high])]);
  }

  private static over(pages: Page[], prefix: string, extra: string[]): KeySpace {
    const places = Array.from({ length: POSITION_DIGITS }, () => new Set<string>());
    const add = (key: string) => [...key.slice(prefix.length)].slice(0, POSITION_DIGITS).forEach((c, i) => (places[i] as Set<string>).add(c));
    for (const p of pages) for (const k of p.keys) if (k.key.startsWith(prefix)) add(k.key);
    for (const e of extra) {
      if (e.length === 1) for (const place of places) place.add(e);
      else if (e.startsWith(prefix)) add(e);
    }
    return new KeySpace(prefix, places.map((chars) => [...filled(chars)].sort(compareKeys)));
  }

  /** Where `key` lies (a key outside the common prefix is clamped to the space's ends). */
  position(key: string): bigint {
    if (!key.startsWith(this.prefix)) return compareKeys(key, this.prefix) < 0 ? 0n : this.top;
    const rest = [...key.slice(this.prefix.length)];
    let value = 0n;
    let ended = false;
    for (let i = 0; i < POSITION_DIGITS; i++) {
      const c = ended ? undefined : rest[i];
      if (c === undefined) ended = true;
      value = value * (this.bases[i] as bigint) + BigInt(c === undefined ? 0 : digit(this.places[i] as string[], c));
    }
    return value;
  }

  /** Entries per unit of position, as a number: `entries` over the width between two keys (infinite when they share a position). */
  density(entries: number, from: string, to: string): number {
    const width = this.position(to) - this.position(from);
    return width > 0n ? entries / Number(width) : Number.POSITIVE_INFINITY;
  }

  /** The width between two keys, as a number. */
  width(from: string, to: string): number {
    const w = this.position(to) - this.position(from);
    return w > 0n ? Number(w) : 0;
  }

  /** Up to `n` distinct keys evenly spaced strictly between `low` and `high` (undefined: above every key seen). */
  between(low: string, high: string | undefined, n: number): string[] {
    const a = this.position(low);
    const b = high === undefined ? this.top : this.position(high);
    const out: string[] = [];
    for (let i = 1; i <= n; i++) {
      const key = this.keyAt(a + ((b - a) * BigInt(i)) / BigInt(n + 1));
      if (compareKeys(key, low) > 0 && (high === undefined || compareKeys(key, high) < 0) && out.at(-1) !== key) out.push(key);
    }
    return out;
  }

  /** The key `fraction` of the way from `low` to `high`. */
  at(low: string, high: string, fraction: number): string {
    const a = this.position(low);
    const b = this.position(high);
    const scale = 1_000_000n;
    return this.keyAt(a + ((b - a) * BigInt(Math.round(Math.min(Math.max(fraction, 0), 1) * 1_000_000))) / scale);
  }

  private keyAt(position: bigint): string {
    const digits: number[] = [];
    let rest = position >= this.top ? this.top - 1n : position;
    for (let i = POSITION_DIGITS - 1; i >= 0; i--) {
      const base = this.bases[i] as bigint;
      digits.unshift(Number(rest % base));
      rest /= base;
    }
    let key = this.prefix;
    // Digit 0 is the end of a key: what follows would sort before it.
    for (let i = 0; i < digits.length; i++) {
      const d = digits[i] as number;
      if (d === 0) break;
      key += (this.places[i] as string[])[d - 1] ?? '\uFFFF';
    }
    return key;
  }
}

/** Character classes whose members between the lowest and the highest seen in a place are taken as used there (a digit not seen yet is still a digit). */
const CLASSES = [
  ['0', '9'],
  ['a', 'z'],
  ['A', 'Z'],
] as const;

function filled(chars: Set<string>): Set<string> {
  const out = new Set(chars);
  for (const [from, to] of CLASSES) {
    const codes = [...chars].filter((c) => c >= from && c <= to).map((c) => c.charCodeAt(0));
    if (codes.length < 2) continue;
    for (let code = Math.min(...codes); code <= Math.max(...codes); code++) out.add(String.fromCharCode(code));
  }
  return out;
}

/** Rank (1-based) of a character among those seen in its place (one not seen ranks with the one below it, or above them all). */
function digit(chars: string[], c: string): number {
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(chars[mid] as string, c) < 0) lo = mid + 1;
    else hi = mid;
  }
  return chars[lo] === c ? lo + 1 : lo === chars.length ? lo + 1 : lo;
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  // Never half a surrogate pair.
  if (i > 0 && /[\uD800-\uDBFF]/.test(a[i - 1] as string)) i--;
  return a.slice(0, i);
}
