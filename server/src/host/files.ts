/**
 * The file system side shared by the CLI and the language server: finding YAML files, reading them as UTF-8 text, locating the
 * nearest `.drainguard.yaml`, matching `ignore` globs and writing fixed files atomically.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultSettings, mergeSettings, parseConfigText, type Settings } from '../engine/settings';

export interface SourceFile {
  /** The path as shown to the user. */
  display: string;
  /** Absolute path (absent for standard input). */
  abs?: string;
  text: string;
  mtimeMs?: number;
}

const SKIP_DIRS = new Set(['node_modules', '.git']);
const YAML_EXT = /\.ya?ml$/i;
export const CONFIG_NAMES = ['.drainguard.yaml', '.drainguard.yml'];

/** Files under a path: the file itself, or the *.yaml/*.yml files of a directory tree. Symbolic links to directories are not followed. */
export function collectFiles(abs: string, display: string): { files: { abs: string; display: string }[]; errors: string[] } {
  const files: { abs: string; display: string }[] = [];
  const errors: string[] = [];
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    return { files, errors: [`${display}: ${errnoText(e, 'no such file or directory')}`] };
  }
  if (st.isFile()) return { files: [{ abs, display }], errors };
  if (!st.isDirectory()) return { files, errors: [`${display}: not a file or directory`] };
  const walk = (dir: string, shown: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      errors.push(`${shown}: ${errnoText(e, 'cannot read directory')}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const childAbs = path.join(dir, e.name);
      const childShown = shown === '.' ? e.name : path.join(shown, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(childAbs, childShown);
      } else if (e.isFile() && YAML_EXT.test(e.name)) files.push({ abs: childAbs, display: childShown });
      else if (e.isSymbolicLink() && YAML_EXT.test(e.name)) {
        // A link to a file inside the tree is read; links are never followed out of the root or into directories.
        try {
          const real = fs.realpathSync(childAbs);
          const root = fs.realpathSync(abs);
          if (fs.statSync(real).isFile() && (real === root || real.startsWith(root + path.sep))) files.push({ abs: childAbs, display: childShown });
        } catch {
          // A dangling link: nothing to read.
        }
      }
    }
  };
  walk(abs, display.replace(/[\\/]+$/, '') || '.');
  return { files, errors };
}

function errnoText(e: unknown, fallback: string): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return fallback;
}

// ignoreBOM: a byte order mark stays in the text, so the text is the file's exact content
// (offsets, the "changed on disk" check and written fixes all see the same characters).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Read a file as UTF-8 text, refusing binary and non-UTF-8 files with a clear reason. */
export function readText(abs: string): { text: string; mtimeMs: number } | { error: string } {
  let buf: Buffer;
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(abs).mtimeMs;
    buf = fs.readFileSync(abs);
  } catch (e) {
    return { error: errnoText(e, 'cannot read file') };
  }
  if (buf.includes(0)) return { error: 'binary file (it contains NUL bytes), skipped' };
  try {
    return { text: decoder.decode(buf), mtimeMs };
  } catch {
    return { error: 'not UTF-8 text, skipped' };
  }
}

/**
 * Write `next` over a file, only if it still holds `expected`, through a temporary file and a rename.
 * A symbolic link is resolved and its target written (the link stays a link), but only when the
 * target lies inside one of `roots` (real paths of what the user asked to check), when given.
 */
export function writeAtomically(abs: string, expected: string, next: string, mtimeMs: number, roots?: readonly string[]): string | undefined {
  try {
    const real = fs.realpathSync(abs);
    if (roots && !roots.some((r) => isInside(real, r))) return `links to ${real}, outside the paths given to check; refusing to write there, not fixed`;
    const st = fs.statSync(real);
    if (st.mtimeMs !== mtimeMs || decodeOrUndefined(fs.readFileSync(real)) !== expected) return 'changed on disk since it was read; not fixed';
    // The temporary file is created exclusively ('wx': it fails on an existing name and never
    // follows a link planted under that name), synced, then renamed over the file; removed on failure.
    const tmp = path.join(path.dirname(real), `.${path.basename(real)}.drainguard-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    const fd = fs.openSync(tmp, 'wx', st.mode & 0o777);
    try {
      try {
        fs.fchmodSync(fd, st.mode & 0o777); // the file's own mode, whatever the umask
        fs.writeFileSync(fd, next);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, real);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    return undefined;
  } catch (e) {
    return `cannot write the fix: ${errnoText(e, 'write failed')}`;
  }
}

function decodeOrUndefined(buf: Buffer): string | undefined {
  try {
    return decoder.decode(buf);
  } catch {
    return undefined;
  }
}

/** Whether `p` is `root` or lies under it (both absolute, real paths). */
export function isInside(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Turn a glob (`**`, `*`, `?`) into a regular expression over '/'-separated paths. A trailing
 * slash (`charts/`) means that directory and everything under it, like .gitignore.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  const dirOnly = /[^/]\/+$/.test(glob);
  const g = glob.replace(/^\.\//, '').replace(/([^/])\/+$/, '$1');
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') {
      if (g[i + 1] === '*') {
        i++;
        if (g[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A pattern without a slash (other than a trailing one) matches at any depth, like .gitignore.
  return new RegExp((g.includes('/') ? `^${re}` : `(?:^|/)${re}`) + (dirOnly ? '/.*$' : '(?:/.*)?$'));
}

interface ConfigLayer {
  dir: string;
  settings: Settings;
  ignore: RegExp[];
}

/** Finds the nearest `.drainguard.yaml` of each file (or the `--config` file) and caches it per directory. */
export class ConfigResolver {
  private readonly byDir = new Map<string, ConfigLayer>();
  private readonly errs: string[] = [];
  private readonly explicit?: ConfigLayer;
  readonly explicitError?: string;

  constructor(
    private readonly cwd: string,
    configPath: string | undefined,
    private readonly knownRules: ReadonlySet<string>,
  ) {
    if (configPath) {
      const abs = path.resolve(cwd, configPath);
      const r = readText(abs);
      if ('error' in r) this.explicitError = `--config ${configPath}: ${r.error}`;
      else this.explicit = this.layer(abs, r.text, configPath);
    }
  }

  private layer(abs: string, text: string, shown: string): ConfigLayer {
    const parsed = parseConfigText(text, this.knownRules);
    for (const e of parsed.errors) this.errs.push(`${shown}: ${e}`);
    const settings = mergeSettings(defaultSettings(), parsed.settings, shown);
    return { dir: path.dirname(abs), settings, ignore: settings.ignore.map(globToRegExp) };
  }

  /** Problems found in config files so far (each reported once). */
  errors(): string[] {
    return this.errs.splice(0);
  }

  settingsFor(fileAbs: string): { settings: Settings; ignored: (abs: string) => boolean } {
    const layer = this.explicit ?? this.nearest(path.dirname(fileAbs));
    const ignored = (abs: string): boolean => {
      if (!layer || layer.ignore.length === 0) return false;
      const rel = path.relative(layer.dir, abs).split(path.sep).join('/');
      return layer.ignore.some((re) => re.test(rel));
    };
    return { settings: layer?.settings ?? defaultSettings(), ignored };
  }

  private nearest(dir: string): ConfigLayer | undefined {
    const chain: string[] = [];
    let cur = dir;
    let found: ConfigLayer | undefined;
    for (;;) {
      if (this.byDir.has(cur)) {
        found = this.byDir.get(cur);
        break;
      }
      chain.push(cur);
      const hit = CONFIG_NAMES.map((n) => path.join(cur, n)).find((p) => fs.existsSync(p));
      if (hit) {
        const r = readText(hit);
        const shown = path.relative(this.cwd, hit) || hit;
        if ('error' in r) this.errs.push(`${shown}: ${r.error}`);
        else found = this.layer(hit, r.text, shown);
        break;
      }
      const parent = path.dirname(cur);
      if (parent === cur) break;
      cur = parent;
    }
    for (const d of chain) this.byDir.set(d, found as ConfigLayer);
    return found;
  }
}
