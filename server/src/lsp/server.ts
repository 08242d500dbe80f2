/**
 * The Drainguard language server (`drainguard-lsp --stdio`). A thin layer: it keeps the open
 * documents, asks the engine for one analysis per document version (shared by diagnostics,
 * code actions and hovers), and converts. The engine keeps each open document's analysis
 * between versions (`engine/incremental.ts`), so an edit re-analyses the edited YAML document. Diagnostics are pulled when the client supports it,
 * pushed otherwise, never both. Every handler answers empty rather than throw.
 */
import {
  CodeActionKind,
  createConnection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  DocumentDiagnosticReportKind,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
  type Range,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeSource, type FileResult } from '../engine/analyze';
import { analyzeOpenFile, editOpenFile, openFileResultAt, shownAs, updateOpenFile, type OpenFile } from '../engine/incremental';
import type { AnalysisContext } from '../engine/model/effective';
import type { Settings } from '../engine/settings';
import type { Finding } from '../engine/types';
import { RULES } from '../engine/rules/registry';
import { preferredEdits } from '../engine/apply';
import { hoverAt } from '../engine/hover';
import { ruleDocsUrl } from '../engine/rules/docs';
import { LineIndex } from '../engine/text';
import { FIX_ALL_KIND, toDiagnostic, toQuickFix, toWorkspaceEdit } from './convert';
import { SettingsCache } from './settings';
import { startWarmUp } from './warm-up';
import { stdioConnection } from './stdio';
import { CHUNKED_TEXT_DOCUMENTS, ChunkedTextDocument } from './text-document';
import { canonicalUri, WorkspaceIndex } from './workspace-index';
import { skipReason } from '../engine/limits';

export const SERVER_VERSION = '0.1.0';

interface Analysis {
  version: number;
  /** The content it was made from (`contentOf`): a client may send one version number twice. */
  content: unknown;
  /** The workspace index generation the analysis saw. */
  generation: number;
  result: FileResult;
  ignored: boolean;
  /** What the result was made from, for hovers. */
  file: OpenFile;
  settings: Settings;
  base: AnalysisContext;
}

/** Start a server on a connection (stdio in production, streams in tests). */
export function startServer(connection: Connection): void {
  // Documents keep their text in chunks, and their edits for the engine: no whole-text string per keystroke (text-document.ts).
  const documents = new TextDocuments(CHUNKED_TEXT_DOCUMENTS);
  const analyses = new Map<string, Promise<Analysis>>();
  /** The engine's state per open document, with the content it was made from: updated on every change, analysed on demand. */
  const openFiles = new Map<string, { file: OpenFile; content: unknown; skipped: boolean }>();
  /** When a document was last updated or analysed (the warm-up waits for a quiet server). */
  let lastActivity = Date.now();
  let pull = false;
  let versioned = false;
  let canAskConfiguration = false;
  let canRefresh = false;
  let canProgress = false;
  let canWatch = false;
  let folders: string[] = [];

  const log = (m: string): void => connection.console.log(m);
  const index = new WorkspaceIndex(log);
  const settings = new SettingsCache({
    editor: async (uri) => (canAskConfiguration ? connection.workspace.getConfiguration({ scopeUri: uri, section: 'drainguard' }) : undefined),
    log,
    folders: () => folders,
  });

  /**
   * The engine's state for a document's current text (parses what changed since the last call):
   * from the document's edits when the engine can apply them (`editOpenFile`), else from its text.
   * `skipped`: the text is over a limit and analysed as empty (engine/limits.ts): its parse could
   * take minutes and gigabytes.
   */
  function openFileOf(doc: TextDocument): { file: OpenFile; skipped: boolean } {
    lastActivity = Date.now();
    const content = contentOf(doc);
    const entry = openFiles.get(doc.uri);
    if (entry && entry.content === content) return entry;
    let file: OpenFile | undefined;
    let prev = entry?.file;
    const edits = doc instanceof ChunkedTextDocument && typeof entry?.content === 'number' ? doc.takeEdits(entry.content) : undefined;
    if (entry && edits && !entry.skipped) {
      file = entry.file;
      for (const e of edits) {
        const next: OpenFile | undefined = editOpenFile(file, e);
        if (!next) {
          prev = file;
          file = undefined;
          break;
        }
        file = next;
      }
    }
    let skipped = false;
    if (!file) {
      skipped = skipReason(doc.getText()) !== undefined;
      file = updateOpenFile(prev, doc.uri, skipped ? '' : doc.getText());
    }
    const next = { file, content, skipped };
    if (documents.get(doc.uri)) openFiles.set(doc.uri, next);
    return next;
  }

  /** The analysis of a document's current version, computed once and shared. */
  function analysisOf(doc: TextDocument): Promise<Analysis> {
    lastActivity = Date.now();
    const key = doc.uri;
    const cached = analyses.get(key);
    const make = async (): Promise<Analysis> => {
      const s = await settings.get(doc.uri);
      const generation = index.generation;
      const content = contentOf(doc);
      const { file, skipped } = openFileOf(doc);
      const base = index.contextFor(doc.uri);
      let result = analyzeOpenFile(file, s.settings, base, RULES);
      lastActivity = Date.now();
      if (skipped) {
        const note = skipReason(doc.getText()) ?? 'skipped';
        log(`drainguard: ${doc.uri}: ${note}`);
        result = { ...result, text: doc.getText(), notes: [{ message: note }] };
      }
      for (const n of result.notes) if (n.message.startsWith('internal error')) log(`drainguard: ${doc.uri}: ${n.message}`);
      return { version: doc.version, content, generation, result, ignored: s.ignored, file, settings: s.settings, base };
    };
    if (cached) {
      return cached.then((a) => {
        // The content too: a client that reuses a version number must not get another text's findings (and fixes).
        if (a.version === doc.version && a.content === contentOf(doc) && a.generation === index.generation && analyses.get(key) === cached) return a;
        const next = make();
        analyses.set(key, next);
        return next;
      });
    }
    const next = make();
    analyses.set(key, next);
    return next;
  }

  /** Another file a fix edits: the open document, or its text on disk (version 0: not open). */
  function resolveDocument(uri: string): TextDocument | undefined {
    const key = canonicalUri(uri);
    const open = documents.get(uri) ?? documents.all().find((d) => canonicalUri(d.uri) === key);
    if (open) return open;
    if (!uri.startsWith('file:')) return undefined;
    try {
      const buf = fs.readFileSync(fileURLToPath(uri));
      return TextDocument.create(uri, 'yaml', 0, new TextDecoder('utf-8', { fatal: true }).decode(buf));
    } catch {
      return undefined;
    }
  }

  /**
   * Diagnostics, reused while they stay the same. The incremental analysis hands back the same
   * finding object while its offsets stay the same; an edit moves the offsets of everything after
   * it, but seldom its lines and columns: a finding moved without changing lines is known to show
   * as the one it was moved from (`shownAs`), and any other is converted and then looked up by
   * what the client sees (its range, message and the rest). When every diagnostic is
   * the same as last time, a pull report says "unchanged" instead of sending them again.
   */
  const converted = new WeakMap<Finding, { d: Diagnostic; key: string }>();
  const shown = new Map<string, { byKey: Map<string, Diagnostic>; items: Diagnostic[]; resultId: string }>();
  let nextResultId = 1;
  async function diagnosticsOf(doc: TextDocument): Promise<{ items: Diagnostic[]; resultId: string; unchanged: boolean }> {
    const a = await analysisOf(doc);
    const before = shown.get(doc.uri);
    const byKey = new Map<string, Diagnostic>();
    const items: Diagnostic[] = [];
    if (!a.ignored)
      for (const f of a.result.findings) {
        // A finding that only moved by offsets shows as the one it was moved from (engine: shownAs).
        const root = shownAs(f);
        let c = converted.get(root);
        if (!c) {
          const fresh = toDiagnostic(doc, f);
          const key = diagnosticKey(fresh);
          c = { d: before?.byKey.get(key) ?? fresh, key };
          converted.set(root, c);
        }
        byKey.set(c.key, c.d);
        items.push(c.d);
      }
    const unchanged = before !== undefined && before.items.length === items.length && items.every((d, i) => d === before.items[i]);
    const resultId = unchanged ? before.resultId : String(nextResultId++);
    if (documents.get(doc.uri)) shown.set(doc.uri, { byKey, items, resultId });
    return { items, resultId, unchanged };
  }

  const pending = new Map<string, ReturnType<typeof setImmediate>>();
  function schedulePush(doc: TextDocument): void {
    if (pull) return;
    clearImmediate(pending.get(doc.uri));
    pending.set(
      doc.uri,
      // On the next turn of the event loop, without a timer's delay. vscode-jsonrpc handles one message
      // per turn, so each change of a burst is analysed (an edit costs milliseconds: the incremental analysis).
      setImmediate(() => {
        pending.delete(doc.uri);
        const current = documents.get(doc.uri);
        if (!current) return;
        diagnosticsOf(current)
          .then(({ items }) => {
            if (documents.get(doc.uri)?.version === current.version) void connection.sendDiagnostics({ uri: current.uri, version: current.version, diagnostics: items });
          })
          .catch((e) => log(`drainguard: diagnostics failed for ${doc.uri}: ${String(e)}`));
      }),
    );
  }

  /** Other files' contributions changed: every open document's diagnostics may change. */
  function refreshDiagnostics(except?: string): void {
    if (pull) {
      if (canRefresh) void connection.languages.diagnostics.refresh().catch(() => undefined);
    } else for (const d of documents.all()) if (d.uri !== except) schedulePush(d);
  }

  function refreshAll(): void {
    settings.clear();
    analyses.clear();
    if (pull) {
      if (canRefresh) void connection.languages.diagnostics.refresh().catch(() => undefined);
    } else for (const d of documents.all()) schedulePush(d);
  }

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const caps = params.capabilities;
    pull = caps.textDocument?.diagnostic !== undefined;
    versioned = caps.workspace?.workspaceEdit?.documentChanges === true;
    canAskConfiguration = caps.workspace?.configuration === true;
    canRefresh = caps.workspace?.diagnostics?.refreshSupport === true;
    canProgress = caps.window?.workDoneProgress === true;
    canWatch = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    const uris = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    folders = uris.filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
        ...(pull ? { diagnosticProvider: { identifier: 'drainguard', interFileDependencies: true, workspaceDiagnostics: false } } : {}),
      },
      serverInfo: { name: 'drainguard', version: SERVER_VERSION },
    };
  });

  connection.onInitialized(() => {
    startWarmUp(() => (pending.size > 0 ? 0 : Date.now() - lastActivity));
    if (canAskConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'drainguard' }).catch(() => undefined);
    if (canWatch)
      void connection.client
        .register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.{yaml,yml}' }, { globPattern: '**/.drainguard.{yaml,yml}' }] })
        .catch(() => undefined);
    void indexWorkspace();
  });

  /** Scan the workspace folders in the background, with progress; refresh when done. */
  async function indexWorkspace(): Promise<void> {
    if (folders.length === 0) return;
    const reporter = canProgress ? await connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
    reporter?.begin('Drainguard: indexing Istio configuration', 0, undefined, false);
    const before = index.generation;
    try {
      await index.scan(folders, (done, total) => reporter?.report(total ? Math.round((100 * done) / total) : 100, `${done}/${total} files`));
    } catch (e) {
      log(`drainguard: indexing failed: ${String(e)}`);
    }
    reporter?.done();
    log(`drainguard: indexed ${index.size} configuration file(s)`);
    if (index.generation !== before) refreshDiagnostics();
  }

  connection.onDidChangeConfiguration(() => refreshAll());
  connection.onDidChangeWatchedFiles((p) => {
    // Every change of the batch reaches the index, then one refresh: a config change refreshes all.
    let changed = false;
    for (const c of p.changes) {
      if (!/\.ya?ml$/i.test(c.uri)) continue;
      changed = (c.type === FileChangeType.Deleted ? index.remove(c.uri) : index.refreshFromDisk(c.uri)) || changed;
    }
    if (p.changes.some((c) => /\.drainguard\.ya?ml$/.test(c.uri))) refreshAll();
    else if (changed) refreshDiagnostics();
  });

  documents.onDidOpen((e) => {
    index.markOpen(e.document.uri, true);
    if (index.setOwn(e.document.uri, openFileOf(e.document).file.own)) refreshDiagnostics(e.document.uri);
    schedulePush(e.document);
  });
  documents.onDidChangeContent((e) => {
    if (index.setOwn(e.document.uri, openFileOf(e.document).file.own)) refreshDiagnostics(e.document.uri);
    schedulePush(e.document);
  });
  documents.onDidClose((e) => {
    index.markOpen(e.document.uri, false);
    // Back to what is on disk (or nothing, for an unsaved buffer).
    if (e.document.uri.startsWith('file:') ? index.refreshFromDisk(e.document.uri) : index.remove(e.document.uri)) refreshDiagnostics(e.document.uri);
    analyses.delete(e.document.uri);
    openFiles.delete(e.document.uri);
    shown.delete(e.document.uri);
    index.forget(e.document.uri);
    // Cleared, its callback never runs to remove it; left in, it would keep the warm-up waiting for good.
    clearImmediate(pending.get(e.document.uri));
    pending.delete(e.document.uri);
    if (!pull) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.languages.diagnostics.on(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return { kind: DocumentDiagnosticReportKind.Full, items: [] };
    try {
      const r = await diagnosticsOf(doc);
      // The same list as the one the client holds (its previousResultId): nothing to send.
      if (r.unchanged && params.previousResultId === r.resultId) return { kind: DocumentDiagnosticReportKind.Unchanged, resultId: r.resultId };
      return { kind: DocumentDiagnosticReportKind.Full, resultId: r.resultId, items: r.items };
    } catch (e) {
      log(`drainguard: diagnostics failed for ${doc.uri}: ${String(e)}`);
      return { kind: DocumentDiagnosticReportKind.Full, items: [] };
    }
  });

  connection.onCodeAction(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    try {
      const a = await analysisOf(doc);
      if (a.ignored) return [];
      const only = params.context.only;
      const wants = (kind: string): boolean => !only || only.some((o) => kind === o || kind.startsWith(o + '.'));
      const actions: CodeAction[] = [];
      if (wants(CodeActionKind.QuickFix)) {
        const start = doc.offsetAt(params.range.start);
        const end = doc.offsetAt(params.range.end);
        // Findings under the requested range, recomputed from the document: clients may send
        // partial diagnostics (Neovim 0.7 sends only code and range), so they are not trusted.
        for (const f of a.result.findings) {
          if (f.range.start > end || f.range.end < start) continue;
          for (const fix of f.fixes) {
            const action = toQuickFix(doc, f, fix, versioned, resolveDocument);
            if (action) actions.push(action);
          }
        }
      }
      if (only && wants(FIX_ALL_KIND)) {
        const edits = preferredEdits(a.result.findings, doc.uri);
        const edit = edits.length > 0 ? toWorkspaceEdit(doc, edits, versioned) : undefined;
        if (edit) actions.push({ title: 'Fix all Drainguard findings', kind: FIX_ALL_KIND, edit });
      }
      return actions;
    } catch (e) {
      log(`drainguard: code actions failed for ${doc.uri}: ${String(e)}`);
      return [];
    }
  });

  connection.onHover(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return null;
    try {
      const a = await analysisOf(doc);
      if (a.ignored) return null;
      const lines = new LineIndex(a.result.text);
      const offset = doc.offsetAt(params.position);
      // The analysis keeps no pods; the document under the cursor is analysed afresh.
      const result = openFileResultAt(a.file, offset, a.settings, a.base, RULES);
      const h = hoverAt(result, offset, (s) => describeSource(s, doc.uri, lines));
      if (!h) return null;
      const ids = a.result.findings.filter((f) => offset >= f.range.start && offset <= f.range.end).map((f) => f.ruleId);
      const links = [...new Set(ids)].map((id) => `[${id}](${ruleDocsUrl(id)})`).join(' · ');
      return { contents: { kind: 'markdown', value: h.markdown + (links ? `\n\nDocs: ${links}` : '') }, range: { start: doc.positionAt(h.range.start), end: doc.positionAt(h.range.end) } };
    } catch (e) {
      log(`drainguard: hover failed for ${doc.uri}: ${String(e)}`);
      return null;
    }
  });

  documents.listen(connection);
  connection.listen();
}

/** What a document's current content is known by: its generation (a chunked document), else its text. */
function contentOf(doc: TextDocument): unknown {
  return doc instanceof ChunkedTextDocument ? doc.generation : doc.getText();
}

/** What the client sees of a diagnostic, as a string: equal keys, interchangeable diagnostics. */
function diagnosticKey(d: Diagnostic): string {
  const r = (x: Range): string => `${x.start.line}:${x.start.character}-${x.end.line}:${x.end.character}`;
  const related = d.relatedInformation?.map((i) => `${r(i.location.range)}\u0001${i.location.uri}\u0001${i.message}`).join('\u0002') ?? '';
  return `${String(d.code)}\u0001${d.severity ?? ''}\u0001${r(d.range)}\u0001${d.tags?.join(',') ?? ''}\u0001${d.message}\u0001${related}`;
}

if (require.main === module) {
  process.on('uncaughtException', (e) => {
    process.stderr.write(`drainguard-lsp: uncaught: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  });
  process.on('unhandledRejection', (e) => {
    process.stderr.write(`drainguard-lsp: unhandled rejection: ${String(e)}\n`);
  });
  // stdio (every client we know of) gets a writer that reuses its output Buffer (stdio.ts); other transports the library's own.
  startServer(process.argv.includes('--stdio') ? stdioConnection() : createConnection(ProposedFeatures.all));
}
