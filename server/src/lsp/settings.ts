/**
 * Settings per document: the editor's `drainguard.*` settings (asked per resource through
 * `workspace/configuration`), then the nearest `.drainguard.yaml`, which wins for the files
 * under it. A file is ignored when the `.drainguard.yaml` ignores it, or when the editor's
 * `drainguard.ignore` globs match its path relative to the workspace folder that holds it.
 * Cached per document until settings or config files change.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULE_IDS } from '../engine/rules/registry';
import { defaultSettings, mergeSettings, validateSettings, type Settings } from '../engine/settings';
import { ConfigResolver, globToRegExp, isInside } from '../host/files';

/** The editor setting keys (`drainguard.<key>`) that map onto engine settings. */
export const EDITOR_KEYS = ['istioVersion', 'kubernetesVersion', 'nativeSidecars', 'assumeInjection', 'defaultDrainDuration', 'shutdownMargin', 'rules', 'ignore'] as const;

export interface SettingsSource {
  /** The client's `drainguard` section for a resource, or undefined when the client cannot be asked. */
  editor(uri: string): Promise<unknown>;
  log(message: string): void;
  /** The workspace folders (absolute paths): the editor's ignore globs are relative to the one holding a file. */
  folders?(): readonly string[];
}

export class SettingsCache {
  private readonly cache = new Map<string, Promise<{ settings: Settings; ignored: boolean }>>();
  private resolver = new ConfigResolver(process.cwd(), undefined, RULE_IDS);

  constructor(private readonly source: SettingsSource) {}

  /** Forget everything (settings changed, or a config file changed). */
  clear(): void {
    this.cache.clear();
    this.resolver = new ConfigResolver(process.cwd(), undefined, RULE_IDS);
  }

  get(uri: string): Promise<{ settings: Settings; ignored: boolean }> {
    let p = this.cache.get(uri);
    if (!p) {
      p = this.compute(uri);
      this.cache.set(uri, p);
    }
    return p;
  }

  private async compute(uri: string): Promise<{ settings: Settings; ignored: boolean }> {
    let settings = defaultSettings();
    let editorIgnore: string[] = [];
    try {
      const raw = await this.source.editor(uri);
      if (raw && typeof raw === 'object') {
        const picked: Record<string, unknown> = {};
        for (const k of EDITOR_KEYS) {
          const v = (raw as Record<string, unknown>)[k];
          // Editors send "" or null for settings the user left empty: that means "unset".
          if (v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0 && k !== 'ignore')) picked[k] = v;
        }
        const v = validateSettings(picked, RULE_IDS);
        for (const e of v.errors) this.source.log(`drainguard settings: ${e}`);
        settings = mergeSettings(settings, v.settings, 'editor settings');
        editorIgnore = v.settings.ignore ?? [];
      }
    } catch (e) {
      this.source.log(`drainguard: could not read settings for ${uri}: ${e instanceof Error ? e.message : String(e)}`);
    }
    let ignored = false;
    if (uri.startsWith('file:')) {
      try {
        const file = fileURLToPath(uri);
        const layer = this.resolver.settingsFor(file);
        for (const e of this.resolver.errors()) this.source.log(`drainguard: ${e}`);
        // A .drainguard.yaml wins over editor settings for the files under it.
        const keys = Object.keys(layer.settings.origins) as (keyof Settings)[];
        if (keys.length > 0) {
          const fileLayer: Partial<Settings> = {};
          for (const k of keys) (fileLayer as Record<string, unknown>)[k] = layer.settings[k];
          settings = mergeSettings(settings, fileLayer, Object.values(layer.settings.origins)[0] ?? '.drainguard.yaml');
        }
        ignored = layer.ignored(file) || this.editorIgnores(file, editorIgnore);
      } catch (e) {
        this.source.log(`drainguard: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return { settings, ignored };
  }

  /** Whether the editor's ignore globs match a file, relative to the (innermost) workspace folder holding it. */
  private editorIgnores(file: string, globs: readonly string[]): boolean {
    if (globs.length === 0) return false;
    const folder = (this.source.folders?.() ?? []).filter((f) => isInside(file, f)).sort((a, b) => b.length - a.length)[0];
    if (folder === undefined) return false;
    const rel = path.relative(folder, file).split(path.sep).join('/');
    return globs.some((g) => globToRegExp(g).test(rel));
  }
}
