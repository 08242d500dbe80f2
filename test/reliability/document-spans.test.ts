/** The fix-safety checker reads a stream as kubectl does: one document per `---` piece. */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentSpans } from './invariants';

test('an unclosed quote in one document does not swallow the next (seed 4242, case 77670)', () => {
  const text = 'a: 1\n---\nb: "open\n---\nc: 2\n';
  const spans = documentSpans(text);
  assert.equal(spans.length, 3);
  assert.deepEqual(spans.map((s) => text.slice(s.start, s.end)), ['a: 1\n', '---\nb: "open\n', '---\nc: 2\n']);
  assert.deepEqual(spans.map((s) => s.errors > 0), [false, true, false]);
});

test('with a directive the stream is read whole; ... ends a document', () => {
  assert.equal(documentSpans('%YAML 1.2\n---\na: 1\n...\n---\nb: 2\n').length, 2);
  assert.equal(documentSpans('a: 1\n...\nb: 2\n').length, 2);
});
