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
    edits: [
      // Both listings end with their first page (the reader is told no page follows).
      {
        find: 'const sourceReader = new HistoryReader(list, pair.sourceBucket, prior?.lastKey);',
        replace: 'const sourceReader = new HistoryReader((i) => list(i).then((p) => ({ ...p, IsTruncated: false })), pair.sourceBucket, prior?.lastKey);',
      },
      {
        find: 'const destinationReader = new HistoryReader(list, pair.destinationBucket, prior?.lastKey);',
        replace: 'const destinationReader = new HistoryReader((i) => list(i).then((p) => ({ ...p, IsTruncated: false })), pair.destinationBucket, prior?.lastKey);',
      },
    ],
  },
  {
    // Sizes and keys still compared; neither the ETag nor the checksum rule, nor the digest, looks at content.
    id: 'verify-bucket/ignores-content',
    title: 'verify-bucket ignores content',
    file: VERIFY_BUCKET,
    edits: [
      { find: "else if (fingerprints[0] !== fingerprints[1]) problems.push({ problem: 'CONTENT_DIFFERS', detail: `by ${rule}` });", replace: '' },
      { find: "JSON.stringify([key, position, 'V', e.size, fingerprint, metaAndTags])", replace: "JSON.stringify([key, position, 'V', e.size, fingerprint.length >= 0 ? '' : fingerprint, metaAndTags])" },
    ],
  },
  {
    // As a verification that walks the source listing and never looks at what else the destination holds.
    id: 'verify-bucket/ignores-extra-destination-objects',
    title: 'verify-bucket ignores extra destination objects',
    file: VERIFY_BUCKET,
    edits: [
      // Keys only the destination holds are neither reported nor counted.
      { find: 'const found = destinationHistory?.entries ?? [];', replace: 'const found = sourceHistory ? (destinationHistory?.entries ?? []) : [];' },
    ],
  },
  {
    // Neither reported nor left to differ in the digest: the object simply counts as equal.
    id: 'verify-bucket/passes-not-comparable',
    title: 'verify-bucket passes NOT_COMPARABLE objects',
    file: VERIFY_BUCKET,
    edits: [
      { find: "if (rule === 'notComparable') problems.push({ problem: 'NOT_COMPARABLE', detail: fingerprints[0].slice('not-comparable:'.length) });", replace: "if (rule === 'notComparable') fingerprints = ['not-comparable', 'not-comparable'];" },
    ],
  },
  {
    id: 'compare-statistics/endpoint-error-is-equal',
    title: 'an endpoint error counts as EQUAL (compare-statistics)',
    file: COMPARE_STATISTICS,
    edits: [
      {
        find: 'if (!sourceAnswer.data || !destinationAnswer.data) return notCompared(source, destination);',
        replace: "if (!sourceAnswer.data || !destinationAnswer.data) return { ...notCompared(source, destination), status: 'EQUAL' };",
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
