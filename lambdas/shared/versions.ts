/**
 * A bucket's histories, key by key, as ListObjectVersions reports them: what the copy and the
 * verification walk (both sides, in step) so that every version and delete marker of every key is
 * carried and compared in order.
 *
 * Two things of the API shape this module:
 * - A key's versions can span listing pages (a page holds 1,000 entries, NextKeyMarker and
 *   NextVersionIdMarker may point inside a key): a key is handed out only once all of its entries are
 *   read, so callers work on whole histories and resume at key boundaries (KeyMarker alone lists the
 *   keys after it: "KeyMarker: Specifies the key to start with when listing objects in a bucket",
 *   ListObjectVersions API reference).
 * - The SDK returns Versions and DeleteMarkers as two arrays, losing how S3 interleaved them, and
 *   LastModified has a one-second resolution, so a delete marker written in the same second as a
 *   version cannot be placed from the page alone (aws/aws-sdk-java-v2#1620, aws/aws-sdk-cpp#1649,
 *   aws/aws-sdk-go-v2#3164). Such a key is listed again one entry per request (MaxKeys 1 from its
 *   previous entry's VersionIdMarker): S3's own order, exactly, for the rare keys that need it. A
 *   copy writes a key's versions within the same second, so at a destination this is the case of
 *   every key with a delete marker between versions.
 */
import type { DeleteMarkerEntry, ListObjectVersionsCommandInput, ListObjectVersionsCommandOutput, ObjectVersion } from '@aws-sdk/client-s3';
import { compareKeys, plainEtag } from './s3-objects';

export const VERSION_PAGE_SIZE = 1000;

/** One version or delete marker of a key. */
export interface ListedEntry {
  key: string;
  versionId: string;
  deleteMarker: boolean;
  /** 0 for a delete marker. */
  size: number;
  /** Without quotes; '' for a delete marker. */
  etag: string;
  isLatest: boolean;
  /** Epoch ms as listed. */
  lastModified: number;
  /** As listed (STANDARD, GLACIER, ...); undefined for a delete marker. */
  storageClass?: string;
}

/** Every entry of one key, oldest first (the current one, if any, last). */
export interface KeyHistory {
  key: string;
  entries: ListedEntry[];
}

export type ListVersions = (input: ListObjectVersionsCommandInput) => Promise<ListObjectVersionsCommandOutput>;

interface OpenKey {
  key: string;
  versions: ObjectVersion[];
  markers: DeleteMarkerEntry[];
}

/**
 * Reads the histories of `bucket` after key `startAfter` (from the start when undefined), one whole
 * key at a time, in key order. Memory: one listing page and the key being assembled.
 */
export class HistoryReader {
  private ready: KeyHistory[] = [];
  private open: OpenKey | undefined;
  private nextPage: Promise<ListObjectVersionsCommandOutput> | undefined;
  private exhausted = false;

  constructor(
    private readonly list: ListVersions,
    private readonly bucket: string,
    startAfter: string | undefined,
  ) {
    this.nextPage = this.fetch(startAfter, undefined);
  }

  /** The next key's history, or undefined when the listing is exhausted. */
  async next(): Promise<KeyHistory | undefined> {
    while (this.ready.length === 0 && !this.exhausted) await this.readPage();
    return this.ready.shift();
  }

  private fetch(keyMarker: string | undefined, versionIdMarker: string | undefined): Promise<ListObjectVersionsCommandOutput> {
    const page = this.list({
      Bucket: this.bucket,
      MaxKeys: VERSION_PAGE_SIZE,
      ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
      ...(versionIdMarker !== undefined ? { VersionIdMarker: versionIdMarker } : {}),
    });
    // Read by readPage; a prefetched page nobody reads must not be an unhandled rejection.
    page.catch(() => undefined);
    return page;
  }

  private async readPage(): Promise<void> {
    const page = await (this.nextPage as Promise<ListObjectVersionsCommandOutput>);
    const truncated = page.IsTruncated === true && page.NextKeyMarker !== undefined;
    // Prefetched while this page's keys are worked on.
    this.nextPage = truncated ? this.fetch(page.NextKeyMarker, page.NextVersionIdMarker) : undefined;

    const byKey = new Map<string, OpenKey>();
    const group = (key: string) => {
      let g = byKey.get(key);
      if (!g) byKey.set(key, (g = { key, versions: [], markers: [] }));
      return g;
    };
    for (const v of page.Versions ?? []) if (v.Key !== undefined) group(v.Key).versions.push(v);
    for (const m of page.DeleteMarkers ?? []) if (m.Key !== undefined) group(m.Key).markers.push(m);
    const keys = [...byKey.keys()].sort(compareKeys);

    const complete: OpenKey[] = [];
    for (const key of keys) {
      const g = byKey.get(key) as OpenKey;
      if (this.open && this.open.key === key) {
        this.open.versions.push(...g.versions);
        this.open.markers.push(...g.markers);
        continue;
      }
      if (this.open) complete.push(this.open);
      this.open = g;
    }
    // The page's last key may go on in the next page (NextKeyMarker points into it).
    if (!truncated) {
      if (this.open) complete.push(this.open);
      this.open = undefined;
      this.exhausted = true;
    } else if (this.open && this.open.key !== page.NextKeyMarker) {
      complete.push(this.open);
      this.open = undefined;
    }
    for (const g of complete) this.ready.push({ key: g.key, entries: await this.ordered(g) });
  }

  /** The key's entries oldest first, from the two arrays; listed again entry by entry where they cannot be told apart. */
  private async ordered(g: OpenKey): Promise<ListedEntry[]> {
    const versions = g.versions.map(fromVersion);
    const markers = g.markers.map(fromMarker);
    if (markers.length === 0) return versions.reverse();
    if (versions.length === 0) return markers.reverse();
    const merged = mergeNewestFirst(versions, markers);
    return (merged ?? (await this.walk(g.key))).reverse();
  }

  /** S3's own order of one key's entries (newest first), one entry per request. */
  private async walk(key: string): Promise<ListedEntry[]> {
    const out: ListedEntry[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.list({ Bucket: this.bucket, Prefix: key, MaxKeys: 1, ...(marker !== undefined ? { KeyMarker: key, VersionIdMarker: marker } : {}) });
      const v = page.Versions?.[0];
      const m = page.DeleteMarkers?.[0];
      const entry = v ? fromVersion(v) : m ? fromMarker(m) : undefined;
      if (!entry || entry.key !== key) break;
      out.push(entry);
      marker = entry.versionId;
      if (!page.IsTruncated) break;
    }
    return out;
  }
}

const second = (ms: number) => Math.floor(ms / 1000);

/**
 * Merges a key's versions and delete markers (each newest first, as listed) by LastModified; the
 * latest entry first. Undefined when a version and a delete marker share a second (LastModified's
 * resolution) and the order between them is not known.
 */
export function mergeNewestFirst(versions: ListedEntry[], markers: ListedEntry[]): ListedEntry[] | undefined {
  const out: ListedEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < versions.length || j < markers.length) {
    const v = versions[i];
    const m = markers[j];
    if (!m) out.push(versions[i++] as ListedEntry);
    else if (!v) out.push(markers[j++] as ListedEntry);
    else if (v.isLatest) out.push(versions[i++] as ListedEntry);
    else if (m.isLatest) out.push(markers[j++] as ListedEntry);
    else if (second(v.lastModified) > second(m.lastModified)) out.push(versions[i++] as ListedEntry);
    else if (second(m.lastModified) > second(v.lastModified)) out.push(markers[j++] as ListedEntry);
    else return undefined;
  }
  return out;
}

function fromVersion(v: ObjectVersion): ListedEntry {
  return {
    key: v.Key ?? '',
    versionId: v.VersionId ?? 'null',
    deleteMarker: false,
    size: v.Size ?? 0,
    etag: plainEtag(v.ETag),
    isLatest: v.IsLatest === true,
    lastModified: v.LastModified ? new Date(v.LastModified).getTime() : 0,
    storageClass: v.StorageClass,
  };
}

function fromMarker(m: DeleteMarkerEntry): ListedEntry {
  return {
    key: m.Key ?? '',
    versionId: m.VersionId ?? 'null',
    deleteMarker: true,
    size: 0,
    etag: '',
    isLatest: m.IsLatest === true,
    lastModified: m.LastModified ? new Date(m.LastModified).getTime() : 0,
  };
}

/**
 * The destination's histories walked forward in step with the source keys (a merge join): one
 * listing per 1,000 destination entries instead of a request per source key.
 */
export class HistoryCursor {
  private current: KeyHistory | undefined;
  private started = false;
  private done = false;
  /** The last key asked for: a destination key walked past that is greater was asked for by no one. */
  private lastAsked: string | undefined;

  /**
   * `onPassed` hears of every destination history the walk passes over without it being asked for
   * (a key the source does not have, between two keys it has): copy-bucket's mirror removes them.
   */
  constructor(
    private readonly reader: HistoryReader,
    private readonly onPassed?: (history: KeyHistory) => void,
  ) {}

  /** The destination history of exactly `key` (undefined: none). Keys must be asked for in ascending order. */
  async find(key: string): Promise<KeyHistory | undefined> {
    for (;;) {
      if (!this.started || (this.current && compareKeys(this.current.key, key) < 0)) {
        if (this.current && this.unasked(this.current)) this.onPassed?.(this.current);
        this.started = true;
        if (this.done) break;
        this.current = await this.reader.next();
        if (!this.current) this.done = true;
        continue;
      }
      break;
    }
    this.lastAsked = key;
    if (!this.current) return undefined;
    return compareKeys(this.current.key, key) === 0 ? this.current : undefined;
  }

  /** Every destination history after the last key asked for, to the end of the listing (the source has none of them once it is exhausted). */
  async *rest(): AsyncGenerator<KeyHistory> {
    if (!this.started) {
      this.started = true;
      this.current = await this.reader.next();
      if (!this.current) this.done = true;
    }
    while (this.current) {
      if (this.unasked(this.current)) yield this.current;
      if (this.done) break;
      this.current = await this.reader.next();
      if (!this.current) this.done = true;
    }
  }

  private unasked(history: KeyHistory): boolean {
    return this.lastAsked === undefined || compareKeys(history.key, this.lastAsked) > 0;
  }
}

/** The entries a copy carries and a verification expects at the destination: all, or the current object only. */
export function wantedEntries(history: KeyHistory, objectVersions: 'all' | 'current'): ListedEntry[] {
  if (objectVersions === 'all') return history.entries;
  const latest = history.entries.at(-1);
  return latest && !latest.deleteMarker ? [latest] : [];
}

/** Whether a key's history is more than one current version (noncurrent versions or delete markers). */
export function hasHistory(history: KeyHistory): boolean {
  return history.entries.length > 1 || history.entries.some((e) => e.deleteMarker);
}

/** The x-amz-copy-source of one version: `bucket/key?versionId=<id>` (the ID URL-encoded too). */
export function versionSuffix(versionId: string): string {
  return `?versionId=${encodeURIComponent(versionId)}`;
}
