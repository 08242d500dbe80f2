/**
 * The server's reader (server/src/lsp/message-reader.ts) reads what vscode-jsonrpc's own
 * StreamMessageReader reads, from the same bytes cut into chunks anywhere.
 */
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { StreamMessageReader, type MessageReader } from 'vscode-languageserver/node';
import { PreallocatingMessageReader } from '../../server/src/lsp/message-reader';

const frame = (msg: unknown, extraHeader = ''): Buffer => {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n${extraHeader}\r\n`, 'ascii'), body]);
};

/** Feed `chunks` to a reader on a stream; the messages it delivers and the errors it reports. */
async function read(make: (s: PassThrough) => MessageReader, chunks: Buffer[]): Promise<{ messages: unknown[]; errors: string[] }> {
  const stream = new PassThrough();
  const reader = make(stream);
  const messages: unknown[] = [];
  const errors: string[] = [];
  reader.onError((e) => errors.push(e.message));
  reader.listen((m) => messages.push(m));
  for (const c of chunks) {
    stream.write(c);
    await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  reader.dispose();
  return { messages, errors };
}
const ours = (s: PassThrough): MessageReader => new PreallocatingMessageReader(s);
const library = (s: PassThrough): MessageReader => new StreamMessageReader(s);

const MESSAGES: unknown[] = [
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } },
  { jsonrpc: '2.0', method: 'initialized', params: {} },
  // Multi-byte UTF-8 (a cut can fall inside a character), and a JSON escape.
  { jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: 'file:///é.yaml', languageId: 'yaml', version: 1, text: 'a: "☕ é 𝄞"\n\u0000\n' } } },
  { jsonrpc: '2.0', id: 2, result: [{ section: 'drainguard' }] },
];

test('the same messages as vscode-jsonrpc, with the stream cut at every byte and at random places', async () => {
  const bytes = Buffer.concat([frame(MESSAGES[0]), frame(MESSAGES[1], 'Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n'), frame(MESSAGES[2]), frame(MESSAGES[3])]);
  for (let cut = 1; cut < bytes.length; cut++) {
    const chunks = [bytes.subarray(0, cut), bytes.subarray(cut)];
    const got = await read(ours, chunks);
    assert.deepEqual(got, { messages: MESSAGES, errors: [] }, `cut at ${cut}`);
  }
  // One byte at a time: headers spread over many chunks, against the library's reader.
  const bytewise = [...bytes].map((b) => Buffer.from([b]));
  const [one, lib] = [await read(ours, bytewise), await read(library, bytewise)];
  assert.deepEqual(one, lib);
  assert.deepEqual(one, { messages: MESSAGES, errors: [] });
  // A large message among small ones, in chunks of random sizes up to 300 B, 4 KB and 64 KB.
  const big = { jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: 'file:///big.yaml', languageId: 'yaml', version: 1, text: 'k: ☕ value\n'.repeat(30000) } } };
  const stream = Buffer.concat([frame(MESSAGES[1]), frame(big), frame(MESSAGES[3])]);
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const max of [300, 4096, 65536]) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const n = 1 + Math.floor(random() * max);
      chunks.push(stream.subarray(at, at + n));
      at += n;
    }
    const [a, b] = [await read(ours, chunks), await read(library, chunks)];
    assert.deepEqual(a, b, `chunks up to ${max}`);
    assert.deepEqual(a.messages, [MESSAGES[1], big, MESSAGES[3]]);
  }
});

test('framing errors are reported as vscode-jsonrpc reports them, never thrown', async () => {
  const cases: Buffer[] = [
    Buffer.from('Content-Type: x\r\n\r\n{}', 'ascii'),
    Buffer.from('Content-Length: abc\r\n\r\n{}', 'ascii'),
    Buffer.from('no colon here\r\n\r\n{}', 'ascii'),
    Buffer.from('Content-Length: 2\r\n\r\n{x', 'ascii'), // not JSON
  ];
  for (const c of cases) {
    const [a, b] = [await read(ours, [c]), await read(library, [c])];
    assert.equal(a.messages.length, 0);
    assert.equal(a.errors.length, 1, JSON.stringify(a));
    assert.equal(b.errors.length, 1, JSON.stringify(b));
    assert.equal(a.errors[0]!.split('\n')[0], b.errors[0]!.split('\n')[0]);
  }
  // A length no Buffer can hold, and one past the limit: errors, not a crash or an allocation.
  for (const length of [2 ** 53, 2 ** 30 + 1]) {
    const huge = await read(ours, [Buffer.from(`Content-Length: ${length}\r\n\r\n{`, 'ascii')]);
    assert.deepEqual(huge.errors, [`Content-Length ${length} is over the ${2 ** 30} bytes this server reads.`]);
  }
  // dispose() detaches the reader from its stream.
  const stream = new PassThrough();
  const reader = new PreallocatingMessageReader(stream);
  reader.listen(() => undefined);
  assert.equal(stream.listenerCount('data'), 1);
  reader.dispose();
  assert.equal(stream.listenerCount('data'), 0);
  // Headers that never end: an error once past 64 KB.
  const endless = await read(ours, [Buffer.from('X-Header: ' + 'y'.repeat(70 * 1024), 'ascii')]);
  assert.equal(endless.errors.length, 1);
  assert.match(endless.errors[0]!, /longer than/);
});
