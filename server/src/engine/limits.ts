/**
 * What the engine refuses to parse, so that no input takes unbounded time or memory. Parsing
 * costs time and memory in proportion to the text, and more per document: measured on 5 MB of
 * small Deployments that each have a finding, the CLI takes about 20 s of CPU and 1 GB (10 MB:
 * 90 s and 2 GB); a stream of 100,000 tiny documents (4.5 MB) held more than 1 GB of parsed
 * documents. Real manifests are far below both limits: the corpus' largest file is 2 MB and 60
 * documents, the largest single object Kubernetes stores is 1.5 MB, and the workspace index
 * already skips files over 5 MB. A text over a limit is not parsed at all: it gets one note (the
 * CLI prints it; the language server logs it) and no findings.
 */
export const MAX_TEXT_LENGTH = 5 * 1024 * 1024;
export const MAX_DOCUMENTS = 10000;

/** Whether a text (or a file of `size` bytes) is over the size limit. */
export function isTooLarge(size: number): boolean {
  return size > MAX_TEXT_LENGTH;
}

/** The note for a file over the size limit. */
export function tooLargeMessage(size: number): string {
  return `skipped: too large (${(size / 1048576).toFixed(1)} MB; files over ${MAX_TEXT_LENGTH / 1048576} MB are not analysed)`;
}

/** How many `---` lines a text has, counting no further than `limit` + 1. */
function markerLines(text: string, limit: number): number {
  let n = text.startsWith('---') ? 1 : 0;
  for (let i = text.indexOf('\n---'); i >= 0 && n <= limit; i = text.indexOf('\n---', i + 4)) n++;
  return n;
}

/** The last text asked about and its answer: the language server asks several times per version. */
let last: { text: string; reason: string | undefined } | undefined;

/** Why a text is not analysed at all (too large, too many documents), or undefined. */
export function skipReason(text: string): string | undefined {
  if (isTooLarge(text.length)) return tooLargeMessage(text.length);
  // Fewer than 4 characters per document marker line cannot reach the limit.
  if (text.length < 4 * MAX_DOCUMENTS) return undefined;
  if (last?.text === text) return last.reason;
  const reason = markerLines(text, MAX_DOCUMENTS) > MAX_DOCUMENTS ? `skipped: more than ${MAX_DOCUMENTS.toLocaleString('en-US')} documents in one file` : undefined;
  last = { text, reason };
  return reason;
}
