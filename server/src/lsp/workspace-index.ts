/**
 * The language server's workspace index: what every YAML file of the workspace contributes
 * to the analysis of the others (Namespaces and their injection labels, mesh configuration,
 * ProxyConfig resources). Files are pre-scanned cheaply; only those whose text can contribute
 * are parsed. Open documents contribute their live text. Each change bumps a generation when
 * the contributed values change, so the server knows to refresh other files' diagnostics.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { contextOf, contextSignature, mergeContexts } from '../engine/analyze';
import { emptyContext, type AnalysisContext } from '../engine/model/effective';

/** Text that may contribute to other files' analysis. Everything else is skipped unparsed. */
const RELEVANT = /\bkind:\s*["']?(IstioOperator|Namespace|ProxyConfig|Istio)\b|istio-sidecar-injector|^\s*name:\s*["']?istio(-[\w.-]+)?["']?\s*$|\bmeshConfig\s*:|ENABLE_NATIVE_SIDECARS|^global:\s*$/m;
const SKIP_DIRS = new Set(['node_modules', '.git']);
export const MAX_INDEXED_FILE_BYTES = 5 * 1024 * 1024;
const MAX_FILES = 50000;

export class WorkspaceIndex {
  private readonly contributions = new Map<string, AnalysisContext>();
  private readonly open = new Set<string>();
  private signature = '';
  /** Bumped whenever the contributed values change. */
  generation = 0;

  constructor(private readonly log: (m: string) => void) {}

  /** Record a file's text (from disk or an open document). Returns true when other files need a refresh. */
  setText(uri: string, text: string): boolean {
    if (RELEVANT.test(text)) {
      try {
        this.contributions.set(uri, contextOf(uri, text));
      } catch (e) {
        this.log(`drainguard: index: ${uri}: ${e instanceof Error ? e.message : String(e)}`);
        this.contributions.delete(uri);
      }
    } else this.contributions.delete(uri);
    return this.recompute();
  }

  /** A file was deleted (or left the workspace). */
  remove(uri: string): boolean {
    this.contributions.delete(uri);
    return this.recompute();
  }

  markOpen(uri: string, isOpen: boolean): void {
    if (isOpen) this.open.add(uri);
    else this.open.delete(uri);
  }

  isOpen(uri: string): boolean {
    return this.open.has(uri);
  }

  /** Re-read a file from disk (a watched-file event). Open documents keep their live text. */
  refreshFromDisk(uri: string): boolean {
    if (this.open.has(uri) || !uri.startsWith('file:')) return false;
    const text = readSmall(fileURLToPath(uri));
    return text === undefined ? this.remove(uri) : this.setText(uri, text);
  }

  /** Everything the other files contribute, for analysing `uri`. */
  contextFor(uri: string): AnalysisContext {
    const parts: AnalysisContext[] = [];
    for (const [u, c] of this.contributions) if (u !== uri) parts.push(c);
    return parts.length === 0 ? emptyContext() : mergeContexts(parts);
  }

  get size(): number {
    return this.contributions.size;
  }

  private recompute(): boolean {
    const sig = [...this.contributions.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([u, c]) => `${u}\n${contextSignature(c)}`)
      .join('\n');
    if (sig === this.signature) return false;
    this.signature = sig;
    this.generation++;
    return true;
  }

  /**
   * Scan workspace folders in the background, yielding to the event loop between files so
   * requests keep being answered. `progress` gets (done, total).
   */
  async scan(folders: readonly string[], progress?: (done: number, total: number) => void): Promise<void> {
    const files: string[] = [];
    for (const f of folders) walk(f, files);
    let done = 0;
    for (const file of files) {
      const uri = pathToFileURL(file).toString();
      if (!this.open.has(uri)) {
        const text = readSmall(file);
        if (text !== undefined && RELEVANT.test(text)) {
          try {
            this.contributions.set(uri, contextOf(uri, text));
          } catch (e) {
            this.log(`drainguard: index: ${file}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
      done++;
      if (done % 50 === 0) {
        progress?.(done, files.length);
        await new Promise((r) => setImmediate(r));
      }
    }
    progress?.(done, files.length);
    this.recompute();
  }
}

function walk(dir: string, out: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (out.length >= MAX_FILES) return;
    // Symbolic links are not followed: the index stays inside the workspace and cannot loop.
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) walk(path.join(dir, e.name), out);
    } else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(path.join(dir, e.name));
  }
}

function readSmall(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_INDEXED_FILE_BYTES) return undefined;
    const buf = fs.readFileSync(file);
    if (buf.includes(0)) return undefined;
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return undefined;
  }
}
