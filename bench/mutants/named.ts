/**
 * The named mutants of issue 9 item 8: each is a bug that would let the workflow lose data, and
 * each must be killed by at least one END-TO-END check (rehearsal scenarios, Clone run alone, the
 * fault tests), not only by unit tests. bench/mutants/named-run.ts applies each to a copy of the
 * repository and runs the end-to-end checks there.
 *
 * Each edit is a textual patch: `find` must occur EXACTLY ONCE in `file`, else the run fails
 * loudly ("anchor not found" / "anchor found N times") and the mutant is never counted as killed.
 * Anchors are distinctive lines, so when the code moves (verify-bucket, copy-bucket and
 * delete-stack are being rewritten) re-anchoring is a change of `find`/`replace` here and nothing
 * else; the runner names the mutant, file and anchor that broke.
 */

export interface Edit {
  /** Exact text that must occur once in the file. */
  find: string;
  /** What replaces it: the bug. */
  replace: string;
}

export interface NamedMutant {
  /** Stable id, `<area>/<bug>`. */
  id: string;
  /** The bug as issue 9 item 8 words it. */
  title: string;
  /** Repository-relative path of the mutated file. */
  file: string;
  edits: Edit[];
}

const DELETE_STACK = 'lambdas/delete-stack/core.ts';
const VERIFY_BUCKET = 'lambdas/verify-bucket/core.ts';
const COMPARE_STATISTICS = 'lambdas/compare-statistics/core.ts';
const CLONE = 'statemachine/clone.ts';
const DELETE_SNAPSHOTS = 'lambdas/delete-snapshots/core.ts';

export const NAMED_MUTANTS: NamedMutant[] = [
  {
    id: 'delete-stack/no-verified-copy-check',
    title: 'delete-stack skips the verified-copy check',
    file: DELETE_STACK,
    edits: [{ find: "if (!copy) return ['no verified copy was given'];", replace: 'return [];' }],
  },
  {
    id: 'delete-stack/no-stack-id-check',
    title: 'delete-stack skips the expected stack id check',
    file: DELETE_STACK,
    edits: [{ find: 'if (event.expectedStackId !== undefined && event.expectedStackId !== stack.StackId) {', replace: 'if (false) {' }],
  },
  {
    id: 'delete-stack/no-termination-protection-check',
    title: 'delete-stack skips termination protection',
    file: DELETE_STACK,
    edits: [{ find: 'if (stack.EnableTerminationProtection) problems.push(', replace: 'if (false) problems.push(' }],
  },
  {
    id: 'verify-bucket/always-equal',
    title: 'verify-bucket always EQUAL',
    file: VERIFY_BUCKET,
    edits: [{ find: "status: equal ? 'EQUAL' : 'MISMATCH',", replace: "status: 'EQUAL'," }],
  },
  {
    id: 'verify-bucket/first-page-only',
    title: 'verify-bucket reads only the first page',
    file: VERIFY_BUCKET,
    edits: [{ find: 'token = page.IsTruncated ? page.NextContinuationToken : undefined;', replace: 'token = undefined;' }],
  },
  {
    // Sizes and keys still compared; neither the ETag nor the checksum rule, nor the digest, looks at content.
    id: 'verify-bucket/ignores-content',
    title: 'verify-bucket ignores content',
    file: VERIFY_BUCKET,
    edits: [
      { find: "source.etag !== destination.etag ? 'CONTENT_DIFFERS' : undefined", replace: 'undefined' },
      { find: "common.source !== common.destination ? 'CONTENT_DIFFERS' : undefined", replace: 'undefined' },
      { find: 'return `${o.key}\\t${o.size}\\t${fingerprint}`;', replace: 'return `${o.key}\\t${o.size}`;' },
    ],
  },
  {
    // As a verification that walks the source listing and never looks at what else the destination holds.
    id: 'verify-bucket/ignores-extra-destination-objects',
    title: 'verify-bucket ignores extra destination objects',
    file: VERIFY_BUCKET,
    edits: [
      {
        find: 'const etagsAreMd5 = !sourceKms && !destinationKms;',
        replace:
          'const etagsAreMd5 = !sourceKms && !destinationKms; { const keys = new Set(sourceObjects.map((o) => o.key)); const kept = destinationObjects.filter((o) => keys.has(o.key)); destinationObjects.length = 0; destinationObjects.push(...kept); }',
      },
    ],
  },
  {
    // Neither reported nor left to differ in the digest: the object simply counts as equal.
    id: 'verify-bucket/passes-not-comparable',
    title: 'verify-bucket passes NOT_COMPARABLE objects',
    file: VERIFY_BUCKET,
    edits: [
      { find: "problem: sizeDiffers ? 'SIZE_DIFFERS' : 'NOT_COMPARABLE',", replace: "problem: sizeDiffers ? 'SIZE_DIFFERS' : undefined," },
      { find: 'sourceFingerprint: `not-comparable:${source.etag}`,', replace: "sourceFingerprint: 'not-comparable'," },
      { find: 'destinationFingerprint: `not-comparable:${destination.etag}`,', replace: "destinationFingerprint: 'not-comparable'," },
    ],
  },
  {
    id: 'compare-statistics/endpoint-error-is-equal',
    title: 'an endpoint error counts as EQUAL (compare-statistics)',
    file: COMPARE_STATISTICS,
    edits: [
      {
        find: 'if (!source.ok || !destination.ok || !source.data || !destination.data) return notCompared(source, destination);',
        replace: "if (!source.ok || !destination.ok || !source.data || !destination.data) return { ...notCompared(source, destination), status: 'EQUAL' };",
      },
    ],
  },
  {
    id: 'compare-statistics/same-url-allowed',
    title: 'the same statistics URL is allowed',
    file: COMPARE_STATISTICS,
    edits: [{ find: "if ('url' in sourceUrl && 'url' in destinationUrl && sourceUrl.url === destinationUrl.url) {", replace: 'if (false) {' }],
  },
  {
    id: 'clone/ignores-bucket-verdicts',
    title: 'Clone ignores the bucket verdicts (the Choice on the tally)',
    file: CLONE,
    edits: [
      {
        find: "sfn.Condition.and(sfn.Condition.stringEquals('$.statistics.status', 'EQUAL'), sfn.Condition.booleanEquals('$.tally.anyMismatch', false)),",
        replace: "sfn.Condition.stringEquals('$.statistics.status', 'EQUAL'),",
      },
    ],
  },
  {
    id: 'delete-snapshots/ignores-keep',
    title: 'snapshot clean-up ignores `keep` (delete-snapshots)',
    file: DELETE_SNAPSHOTS,
    edits: [{ find: 'if (keep.has(id.toLowerCase())) {', replace: 'if (false) {' }],
  },
];

/** How many times `find` occurs in `text`. */
export function occurrences(text: string, find: string): number {
  if (!find) return 0;
  let n = 0;
  for (let i = text.indexOf(find); i !== -1; i = text.indexOf(find, i + find.length)) n++;
  return n;
}

export class AnchorError extends Error {
  override name = 'AnchorError';
}

/**
 * The file's text with the mutant's edits applied. Throws AnchorError, naming the mutant, file and
 * anchor, when an anchor is missing or ambiguous: such a mutant is broken, never killed.
 */
export function applyMutant(mutant: NamedMutant, text: string): string {
  let out = text;
  for (const [i, edit] of mutant.edits.entries()) {
    const n = occurrences(out, edit.find);
    if (n !== 1) {
      throw new AnchorError(
        `${mutant.id}: anchor ${n === 0 ? 'not found' : `found ${n} times`} in ${mutant.file} (edit ${i + 1} of ${mutant.edits.length}): ${JSON.stringify(edit.find)}`,
      );
    }
    out = out.replace(edit.find, () => edit.replace);
  }
  return out;
}
