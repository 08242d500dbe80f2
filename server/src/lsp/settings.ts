/**
 * Settings per document: the editor's `drainguard.*` settings (asked per resource through
 * `workspace/configuration`), then the nearest `.drainguard.yaml`, which wins for the files
 * under it. Cached per document until settings or config files change.
 */
import { fileURLToPath } from 'node:url';
import { RULE_IDS } from '../engine/rules/registry';
import { defaultSettings, mergeSettings, validateSettings, type Settings } from '../engine/settings';
import { ConfigResolver } from '../host/files';

/** The editor setting keys (`drainguard.<key>`) that map onto engine settings. */
export const EDITOR_KEYS = ['istioVersion', 'kubernetesVersion', 'nativeSidecars', 'assumeInjection', 'defaultDrainDuration', 'shutdownMargin', 'rules', 'ignore'] as const;

export interface SettingsSource {
  /** The client's `drainguard` section for a resource, or undefined when the client cannot be asked. */
  editor(uri: string): Promise<unknown>;
  log(message: string): void;
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
      }
    } catch (e) {
      this.source.log(`drainguard: could not read settings for ${uri}: ${e instanceof Error ? e.message : String(e)}`);
    }
    let ignored = false;
    if (uri.startsWith('file:')) {
      try {
        const path = fileURLToPath(uri);
        const layer = this.resolver.settingsFor(path);
        for (const e of this.resolver.errors()) this.source.log(`drainguard: ${e}`);
        // A .drainguard.yaml wins over editor settings for the files under it.
        const keys = Object.keys(layer.settings.origins) as (keyof Settings)[];
        if (keys.length > 0) {
          const fileLayer: Partial<Settings> = {};
          for (const k of keys) (fileLayer as Record<string, unknown>)[k] = layer.settings[k];
          settings = mergeSettings(settings, fileLayer, Object.values(layer.settings.origins)[0] ?? '.drainguard.yaml');
        }
        ignored = layer.ignored(path);
      } catch (e) {
        this.source.log(`drainguard: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return { settings, ignored };
  }
}
