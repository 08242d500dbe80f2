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

/** A WorkspaceEdit on one document, versioned when the client supports documentChanges. */
export function toWorkspaceEdit(doc: TextDocument, edits: readonly TextEdit[], versioned: boolean): WorkspaceEdit {
  const own = edits.filter((e) => e.uri === undefined || e.uri === doc.uri);
  if (versioned) return { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits: toEdits(doc, own) }] };
  return { changes: { [doc.uri]: toEdits(doc, own) } };
}

export function toQuickFix(doc: TextDocument, f: Finding, fix: Fix, versioned: boolean): CodeAction {
  return {
    title: fix.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [toDiagnostic(doc, f)],
    isPreferred: fix.preferred === true,
    edit: toWorkspaceEdit(doc, fix.edits, versioned),
  };
}
