/**
 * The language server's workspace index: what every YAML file of the workspace contributes
 * to the analysis of the others (Namespaces and their injection labels, mesh configuration,
 * ProxyConfig resources). Files are pre-scanned cheaply; only those whose text can contribute
 * are parsed. Open documents contribute their live text, as the engine's incremental analysis
 * of them reads it (`setOwn`). Each change bumps a generation when the contributed values
 * change, so the server knows to refresh other files' diagnostics.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { contextOf, contextSignature, mergeContexts } from '../engine/analyze';
import { emptyContext, type AnalysisContext } from '../engine/model/effective';

/** Text that may contribute to other files' analysis. Everything else is skipped unparsed. */
// `[ \t]*`, not `\s*`, next to `^` and `$`: under /m `\s` crosses newlines, which made a long run of blank lines quadratic.
const RELEVANT = /\bkind:\s*["']?(IstioOperator|Namespace|ProxyConfig|Istio)\b|istio-sidecar-injector|^[ \t]*name:\s*["']?istio(-[\w.-]+)?["']?[ \t]*$|\bmeshConfig\s*:|ENABLE_NATIVE_SIDECARS|^global:[ \t]*$/m;
const SKIP_DIRS = new Set(['node_modules', '.git']);
export const MAX_INDEXED_FILE_BYTES = 5 * 1024 * 1024;
const MAX_FILES = 50000;

/**
 * The one spelling of a file's URI the index keys by: clients spell the same file differently
 * (VS Code writes `%40` for `@` and `c%3A` for `C:`, Node neither), and one file must not sit in
 * the index twice. Windows drive letters are lower-cased; other schemes are kept as they are.
 */
export function canonicalUri(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  try {
    return pathToFileURL(fileURLToPath(uri))
      .toString()
      .replace(/^file:\/\/\/([A-Z]):/, (_m, d: string) => `file:///${d.toLowerCase()}:`);
  } catch {
    return uri;
  }
}

export class WorkspaceIndex {
  private readonly contributions = new Map<string, AnalysisContext>();
  private readonly open = new Set<string>();
  private signature = '';
  /** Each contribution's signature, computed once per contribution object. */
  private readonly signatures = new WeakMap<AnalysisContext, string>();
  /** `contextFor`'s last answer per file, with the contributions it merged: the same object while they are the same. */
  private readonly merged = new Map<string, { parts: AnalysisContext[]; ctx: AnalysisContext }>();
  /** Bumped whenever the contributed values change. */
  generation = 0;

  constructor(private readonly log: (m: string) => void) {}

  /** Record a file's text (from disk or an open document). Returns true when other files need a refresh. */
  setText(uri: string, text: string): boolean {
    const key = canonicalUri(uri);
    if (RELEVANT.test(text)) {
      try {
        this.contributions.set(key, contextOf(uri, text));
      } catch (e) {
        this.log(`drainguard: index: ${uri}: ${e instanceof Error ? e.message : String(e)}`);
        this.contributions.delete(key);
      }
    } else if (!this.contributions.has(key)) return false; // contributed nothing and still cannot
    else this.contributions.delete(key);
    return this.recompute();
  }

  /**
   * Record what an open document contributes, from the engine's analysis of its live text
   * (`OpenFile.own`: the same object while unchanged). Returns true when other files need a refresh.
   */
  setOwn(uri: string, own: AnalysisContext): boolean {
    const key = canonicalUri(uri);
    if (this.contributions.get(key) === own) return false;
    if (own.namespaces.size > 0 || own.mesh.length > 0 || own.proxyConfigs.length > 0) this.contributions.set(key, own);
    else if (!this.contributions.has(key)) return false;
    else this.contributions.delete(key);
    return this.recompute();
  }

  /** A file was deleted (or left the workspace). */
  remove(uri: string): boolean {
    this.contributions.delete(canonicalUri(uri));
    return this.recompute();
  }

  markOpen(uri: string, isOpen: boolean): void {
    if (isOpen) this.open.add(canonicalUri(uri));
    else this.open.delete(canonicalUri(uri));
  }

  isOpen(uri: string): boolean {
    return this.open.has(canonicalUri(uri));
  }

  /** Re-read a file from disk (a watched-file event). Open documents keep their live text. */
  refreshFromDisk(uri: string): boolean {
    if (this.isOpen(uri) || !uri.startsWith('file:')) return false;
    const text = readSmall(fileURLToPath(uri));
    return text === undefined ? this.remove(uri) : this.setText(uri, text);
  }

  /** Everything the other files contribute, for analysing `uri`. */
  contextFor(uri: string): AnalysisContext {
    const key = canonicalUri(uri);
    const parts: AnalysisContext[] = [];
    for (const [u, c] of this.contributions) if (u !== key) parts.push(c);
    // The same contributions give the same object, so the engine can keep its analyses of `uri`.
    const last = this.merged.get(key);
    if (last && last.parts.length === parts.length && last.parts.every((p, i) => p === parts[i])) return last.ctx;
    const ctx = parts.length === 0 ? emptyContext() : mergeContexts(parts);
    this.merged.set(key, { parts, ctx });
    return ctx;
  }

  /** Forget `contextFor`'s answer for a file that is no longer open. */
  forget(uri: string): void {
    this.merged.delete(canonicalUri(uri));
  }

  get size(): number {
    return this.contributions.size;
  }

  private recompute(): boolean {
    const sig = [...this.contributions.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([u, c]) => `${u}\n${this.signatureOf(c)}`)
      .join('\n');
    if (sig === this.signature) return false;
    this.signature = sig;
    this.generation++;
    return true;
  }

  private signatureOf(c: AnalysisContext): string {
    let s = this.signatures.get(c);
    if (s === undefined) {
      s = contextSignature(c);
      this.signatures.set(c, s);
    }
    return s;
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
      const key = canonicalUri(uri);
      if (!this.open.has(key)) {
        const text = readSmall(file);
        if (text !== undefined && RELEVANT.test(text)) {
          try {
            this.contributions.set(key, contextOf(uri, text));
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
    // lstat: a symbolic link is not followed (it could lead out of the workspace), as in `walk`.
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > MAX_INDEXED_FILE_BYTES) return undefined;
    const buf = fs.readFileSync(file);
    if (buf.includes(0)) return undefined;
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return undefined;
  }
}
