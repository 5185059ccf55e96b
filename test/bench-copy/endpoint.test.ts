/**
 * The parts of `npm run bench:copy` that decide its figures without a process: the endpoint's
 * listing pages (every tool's sync starts from them) and how a peer's CPU is read from bash `times`.
 */
import { describe, expect, it } from 'vitest';
import { Bucket, listPage } from '../../bench/copy/endpoint';
import { childrenCpuMs } from '../../bench/copy/peers';

function bucketOf(keys: string[]): Bucket {
  const b = new Bucket();
  for (const key of keys) b.put(key, { size: 1, etag: '"x"', lastModified: new Date(0), contentType: 'x', metadata: {}, tags: [], origin: key });
  return b;
}

/** Every page from the start, each resumed after the previous page's last entry, as a continuation token does. */
function allPages(b: Bucket, prefix: string, delimiter: string, maxKeys: number): { keys: string[]; prefixes: string[]; pages: number } {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let after: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = listPage(b, prefix, after, delimiter, maxKeys);
    keys.push(...page.keys);
    prefixes.push(...page.commonPrefixes);
    if (!page.truncated) return { keys, prefixes, pages };
    after = page.last;
  }
}

describe('bench endpoint listing', () => {
  const b = bucketOf(['a/1', 'a/2', 'b/x/1', 'b/x/2', 'b/y/1', 'c', 'a/3', '\u{1F600}', '\uFFFD']);

  it('lists every key once, in UTF-8 binary order, across pages of any size', () => {
    for (const maxKeys of [1, 2, 4, 1000]) {
      const { keys } = allPages(b, '', '', maxKeys);
      expect(keys).toEqual(['a/1', 'a/2', 'a/3', 'b/x/1', 'b/x/2', 'b/y/1', 'c', '\uFFFD', '\u{1F600}']);
    }
  });

  it('rolls keys up into common prefixes, each counted once against max-keys and never repeated on the next page', () => {
    const one = allPages(b, '', '/', 1);
    expect(one.prefixes).toEqual(['a/', 'b/']);
    expect(one.keys).toEqual(['c', '\uFFFD', '\u{1F600}']);
    expect(one.pages).toBe(5);
    expect(allPages(b, 'b/', '/', 1)).toEqual({ keys: [], prefixes: ['b/x/', 'b/y/'], pages: 2 });
  });

  it('starts strictly after start-after and keeps to the prefix', () => {
    expect(listPage(b, 'a/', 'a/1', '', 1000).keys).toEqual(['a/2', 'a/3']);
    expect(listPage(b, 'b/x/', undefined, '', 1000)).toMatchObject({ keys: ['b/x/1', 'b/x/2'], truncated: false });
  });
});

describe('peer CPU from bash times', () => {
  it("is the children's user + system time, the second line", () => {
    expect(childrenCpuMs('0m0.004s 0m0.009s\n0m3.514s 0m0.615s\n')).toBeCloseTo(4129, 6);
    expect(childrenCpuMs('0m0.000s 0m0.000s\n1m2.500s 0m0.500s')).toBeCloseTo(63_000, 6);
  });

  it('refuses output it cannot read rather than counting no CPU', () => {
    expect(() => childrenCpuMs('')).toThrow(/cannot read/);
  });
});
