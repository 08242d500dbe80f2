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
import { isMarker } from './yaml/stream';

export const MAX_TEXT_LENGTH = 5 * 1024 * 1024;
export const MAX_DOCUMENTS = 10000;

/** Whether a text of `size` UTF-16 code units is over the size limit. */
export function isTooLarge(size: number): boolean {
  return size > MAX_TEXT_LENGTH;
}

/** The note for a file over the size limit. */
export function tooLargeMessage(size: number): string {
  return `skipped: too large (${(size / 1048576).toFixed(1)} MB; files over ${MAX_TEXT_LENGTH / 1048576} MB are not analysed)`;
}

/**
 * How many document marker lines (`---` or `...`, each alone or followed by a blank, as
 * `yaml/stream.ts` splits) a text has, counting no further than `limit` + 1. Both count: a
 * stream of documents separated only by `...` lines is as many documents.
 */
function markerLines(text: string, limit: number): number {
  let n = 0;
  for (const marker of ['---', '...'] as const) {
    if (isMarker(text, 0, marker)) n++;
    const needle = `\n${marker}`;
    for (let i = text.indexOf(needle); i >= 0 && n <= limit; i = text.indexOf(needle, i + 4)) if (isMarker(text, i + 1, marker)) n++;
  }
  return n;
}

/** Why a text is not analysed at all (too large, too many documents), or undefined. */
export function skipReason(text: string): string | undefined {
  if (isTooLarge(text.length)) return tooLargeMessage(text.length);
  // Fewer than 4 characters per document marker line cannot reach the limit.
  if (text.length < 4 * MAX_DOCUMENTS) return undefined;
  return markerLines(text, MAX_DOCUMENTS) > MAX_DOCUMENTS ? `skipped: more than ${MAX_DOCUMENTS.toLocaleString('en-US')} documents in one file` : undefined;
}

/**
 * Whether a file of `bytes` bytes is too large whatever its text: the limit is on UTF-16 code
 * units (`text.length`), and UTF-8 needs at most 3 bytes per unit, so past 3 × the limit the
 * text is over it too. The CLI uses this to skip such files without reading them; between
 * the two, it reads the file and checks the text.
 */
export function isTooLargeFile(bytes: number): boolean {
  return bytes > 3 * MAX_TEXT_LENGTH;
}
