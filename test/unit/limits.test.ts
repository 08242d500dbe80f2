/** The input limits (engine/limits.ts): what counts as a document marker, and the size limits. */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTooLargeFile, MAX_DOCUMENTS, MAX_TEXT_LENGTH, skipReason } from '../../server/src/engine/limits';

const docs = (n: number, sep: string): string => Array.from({ length: n }, (_, i) => `a${i}: 1\n`).join(sep);

test('more than 10,000 documents are skipped, whether separated by --- or ... lines', () => {
  assert.equal(skipReason(docs(MAX_DOCUMENTS, '---\n')), undefined, '9,999 markers: analysed');
  assert.match(skipReason(docs(MAX_DOCUMENTS + 2, '---\n')) ?? '', /more than 10,000 documents/);
  assert.match(skipReason(docs(MAX_DOCUMENTS + 2, '...\n')) ?? '', /more than 10,000 documents/, 'a stream separated only by ... lines');
  assert.match(skipReason(docs(MAX_DOCUMENTS + 2, '--- # c\n')) ?? '', /more than 10,000 documents/, 'a marker with a comment');
});

test('lines that only start like a marker are not markers', () => {
  assert.equal(skipReason(docs(MAX_DOCUMENTS + 2, '---x: 1\n')), undefined);
  assert.equal(skipReason(docs(MAX_DOCUMENTS + 2, '....\n')), undefined);
});

test('the size limit is on the text; a file is skipped unread only when its bytes must exceed it', () => {
  assert.match(skipReason('#'.repeat(MAX_TEXT_LENGTH + 1)) ?? '', /too large/);
  assert.equal(skipReason(`a: ${'b'.repeat(1000)}\n`), undefined);
  // Up to 3 bytes of UTF-8 per UTF-16 unit: 15 MB of bytes can still be a 5 MB text.
  assert.equal(isTooLargeFile(3 * MAX_TEXT_LENGTH), false);
  assert.equal(isTooLargeFile(3 * MAX_TEXT_LENGTH + 1), true);
});
