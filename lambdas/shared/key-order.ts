/** S3's key order, in a module of its own: no SDK client loaded for it (split-bucket, the bench endpoint). */

/**
 * Orders keys the way ListObjectsV2 returns them: UTF-8 binary order ("List results are always
 * returned in UTF-8 binary order", https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
 * UTF-8 byte order equals code point order; JS strings compare UTF-16 code units, which disagree
 * only where a surrogate (U+D800–DFFF, i.e. a code point above U+FFFF) meets U+E000–FFFF, so those
 * two ranges are swapped before comparing. No Buffer per comparison: verification sorts millions.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
