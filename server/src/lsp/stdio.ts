/**
 * The `--stdio` connection, as `createConnection(ProposedFeatures.all)` makes it for `--stdio`
 * (the input's end exits the process, 0 after a shutdown request; console output goes to the
 * client's log instead of into the protocol stream), with two differences. The input is read by
 * `PreallocatingMessageReader` (message-reader.ts: a large message's bytes go into one Buffer as
 * they arrive). Messages are encoded into one Buffer, kept and reused, instead of a new one each
 * (a Buffer grown past 1 MB by a large message is given back after sixteen smaller ones). A publish of a few hundred diagnostics is a few hundred KB
 * of JSON, and a new Buffer that size cost ~4 ms on the VMs we measure on (fresh pages), a
 * quarter of an edit's latency in a large file with many findings (docs/performance.md). The
 * writer encodes a message only once the previous one is written (its write callback), so the
 * Buffer is never overwritten while the stream still reads it.
 */
import { format } from 'node:util';
import { createConnection, ProposedFeatures, StreamMessageWriter, type Connection } from 'vscode-languageserver/node';
import type { Message } from 'vscode-languageserver-protocol';
import { PreallocatingMessageReader } from './message-reader';

/** The encoder's Buffer is kept at up to this size for the whole session. */
const KEEP_BYTES = 1 << 20;
/** Messages in a row that fit in `KEEP_BYTES` before a Buffer grown past it is given back. */
const SHRINK_AFTER = 16;

/** A placeholder for a large array while the rest of a message is stringified. */
const HOLE = '\u0000drainguard-array\u0000';

/**
 * The large array of a message, if it has one where the server puts them: a publish's
 * `params.diagnostics`, a pull report's `result.items`.
 */
function largeArray(msg: Message): { outer: 'params' | 'result'; key: 'diagnostics' | 'items'; items: unknown[] } | undefined {
  const m = msg as { params?: { diagnostics?: unknown }; result?: { items?: unknown } };
  if (Array.isArray(m.params?.diagnostics) && m.params.diagnostics.length > 32) return { outer: 'params', key: 'diagnostics', items: m.params.diagnostics };
  if (Array.isArray(m.result?.items) && m.result.items.length > 32) return { outer: 'result', key: 'items', items: m.result.items };
  return undefined;
}

/**
 * The JSON encoder of vscode-jsonrpc (`application/json`, UTF-8), into a reused Buffer. A large
 * array is stringified item by item: `JSON.stringify` of a whole publish returns a string made
 * of parts, which V8 copies into one new string of several hundred KB (fresh pages again) before
 * it can be encoded; small strings are encoded as they are.
 */
export function reusingJsonEncoder(): { name: string; encode(msg: Message): Promise<Uint8Array> } {
  let scratch = Buffer.allocUnsafeSlow(64 * 1024);
  /**
   * Messages in a row that fitted in `KEEP_BYTES` while the Buffer is larger. One large message
   * (the publish of a file with tens of thousands of findings, a fix-all's edit of a large file)
   * grows the Buffer to its size; it is given back once `SHRINK_AFTER` smaller ones followed,
   * rather than kept for the session, and not after each small message between large ones.
   */
  let small = 0;
  /**
   * The bytes of each item of a large array, kept while the item lives: the server sends the
   * same diagnostic objects again when their findings did not change or only moved (a publish
   * after an edit resends a few hundred of them), and never changes one once made, so each is
   * stringified and encoded once.
   */
  const itemBytes = new WeakMap<object, Buffer>();
  const bytesOf = (item: unknown): Buffer => {
    if (typeof item !== 'object' || item === null) return Buffer.from(JSON.stringify(item) ?? 'null', 'utf8');
    let b = itemBytes.get(item);
    if (!b) {
      b = Buffer.from(JSON.stringify(item) ?? 'null', 'utf8');
      itemBytes.set(item, b);
    }
    return b;
  };
  return {
    name: 'application/json',
    encode(msg: Message): Promise<Uint8Array> {
      const big = largeArray(msg);
      const outer = big && (msg as unknown as Record<string, Record<string, unknown>>)[big.outer]!;
      // Split where the array goes; a message that holds the placeholder's text itself is stringified whole.
      const around = big && JSON.stringify({ ...msg, [big.outer]: { ...outer, [big.key]: HOLE } }, undefined, 0).split(JSON.stringify(HOLE));
      const parts: (string | Buffer)[] = [];
      if (big && around?.length === 2) {
        parts.push(around[0]!, '[');
        big.items.forEach((item, i) => {
          if (i > 0) parts.push(',');
          parts.push(bytesOf(item));
        });
        parts.push(']', around[1]!);
      } else parts.push(JSON.stringify(msg, undefined, 0));
      let n = 0;
      for (const p of parts) n += typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length;
      if (n > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(n, 2 * scratch.length));
      if (n > KEEP_BYTES) small = 0;
      else if (scratch.length > KEEP_BYTES && ++small >= SHRINK_AFTER) {
        // Safe as growing is: the writer encodes a message only once the previous one is written.
        scratch = Buffer.allocUnsafeSlow(KEEP_BYTES);
        small = 0;
      }
      let at = 0;
      for (const p of parts) at += typeof p === 'string' ? scratch.write(p, at, 'utf8') : p.copy(scratch, at);
      return Promise.resolve(scratch.subarray(0, n));
    },
  };
}

/** The server's connection over stdin and stdout. */
export function stdioConnection(): Connection {
  const writer = new StreamMessageWriter(process.stdout, { charset: 'utf-8', contentTypeEncoder: reusingJsonEncoder() });
  const connection = createConnection(ProposedFeatures.all, new PreallocatingMessageReader(process.stdin), writer);
  // The client went away: exit, 0 if it asked for a shutdown first (as the library does for --stdio).
  let shutdown = false;
  connection.onShutdown(() => {
    shutdown = true;
  });
  const gone = (): never => process.exit(shutdown ? 0 : 1);
  process.stdin.on('end', gone);
  process.stdin.on('close', gone);
  // Anything printed with console.* would corrupt the protocol on stdout: it goes to the client's log.
  const to = (log: (m: string) => void) => (...args: unknown[]): void => log(format(...args));
  console.log = console.debug = console.dir = console.table = to((m) => connection.console.log(m));
  console.info = to((m) => connection.console.info(m));
  console.warn = to((m) => connection.console.warn(m));
  console.error = console.trace = to((m) => connection.console.error(m));
  return connection;
}
