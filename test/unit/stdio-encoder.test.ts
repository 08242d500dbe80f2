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
