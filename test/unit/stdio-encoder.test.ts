/** The server's stdio encoder (server/src/lsp/stdio.ts) writes the same bytes as vscode-jsonrpc's. */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message } from 'vscode-languageserver-protocol';
import { reusingJsonEncoder } from '../../server/src/lsp/stdio';

const diagnostic = (i: number): unknown => ({
  range: { start: { line: i, character: 2 }, end: { line: i, character: 9 } },
  severity: 1 + (i % 4),
  code: 'drain-exceeds-grace',
  source: 'drainguard',
  message: `drain ${i}s is longer than the grace period — é ☕ "quoted" \\ \u0000 \ud800`,
  relatedInformation: i % 3 === 0 ? [{ location: { uri: 'file:///a.yaml', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } }, message: 'x' }] : undefined,
  tags: undefined,
});

test('the same bytes as JSON.stringify, for small and large messages, one after another in the reused Buffer', async () => {
  const encoder = reusingJsonEncoder();
  const messages: Message[] = [
    { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///w.yaml', version: 3, diagnostics: Array.from({ length: 400 }, (_, i) => diagnostic(i)) } } as Message,
    { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///w.yaml', diagnostics: [diagnostic(1)] } } as Message,
    { jsonrpc: '2.0', id: 7, result: { kind: 'full', resultId: '9', items: Array.from({ length: 100 }, (_, i) => diagnostic(i)) } } as Message,
    { jsonrpc: '2.0', id: 8, result: { kind: 'full', items: [...Array.from({ length: 40 }, (_, i) => diagnostic(i)), undefined] } } as Message,
    // A message that holds the placeholder's own text is stringified whole.
    { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///\u0000drainguard-array\u0000', diagnostics: Array.from({ length: 50 }, () => '\u0000drainguard-array\u0000') } } as Message,
    { jsonrpc: '2.0', method: 'window/logMessage', params: { type: 3, message: 'small' } } as Message,
  ];
  for (const m of messages) {
    const ours = Buffer.from(await encoder.encode(m));
    assert.equal(ours.toString('utf8'), JSON.stringify(m));
    assert.deepEqual(ours, Buffer.from(JSON.stringify(m), 'utf8'));
  }
});

test('diagnostics sent again are encoded from the bytes kept for them, as JSON.stringify writes them', async () => {
  const encoder = reusingJsonEncoder();
  const kept = Array.from({ length: 60 }, (_, i) => diagnostic(i));
  const publish = (diagnostics: unknown[]): Message => ({ jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///w.yaml', version: diagnostics.length, diagnostics } }) as Message;
  // The same objects again, some dropped, new ones among them, in another order: what a publish after an edit sends.
  const rounds = [kept, [...kept.slice(10), diagnostic(100), ...kept.slice(0, 5)], [diagnostic(7), ...kept.slice(30), ...kept.slice(30)]];
  for (const items of rounds) {
    const m = publish(items);
    assert.deepEqual(Buffer.from(await encoder.encode(m)), Buffer.from(JSON.stringify(m), 'utf8'));
  }
});

test('a Buffer grown by one large message is given back after sixteen smaller ones, not after each', async () => {
  const encoder = reusingJsonEncoder();
  const publish = (count: number): Message => ({ jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri: 'file:///w.yaml', diagnostics: Array.from({ length: count }, (_, i) => diagnostic(i)) } }) as Message;
  const small: Message = { jsonrpc: '2.0', method: 'window/logMessage', params: { type: 3, message: 'small' } } as Message;
  const sizeAfter = async (m: Message): Promise<number> => {
    const bytes = await encoder.encode(m);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(JSON.stringify(m), 'utf8'));
    return bytes.buffer.byteLength;
  };
  const large = publish(5000); // about 1.5 MB of JSON
  const grown = await sizeAfter(large);
  assert.ok(grown > 1 << 20, `grown to ${grown}`);
  // Large and small messages in turn: the Buffer stays.
  for (let i = 0; i < 20; i++) assert.equal(await sizeAfter(i % 2 ? large : small), grown);
  // Sixteen small ones in a row: given back on the sixteenth, and the next large one grows it again.
  for (let i = 1; i < 16; i++) assert.equal(await sizeAfter(small), grown, `message ${i}`);
  assert.equal(await sizeAfter(publish(40)), 1 << 20);
  assert.equal(await sizeAfter(small), 1 << 20);
  assert.ok((await sizeAfter(large)) > 1 << 20);
});
