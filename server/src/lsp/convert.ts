/**
 * Conversion between the engine's plain data (offsets, findings, fixes) and LSP types. The
 * only place that knows both sides; it holds no logic of its own.
 */
import {
  CodeActionKind,
  DiagnosticSeverity,
  DiagnosticTag,
  type CodeAction,
  type Diagnostic,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { ruleDocsUrl } from '../engine/rules/docs';
import { textHash } from '../engine/text';
import type { Finding, Fix, Range, Severity, TextEdit } from '../engine/types';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export const SOURCE = 'drainguard';
export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.drainguard`;

export function toRange(doc: TextDocument, r: Range) {
  return { start: doc.positionAt(r.start), end: doc.positionAt(r.end) };
}

export function toDiagnostic(doc: TextDocument, f: Finding): Diagnostic {
  const d: Diagnostic = {
    range: toRange(doc, f.range),
    severity: SEVERITY[f.severity],
    code: f.ruleId,
    codeDescription: { href: ruleDocsUrl(f.ruleId) },
    source: SOURCE,
    message: f.message,
  };
  if (f.related.length > 0) {
    d.relatedInformation = f.related.filter((r) => r.uri === undefined).map((r) => ({ location: { uri: doc.uri, range: toRange(doc, r.range) }, message: r.message }));
  }
  if (f.tags?.includes('unnecessary')) d.tags = [DiagnosticTag.Unnecessary];
  return d;
}

function toEdits(doc: TextDocument, edits: readonly TextEdit[]): LspTextEdit[] {
  return edits.map((e) => ({ range: toRange(doc, e), newText: e.newText }));
}

/** Finds the text of another document an edit touches (open, or read from disk). */
export type DocumentResolver = (uri: string) => TextDocument | undefined;

/**
 * A WorkspaceEdit, versioned when the client supports documentChanges. Edits for other files
 * (a fix on the injector config) are converted with that file's text; undefined when a file
 * an edit needs cannot be read, or no longer holds the text the edit was computed on (its
 * `sourceHash`): offsets into stale text would corrupt it.
 */
export function toWorkspaceEdit(doc: TextDocument, edits: readonly TextEdit[], versioned: boolean, resolve?: DocumentResolver): WorkspaceEdit | undefined {
  const byUri = new Map<string, TextEdit[]>();
  for (const e of edits) {
    const uri = e.uri ?? doc.uri;
    byUri.set(uri, [...(byUri.get(uri) ?? []), e]);
  }
  const docs = new Map<string, TextDocument>();
  for (const uri of byUri.keys()) {
    const d = uri === doc.uri ? doc : resolve?.(uri);
    if (!d) return undefined;
    const es = byUri.get(uri)!;
    if (d !== doc && es.some((e) => e.sourceHash !== undefined)) {
      const hash = textHash(d.getText());
      if (es.some((e) => e.sourceHash !== undefined && e.sourceHash !== hash)) return undefined;
    }
    docs.set(uri, d);
  }
  if (versioned) {
    return {
      documentChanges: [...byUri].map(([uri, es]) => {
        const d = docs.get(uri)!;
        return { textDocument: { uri, version: d.version > 0 ? d.version : null }, edits: toEdits(d, es) };
      }),
    };
  }
  return { changes: Object.fromEntries([...byUri].map(([uri, es]) => [uri, toEdits(docs.get(uri)!, es)])) };
}

export function toQuickFix(doc: TextDocument, f: Finding, fix: Fix, versioned: boolean, resolve?: DocumentResolver): CodeAction | undefined {
  const edit = toWorkspaceEdit(doc, fix.edits, versioned, resolve);
  if (!edit) return undefined;
  return {
    title: fix.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [toDiagnostic(doc, f)],
    isPreferred: fix.preferred === true,
    edit,
  };
}
