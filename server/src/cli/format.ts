/**
 * Output formats of `drainguard check`: text, json, sarif (2.1.0) and github (workflow
 * annotations). Positions are converted from offsets here, once: lines and columns are
 * 1-based, columns count UTF-16 code units (SARIF's default `columnKind`).
 */
import { describeSource, type FileResult } from '../engine/analyze';
import { podSummary } from '../engine/model/summary';
import { ruleDocsUrl } from '../engine/rules/docs';
import { RULES } from '../engine/rules/registry';
import { LineIndex } from '../engine/text';
import type { Finding, Range, Severity } from '../engine/types';

export const TOOL_VERSION = '0.1.0';

export interface FileReport {
  /** The path as the user gave it (relative to the working directory when possible). */
  path: string;
  result: FileResult;
}

export interface RunNote {
  path?: string;
  message: string;
  level: 'error' | 'warning' | 'note';
  range?: Range;
}

interface Pos {
  line: number;
  column: number;
}

function pos(lines: LineIndex, offset: number): Pos {
  const p = lines.positionAt(offset);
  return { line: p.line + 1, column: p.character + 1 };
}

/** The pod a finding belongs to (its object contains the finding). */
function podOf(result: FileResult, f: Finding) {
  return result.pods.find((p) => f.range.start >= p.pod.object.range.start && f.range.start <= p.pod.object.range.end);
}

export function formatText(reports: FileReport[], notes: RunNote[], color: boolean): string {
  const out: string[] = [];
  const c = (code: string, s: string): string => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const sevColor: Record<Severity, string> = { error: '31', warning: '33', information: '36', hint: '2' };
  for (const r of reports) {
    const lines = new LineIndex(r.result.text);
    r.result.findings.forEach((f, i) => {
      const p = pos(lines, f.range.start);
      out.push(`${r.path}:${p.line}:${p.column} ${c(sevColor[f.severity], f.severity)} ${c('1', f.ruleId)} ${f.message}`);
      // A lean result (analyzeFiles' `lean`) carries the summaries; a full one its pods.
      const pod = r.result.summaries ? undefined : podOf(r.result, f);
      const summary = r.result.summaries ? r.result.summaries[i] : pod && podSummary(pod, (s) => describeSource(s, r.result.uri, lines));
      if (summary) out.push(c('2', `    ${summary}`));
      const fix = f.fixes.find((x) => x.preferred) ?? f.fixes[0];
      if (fix) out.push(c('2', `    fix: ${fix.title}${f.fixes.length > 1 ? ` (+${f.fixes.length - 1} more)` : ''}`));
    });
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

export function formatJson(reports: FileReport[], notes: RunNote[]): string {
  const files = reports.map((r) => {
    const lines = new LineIndex(r.result.text);
    const range = (x: Range) => ({ start: pos(lines, x.start), end: pos(lines, x.end), startOffset: x.start, endOffset: x.end });
    return {
      path: r.path,
      findings: r.result.findings.map((f) => ({
        ruleId: f.ruleId,
        severity: f.severity,
        message: f.message,
        range: range(f.range),
        related: f.related.map((x) => ({ message: x.message, range: x.uri ? undefined : range(x.range), uri: x.uri })),
        fixes: f.fixes.map((x) => ({ title: x.title, preferred: x.preferred === true, edits: x.edits })),
        tags: f.tags ?? [],
      })),
      notes: r.result.notes.map((n) => ({ message: n.message, range: n.range ? range(n.range) : undefined })),
    };
  });
  return JSON.stringify({ version: TOOL_VERSION, files, notes }, null, 2) + '\n';
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProp(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatGithub(reports: FileReport[], notes: RunNote[]): string {
  const out: string[] = [];
  const cmd: Record<Severity, string> = { error: 'error', warning: 'warning', information: 'notice', hint: 'notice' };
  for (const r of reports) {
    const lines = new LineIndex(r.result.text);
    for (const f of r.result.findings) {
      const s = pos(lines, f.range.start);
      const e = pos(lines, f.range.end);
      const props = [`file=${escapeProp(r.path)}`, `line=${s.line}`, `col=${s.column}`, `endLine=${e.line}`];
      if (e.line === s.line) props.push(`endColumn=${e.column}`);
      props.push(`title=${escapeProp(`drainguard ${f.ruleId}`)}`);
      out.push(`::${cmd[f.severity]} ${props.join(',')}::${escapeData(f.message)}`);
    }
  }
  for (const n of notes) out.push(`::${n.level === 'error' ? 'error' : n.level === 'warning' ? 'warning' : 'notice'} ${n.path ? `file=${escapeProp(n.path)},` : ''}title=drainguard::${escapeData(n.message)}`);
  return out.join('\n') + (out.length ? '\n' : '');
}

function sarifLevel(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note';
}

function toUri(path: string): string {
  return path
    .split(/[\\/]/)
    .map((seg) => encodeURIComponent(seg))
    .join('/');
}

export function formatSarif(reports: FileReport[], notes: RunNote[], cwd: string): string {
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));
  const region = (lines: LineIndex, x: Range) => {
    const s = pos(lines, x.start);
    const e = pos(lines, Math.max(x.end, x.start));
    return { startLine: s.line, startColumn: s.column, endLine: e.line, endColumn: e.column, charOffset: x.start, charLength: Math.max(0, x.end - x.start) };
  };
  const results: unknown[] = [];
  const notifications: unknown[] = [];
  for (const r of reports) {
    const lines = new LineIndex(r.result.text);
    const artifactLocation = { uri: toUri(r.path), uriBaseId: r.path.startsWith('/') || r.path === '<stdin>' ? undefined : '%SRCROOT%' };
    for (const f of r.result.findings) {
      results.push({
        ruleId: f.ruleId,
        ruleIndex: ruleIndex.get(f.ruleId),
        level: sarifLevel(f.severity),
        message: { text: f.message },
        locations: [{ physicalLocation: { artifactLocation, region: region(lines, f.range) } }],
        relatedLocations: f.related
          .filter((x) => !x.uri)
          .map((x, i) => ({ id: i + 1, message: { text: x.message }, physicalLocation: { artifactLocation, region: region(lines, x.range) } })),
        fixes: f.fixes
          .filter((x) => x.edits.every((e) => !e.uri))
          .map((x) => ({
            description: { text: x.title },
            artifactChanges: [
              {
                artifactLocation,
                replacements: x.edits.map((e) => ({ deletedRegion: region(lines, { start: e.start, end: e.end }), insertedContent: { text: e.newText } })),
              },
            ],
          })),
      });
    }
    for (const n of r.result.notes) {
      notifications.push({
        level: 'note',
        message: { text: n.message },
        locations: n.range ? [{ physicalLocation: { artifactLocation, region: region(lines, n.range) } }] : [{ physicalLocation: { artifactLocation } }],
      });
    }
  }
  for (const n of notes) {
    notifications.push({ level: n.level, message: { text: n.message }, ...(n.path ? { locations: [{ physicalLocation: { artifactLocation: { uri: toUri(n.path) } } }] } : {}) });
  }
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'drainguard',
            version: TOOL_VERSION,
            informationUri: 'https://github.com/drainguard/drainguard',
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.id.replace(/(^|-)([a-z])/g, (_m, _d, ch: string) => ch.toUpperCase()),
              shortDescription: { text: r.title },
              fullDescription: { text: r.docs.why.split('\n\n')[0] },
              helpUri: ruleDocsUrl(r.id),
              help: { text: r.docs.fix, markdown: r.docs.fix },
              defaultConfiguration: { level: sarifLevel(r.severity) },
              properties: { tags: ['istio', 'kubernetes', r.needs] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: 'file://' + toUri(cwd.endsWith('/') ? cwd : cwd + '/') } },
        columnKind: 'utf16CodeUnits',
        invocations: [{ executionSuccessful: !notes.some((n) => n.level === 'error'), toolExecutionNotifications: notifications }],
        results,
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
