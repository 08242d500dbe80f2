/**
 * A small LSP client for tests and benchmarks: spawns the built server over stdio and speaks
 * the protocol with vscode-languageserver-protocol, as any editor would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';

export const SERVER = join(__dirname, '..', '..', 'dist', 'server.js');

export interface Client {
  conn: ProtocolConnection;
  child: ChildProcess;
  stderr: () => string;
  /** Settings returned for `workspace/configuration` (section drainguard). */
  settings: Record<string, unknown>;
  published: PublishDiagnosticsParams[];
  /** Wait for a publishDiagnostics for `uri` matching `pred`. */
  waitPublished(uri: string, pred?: (d: Diagnostic[]) => boolean, ms?: number): Promise<Diagnostic[]>;
  requests: string[];
  /** Resolves at the next workspace/diagnostic/refresh request from the server. */
  nextRefresh(ms?: number): Promise<void>;
  /** The server's answer to `initialize`. */
  initializeResult?: InitializeResult;
  close(): Promise<void>;
}

export async function startClient(opts: { pull: boolean; command?: string[]; settings?: Record<string, unknown>; rootUri?: string }): Promise<Client> {
  const cmd = opts.command ?? [process.execPath, SERVER, '--stdio'];
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published: PublishDiagnosticsParams[] = [];
  const waiters: (() => void)[] = [];
  const refreshWaiters: (() => void)[] = [];
  const requests: string[] = [];
  const client: Client = {
    conn,
    child,
    stderr: () => err,
    settings: opts.settings ?? {},
    published,
    requests,
    waitPublished(uri, pred = () => true, ms = 10000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          for (let i = published.length - 1; i >= 0; i--) {
            const p = published[i]!;
            if (p.uri === uri) {
              if (pred(p.diagnostics)) {
                resolve(p.diagnostics);
                return true;
              }
              return false;
            }
          }
          return false;
        };
        if (check()) return;
        const t = setTimeout(() => reject(new Error(`no matching publishDiagnostics for ${uri} within ${ms} ms`)), ms);
        waiters.push(() => {
          if (check()) clearTimeout(t);
        });
      });
    },
    nextRefresh(ms = 10000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no workspace/diagnostic/refresh')), ms);
        const w = (): void => {
          clearTimeout(t);
          refreshWaiters.splice(refreshWaiters.indexOf(w), 1);
          resolve();
        };
        refreshWaiters.push(w);
      });
    },
    async close() {
      try {
        await conn.sendRequest('shutdown');
        await conn.sendNotification('exit');
      } catch {
        // The server may already be gone.
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
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    for (const w of [...waiters]) w();
  });
  conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => {
    requests.push('workspace/configuration');
    return p.items.map((i) => (i.section === 'drainguard' ? client.settings : null));
  });
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('workspace/diagnostic/refresh', () => {
    requests.push('workspace/diagnostic/refresh');
    for (const w of [...refreshWaiters]) w();
    return null;
  });
  conn.onNotification('window/logMessage', () => undefined);
  conn.listen();
  const capabilities: ClientCapabilities = {
    workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, workspaceEdit: { documentChanges: true }, diagnostics: { refreshSupport: true } },
    textDocument: {
      synchronization: { dynamicRegistration: false },
      publishDiagnostics: { relatedInformation: true, tagSupport: { valueSet: [1, 2] }, codeDescriptionSupport: true },
      hover: { contentFormat: ['markdown', 'plaintext'] },
      codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source.fixAll'] } }, isPreferredSupport: true },
      ...(opts.pull ? { diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false } } : {}),
    },
  };
  client.initializeResult = await conn.sendRequest<InitializeResult>('initialize', { processId: process.pid, rootUri: opts.rootUri ?? null, capabilities, workspaceFolders: opts.rootUri ? [{ uri: opts.rootUri, name: 'ws' }] : null });
  await conn.sendNotification('initialized', {});
  return client;
}
