/**
 * One LSP client for the benchmark, the same code for every server it drives: spawn the server
 * on stdio, initialize (push diagnostics only, no workspace folder), push the settings, then
 * time `didOpen` and `didChange` to the next `publishDiagnostics` for the document.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';

export interface ServerSpec {
  name: string;
  command: string[];
  /** Answers to `workspace/configuration` by section, and the `didChangeConfiguration` payload. */
  settings: Record<string, unknown>;
}

export interface Session {
  name: string;
  /** didOpen to the first diagnostics for the document, in ms, and how many there were. */
  open(uri: string, text: string): Promise<{ ms: number; count: number }>;
  /** didChange (one incremental change) to the next diagnostics for the document, in ms. */
  change(uri: string, version: number, start: { line: number; character: number }, end: { line: number; character: number }, text: string): Promise<{ ms: number; count: number }>;
  /** The server process's resident memory now and at its peak, in MB (Linux /proc). */
  memory(): { rssMb: number; peakMb: number } | undefined;
  close(): Promise<void>;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export async function startSession(spec: ServerSpec, timeoutMs = 120000): Promise<Session> {
  const child: ChildProcess = spawn(spec.command[0]!, spec.command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d) => process.env.LSP_STDERR && process.stderr.write(d));
  const conn: ProtocolConnection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published: { uri: string; version?: number; at: number; count: number }[] = [];
  let wake: (() => void) | undefined;
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push({ uri: p.uri, version: p.version, at: now(), count: p.diagnostics.length });
    wake?.();
  });
  conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map((i) => (i.section ? (spec.settings[i.section] ?? null) : null)));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('client/unregisterCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onRequest('workspace/diagnostic/refresh', () => null);
  conn.onUnhandledNotification(() => undefined);
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: null,
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      textDocument: { synchronization: { dynamicRegistration: false }, publishDiagnostics: { relatedInformation: true, versionSupport: true } },
    },
  });
  await conn.sendNotification('initialized', {});
  await conn.sendNotification('workspace/didChangeConfiguration', { settings: spec.settings });

  /** Resolve at the first publish for `uri` after index `from` (and of `version`, when the server says which). */
  const next = (uri: string, from: number, version: number | undefined, t0: number): Promise<{ ms: number; count: number }> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        wake = undefined;
        reject(new Error(`${spec.name}: no diagnostics for ${uri} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        for (let i = from; i < published.length; i++) {
          const p = published[i]!;
          if (p.uri !== uri || (version !== undefined && p.version !== undefined && p.version < version)) continue;
          clearTimeout(timer);
          wake = undefined;
          resolve({ ms: p.at - t0, count: p.count });
          return;
        }
      };
      wake = check;
      check();
    });

  return {
    name: spec.name,
    async open(uri, text) {
      const from = published.length;
      const t0 = now();
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
      return next(uri, from, 1, t0);
    },
    async change(uri, version, start, end, text) {
      const from = published.length;
      const t0 = now();
      await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: { start, end }, text }] });
      return next(uri, from, version, t0);
    },
    memory() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
        return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
      } catch {
        return undefined;
      }
    },
    async close() {
      try {
        await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
        await conn.sendNotification('exit');
      } catch {
        // Already gone.
      }
      await new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        const t = setTimeout(() => {
          child.kill();
          r();
        }, 2000);
        child.on('exit', () => {
          clearTimeout(t);
          r();
        });
      });
      conn.dispose();
    },
  };
}
