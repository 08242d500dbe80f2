/**
 * The server's reader of its input: vscode-jsonrpc's `StreamMessageReader` (compatible framing
 * and decoding: `Content-Length` headers, `JSON.parse` of the UTF-8 body, messages delivered in
 * order; stricter on bad input: a negative or over-1-GiB length and headers past 64 KB are
 * reported errors), except for where a body's bytes go. The library keeps the chunks (64 KB each
 * from a pipe) and, once the last one is in, copies them all into one new Buffer: for the
 * `didOpen` of a 2 MB file that join took 6–9 ms in traces of the server (mostly the new
 * Buffer's page faults), after the transfer and before the analysis can start
 * (docs/performance.md). Here the Buffer is made as soon as the headers give the length and each
 * chunk is copied into it as it arrives, while the client is still writing the rest.
 */
import type { Readable } from 'node:stream';
import { AbstractMessageReader, Disposable, type DataCallback, type MessageReader } from 'vscode-languageserver/node';

const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');
/** Headers longer than this are not an LSP client's: the input is dropped with an error. */
const MAX_HEADERS = 64 * 1024;
/** A body is allocated when its headers arrive: a length past this is reported, not allocated. */
const MAX_BODY = 1 << 30;

export class PreallocatingMessageReader extends AbstractMessageReader implements MessageReader {
  /** Bytes of headers not yet complete (a chunk can end inside them). */
  private head: Buffer = Buffer.alloc(0);
  /** The body being filled, and how much of it is. */
  private body: Buffer | undefined;
  private filled = 0;
  /** Bodies are decoded and delivered one after the other, in order. */
  private delivered: Promise<void> = Promise.resolve();
  private callback: DataCallback | undefined;
  private listening: Disposable | undefined;
  private partialTimer: ReturnType<typeof setTimeout> | undefined;
  /** As vscode-jsonrpc: `onPartialMessage` fires when a message stays incomplete this long (ms). */
  partialMessageTimeout = 10000;

  constructor(private readonly readable: Readable) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (data: Buffer | string): void => this.onData(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    const onError = (error: Error): void => this.fireError(error);
    const onClose = (): void => this.fireClose();
    this.readable.on('data', onData);
    this.readable.on('error', onError);
    this.readable.on('close', onClose);
    this.listening = Disposable.create(() => {
      this.readable.off('data', onData);
      this.readable.off('error', onError);
      this.readable.off('close', onClose);
      this.clearPartialTimer();
    });
    return this.listening;
  }

  /** Also detaches from the stream (the library's reader leaves that to `listen`'s Disposable, which connections drop). */
  override dispose(): void {
    this.listening?.dispose();
    this.listening = undefined;
    this.clearPartialTimer();
    super.dispose();
  }

  private onData(data: Buffer): void {
    try {
      this.read(data);
    } catch (error) {
      // As the library: an error is reported, never thrown into the stream's event.
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private read(data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      const body = this.body;
      if (body) {
        const n = Math.min(body.length - this.filled, data.length - at);
        data.copy(body, this.filled, at, at + n);
        this.filled += n;
        at += n;
        if (this.filled === body.length) this.complete(body);
        continue;
      }
      // Headers: what is left of them from the last chunk, then this one.
      const before = this.head.length;
      const joined = before > 0 ? Buffer.concat([this.head, data.subarray(at, at + MAX_HEADERS)]) : data.subarray(at);
      const end = joined.indexOf(HEADER_END);
      if (end < 0) {
        if (joined.length > MAX_HEADERS) return this.fail(new Error(`Message headers are longer than ${MAX_HEADERS} bytes.`));
        this.head = Buffer.from(joined);
        return;
      }
      this.head = Buffer.alloc(0);
      at += end + HEADER_END.length - before;
      const length = contentLength(joined.toString('ascii', 0, end));
      if (typeof length !== 'number') return this.fail(length);
      if (data.length - at >= length) {
        // The whole body is in this chunk (most messages): no copy, as the library does.
        const whole = data.subarray(at, at + length);
        at += length;
        this.complete(whole);
      } else {
        this.body = Buffer.allocUnsafe(length);
        this.filled = 0;
      }
    }
    if (this.body) this.setPartialTimer();
  }

  private complete(body: Buffer): void {
    this.body = undefined;
    this.filled = 0;
    this.clearPartialTimer();
    const callback = this.callback;
    this.delivered = this.delivered
      .then(() => {
        callback?.(JSON.parse(body.toString('utf8')));
      })
      .catch((error: unknown) => this.fireError(error));
  }

  /** Bad framing: reported, and the input read so far dropped (the library reports it and stops making sense of the stream too). */
  private fail(error: Error): void {
    this.head = Buffer.alloc(0);
    this.body = undefined;
    this.filled = 0;
    this.fireError(error);
  }

  private setPartialTimer(): void {
    this.clearPartialTimer();
    if (this.partialMessageTimeout <= 0) return;
    const timeout = this.partialMessageTimeout;
    const body = this.body;
    this.partialTimer = setTimeout(() => {
      this.partialTimer = undefined;
      if (this.body === body) {
        this.firePartialMessage({ messageToken: 0, waitingTime: timeout });
        this.setPartialTimer();
      }
    }, timeout);
    this.partialTimer.unref?.();
  }

  private clearPartialTimer(): void {
    if (this.partialTimer) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
  }
}

/** The Content-Length of a message's headers, or the error vscode-jsonrpc reports for them. */
function contentLength(headers: string): number | Error {
  let value: string | undefined;
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) return new Error(`Message header must separate key and value using ':'\n${line}`);
    if (line.slice(0, colon).toLowerCase() === 'content-length') value = line.slice(colon + 1).trim();
  }
  if (value === undefined) return new Error(`Header must provide a Content-Length property.\n${headers}`);
  const length = parseInt(value, 10);
  if (isNaN(length) || length < 0) return new Error(`Content-Length value must be a number. Got ${value}`);
  if (length > MAX_BODY) return new Error(`Content-Length ${length} is over the ${MAX_BODY} bytes this server reads.`);
  return length;
}
