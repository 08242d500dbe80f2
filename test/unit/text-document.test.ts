/**
 * The server's chunked documents (server/src/lsp/text-document.ts) against
 * vscode-languageserver-textdocument's, on the same seeded random edits: text, positions,
 * offsets, line ranges and line counts must agree after every update, and the edits kept for
 * the engine must replay the old text into the new one.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { ChunkedTextDocument } from '../../server/src/lsp/text-document';
import type { TextEdit } from '../../server/src/engine/incremental';

const PIECES = ['x', '\n', '\r\n', '\r', ' ', 'é', '\u{1F600}', 'key: value\n', '---\n', '', 'a\r\nb\nc'];

function replay(text: string, edits: readonly TextEdit[]): string {
  for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return text;
}

function randomText(rnd: (n: number) => number, length: number): string {
  let s = '';
  while (s.length < length) s += PIECES[rnd(PIECES.length)]!;
  return s;
}

function agree(ours: ChunkedTextDocument, theirs: TextDocument, rnd: (n: number) => number, label: string): void {
  assert.equal(ours.getText(), theirs.getText(), `${label}: text`);
  assert.equal(ours.lineCount, theirs.lineCount, `${label}: line count`);
  const n = theirs.getText().length;
  for (let k = 0; k < 40; k++) {
    const o = rnd(n + 3) - 1;
    assert.deepEqual(ours.positionAt(o), theirs.positionAt(o), `${label}: positionAt(${o})`);
    const p = { line: rnd(theirs.lineCount + 2) - 1, character: rnd(40) - 1 };
    assert.equal(ours.offsetAt(p), theirs.offsetAt(p), `${label}: offsetAt(${JSON.stringify(p)})`);
    const line = rnd(theirs.lineCount + 2) - 1;
    assert.deepEqual(ours.getLineRange(line), theirs.getLineRange(line), `${label}: getLineRange(${line})`);
    assert.equal(ours.getEOLCharacters(line), theirs.getEOLCharacters(line), `${label}: getEOLCharacters(${line})`);
    const a = theirs.positionAt(rnd(n + 1));
    const b = theirs.positionAt(rnd(n + 1));
    const range = a.line < b.line || (a.line === b.line && a.character <= b.character) ? { start: a, end: b } : { start: b, end: a };
    assert.equal(ours.getText(range), theirs.getText(range), `${label}: getText(range)`);
  }
}

for (const size of [200, 70_000]) {
  test(`random edits agree with vscode-languageserver-textdocument (${size} characters, chunks of 16 KB)`, () => {
    let seed = size;
    const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n);
    const initial = randomText(rnd, size);
    const ours = new ChunkedTextDocument('file:///t.yaml', 'yaml', 1, initial);
    const theirs = TextDocument.create('file:///t.yaml', 'yaml', 1, initial);
    let from = ours.generation;
    let before = initial;
    for (let v = 2; v < 120; v++) {
      const changes: TextDocumentContentChangeEvent[] = [];
      // Sometimes several changes in one update, sometimes a whole-text change.
      const count = rnd(5) === 0 ? 1 + rnd(3) : 1;
      let scratch = TextDocument.create('file:///s.yaml', 'yaml', 0, theirs.getText());
      for (let c = 0; c < count; c++) {
        const len = scratch.getText().length;
        if (rnd(25) === 0) changes.push({ text: randomText(rnd, rnd(size * 2)) });
        else {
          const a = scratch.positionAt(rnd(len + 1));
          const b = rnd(3) === 0 ? scratch.positionAt(rnd(len + 1)) : a;
          const big = rnd(30) === 0;
          changes.push({ range: { start: a, end: b }, text: big ? randomText(rnd, 40_000) : randomText(rnd, rnd(6)) });
        }
        scratch = TextDocument.update(scratch, [changes[changes.length - 1]!], 0);
      }
      ours.update(changes, v);
      TextDocument.update(theirs, changes, v);
      const label = `version ${v}`;
      agree(ours, theirs, rnd, label);
      const edits = ours.takeEdits(from);
      if (changes.some((c) => !('range' in c))) assert.equal(edits, undefined, `${label}: a whole-text change has no edits`);
      else assert.equal(replay(before, edits ?? assert.fail(`${label}: no edits`)), theirs.getText(), `${label}: the edits replay`);
      from = ours.generation;
      before = theirs.getText();
    }
  });
}

test('edits are handed out once, from the generation they start at', () => {
  const doc = new ChunkedTextDocument('file:///t.yaml', 'yaml', 1, 'a: 1\n');
  const g = doc.generation;
  doc.update([{ range: { start: { line: 0, character: 3 }, end: { line: 0, character: 4 } }, text: '2' }], 2);
  assert.equal(doc.takeEdits(g + 1), undefined, 'not from a later generation');
  doc.update([{ range: { start: { line: 0, character: 3 }, end: { line: 0, character: 4 } }, text: '3' }], 3);
  assert.deepEqual(doc.takeEdits(doc.generation - 1), [{ start: 3, end: 4, text: '3' }]);
  assert.deepEqual(doc.takeEdits(doc.generation), []);
});
