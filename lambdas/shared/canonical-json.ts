/**
 * Canonical JSON of a statistics document and its digest. Two readings of one endpoint are the same
 * statistics when their `data` objects are equal as JSON whatever the key order (docs/design.md,
 * "Statistics comparison"): the canonical form sorts object keys at every level (arrays keep their
 * order), so its SHA-256 is a digest that a later reading can be compared with without keeping the
 * document itself in the execution state (256 KiB, invariant 10).
 *
 * Used by compare-statistics (the digest of each side at a clone) and recheck-original (the
 * original's statistics just before its deletion, against those compared at clone 1).
 */
import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted by UTF-16 code unit order (Array.prototype.sort's default, the
 * same on every platform), no whitespace. Numbers are written as JSON.stringify writes them, so
 * 1, 1.0 and 1e0 (which JSON.parse reads as the same number) have one form.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 (hex) of the canonical JSON of a statistics `data` object. */
export function statisticsDigest(data: unknown): string {
  return createHash('sha256').update(canonicalJson(data), 'utf8').digest('hex');
}
