/**
 * Preloaded (`node --expose-gc --require heap-probe.js server.js`) into the language server by
 * the stress test: on SIGUSR2 it collects garbage and writes `heap-probe <bytes>` to stderr,
 * so the test can read the server's live heap without any hook in the server itself.
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  process.stderr.write(`heap-probe ${process.memoryUsage().heapUsed}\n`);
});
