/**
 * Drainguard's settings: the keys of `.drainguard.yaml`, the CLI flags and (later) the
 * `drainguard.*` editor settings are one and the same set. This module holds the defaults,
 * reads a config file's text (pure: the caller does the I/O) and merges layers.
 */
import { isMap } from 'yaml';
import { parseGoDuration } from './duration';
import type { Severity } from './types';
import { parseDocumentWithinLimit } from './yaml/depth';
import { addDuplicateKeyErrors, parseOptions } from './yaml/unique-keys';

export type NativeSidecarsSetting = 'auto' | 'on' | 'off';
export type AssumeInjection = 'auto' | 'always' | 'never';
export type RuleLevel = Severity | 'off';

export interface Settings {
  /** Istio version of the target mesh ("1.27" or "1.27.3"); unset: no version-based findings. */
  istioVersion?: string;
  /** Kubernetes version of the target cluster; unset: no version-based findings. */
  kubernetesVersion?: string;
  nativeSidecars: NativeSidecarsSetting;
  assumeInjection: AssumeInjection;
  /** The mesh's default drain (a Go duration), when it lives outside the repository. */
  defaultDrainDuration?: string;
  /** Extra time the fixes leave between steps (a Go duration). */
  shutdownMargin: string;
  rules: Record<string, RuleLevel>;
  /** Globs of paths to skip. */
  ignore: string[];
  /** Honour `drainguard-disable-next-line` comments and `drainguard/ignore` annotations. */
  inlineSuppressions: boolean;
  /** Mesh defaults that live outside the repository (`mesh:` in .drainguard.yaml). */
  mesh?: MeshSettings;
  /** Where each explicitly set key came from ("--istio-version", ".drainguard.yaml"), for "where does this value come from" texts. */
  origins: Partial<Record<SettingKey, string>>;
}

export interface MeshSettings {
  terminationDrainDuration?: string;
  proxyMetadata?: Record<string, string>;
  holdApplicationUntilProxyStarts?: boolean;
  /** istiod's ENABLE_NATIVE_SIDECARS: "true", "false" or "auto". */
  enableNativeSidecars?: string;
}

export type SettingKey = 'istioVersion' | 'kubernetesVersion' | 'nativeSidecars' | 'assumeInjection' | 'defaultDrainDuration' | 'shutdownMargin' | 'rules' | 'ignore' | 'mesh';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  nativeSidecars: 'auto',
  assumeInjection: 'auto',
  shutdownMargin: '5s',
  rules: {},
  ignore: [],
  inlineSuppressions: true,
  origins: {},
});

/** A fresh copy of the defaults. */
export function defaultSettings(): Settings {
  return { ...DEFAULT_SETTINGS, rules: {}, ignore: [], origins: {} };
}

const LEVELS = new Set(['off', 'error', 'warning', 'information', 'hint']);

/** Apply a partial layer over settings (later layers win; `rules` merge key by key). */
export function mergeSettings(base: Settings, layer: Partial<Settings>, origin?: string): Settings {
  const out: Settings = { ...base, rules: { ...base.rules }, ignore: [...base.ignore], origins: { ...base.origins } };
  for (const [k, v] of Object.entries(layer) as [keyof Settings, unknown][]) {
    if (v === undefined || k === 'origins') continue;
    if (k === 'rules') Object.assign(out.rules, v as Record<string, RuleLevel>);
    else if (k === 'ignore') out.ignore = [...(v as string[])];
    else (out as unknown as Record<string, unknown>)[k] = v;
    if (origin && k !== 'inlineSuppressions') out.origins[k as SettingKey] = origin;
  }
  return out;
}

export interface SettingsParseResult {
  settings: Partial<Settings>;
  errors: string[];
}

/**
 * Validate a plain object of settings (from `.drainguard.yaml`, or editor settings).
 * Unknown keys and bad values are reported and skipped, never fatal.
 */
export function validateSettings(raw: unknown, knownRules?: ReadonlySet<string>): SettingsParseResult {
  const errors: string[] = [];
  const settings: Partial<Settings> = {};
  if (raw === null || raw === undefined) return { settings, errors };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { settings, errors: ['the configuration must be a mapping of settings'] };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    switch (key) {
      case 'istioVersion':
      case 'kubernetesVersion': {
        const s = value === null ? undefined : String(value);
        if (s !== undefined && !parseVersion(s)) errors.push(`${key}: "${s}" is not a version like 1.27 or 1.27.3`);
        else settings[key] = s;
        break;
      }
      case 'nativeSidecars':
        if (value === 'auto' || value === 'on' || value === 'off') settings.nativeSidecars = value;
        else if (value === true) settings.nativeSidecars = 'on';
        else if (value === false) settings.nativeSidecars = 'off';
        else errors.push(`nativeSidecars: expected auto, on or off, got ${JSON.stringify(value)}`);
        break;
      case 'assumeInjection':
        if (value === 'auto' || value === 'always' || value === 'never') settings.assumeInjection = value;
        else errors.push(`assumeInjection: expected auto, always or never, got ${JSON.stringify(value)}`);
        break;
      case 'defaultDrainDuration':
      case 'shutdownMargin': {
        if (value === null || value === undefined) break;
        const s = String(value);
        const d = parseGoDuration(s);
        if (!d.ok || d.seconds < 0) errors.push(`${key}: "${s}" is not a Go duration such as 5s or 1m30s`);
        else settings[key] = s;
        break;
      }
      case 'rules': {
        if (value === null) break;
        if (typeof value !== 'object' || Array.isArray(value)) {
          errors.push('rules: expected a mapping of rule id to off, error, warning, information or hint');
          break;
        }
        const rules: Record<string, RuleLevel> = {};
        for (const [id, level] of Object.entries(value as Record<string, unknown>)) {
          if (knownRules && !knownRules.has(id)) errors.push(`rules: unknown rule "${id}"`);
          else if (typeof level === 'string' && LEVELS.has(level)) rules[id] = level as RuleLevel;
          else if (level === false) rules[id] = 'off';
          else errors.push(`rules.${id}: expected off, error, warning, information or hint, got ${JSON.stringify(level)}`);
        }
        settings.rules = rules;
        break;
      }
      case 'ignore':
        if (value === null) break;
        if (Array.isArray(value) && value.every((v) => typeof v === 'string')) settings.ignore = value as string[];
        else errors.push('ignore: expected a list of glob patterns');
        break;
      case 'mesh': {
        if (value === null) break;
        if (typeof value !== 'object' || Array.isArray(value)) {
          errors.push('mesh: expected a mapping (terminationDrainDuration, proxyMetadata, holdApplicationUntilProxyStarts, enableNativeSidecars)');
          break;
        }
        const mesh: MeshSettings = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (k === 'terminationDrainDuration') {
            const d = parseGoDuration(String(v));
            if (!d.ok) errors.push(`mesh.terminationDrainDuration: "${String(v)}" is not a Go duration`);
            else mesh.terminationDrainDuration = String(v);
          } else if (k === 'proxyMetadata' && v && typeof v === 'object' && !Array.isArray(v)) {
            mesh.proxyMetadata = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([a, b]) => [a, String(b)]));
          } else if (k === 'holdApplicationUntilProxyStarts' && typeof v === 'boolean') mesh.holdApplicationUntilProxyStarts = v;
          else if (k === 'enableNativeSidecars' && (v === true || v === false || v === 'true' || v === 'false' || v === 'auto')) mesh.enableNativeSidecars = String(v);
          else errors.push(`mesh.${k}: unknown or invalid`);
        }
        settings.mesh = mesh;
        break;
      }
      default:
        errors.push(`unknown setting "${key}"`);
    }
  }
  return { settings, errors };
}

/** Read the text of a `.drainguard.yaml`. */
export function parseConfigText(text: string, knownRules?: ReadonlySet<string>): SettingsParseResult {
  try {
    // Duplicate keys are errors, found in linear time (yaml's own check is quadratic).
    const doc = parseDocumentWithinLimit(text, parseOptions({ prettyErrors: false, uniqueKeys: true }));
    addDuplicateKeyErrors(doc);
    if (doc.errors.length > 0) return { settings: {}, errors: [doc.errors[0]!.message.split('\n')[0] ?? 'invalid YAML'] };
    if (doc.contents !== null && !isMap(doc.contents)) return { settings: {}, errors: ['the configuration must be a mapping of settings'] };
    return validateSettings(doc.toJS({ maxAliasCount: 10 }), knownRules);
  } catch (e) {
    return { settings: {}, errors: [e instanceof Error ? e.message : String(e)] };
  }
}

/** Parse "1.27", "v1.27.3", "1.33.0-rc.1" to [major, minor]. */
export function parseVersion(v: string | undefined): [number, number] | undefined {
  if (!v) return undefined;
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Compare a configured version with major.minor: negative when older, 0 equal, positive newer; undefined when unset. */
export function compareVersion(v: string | undefined, major: number, minor: number): number | undefined {
  const p = parseVersion(v);
  if (!p) return undefined;
  return p[0] !== major ? p[0] - major : p[1] - minor;
}

/** Seconds of a duration setting, or undefined. */
export function settingSeconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const d = parseGoDuration(v);
  return d.ok ? d.seconds : undefined;
}
