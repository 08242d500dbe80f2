/**
 * The effective shutdown values of one pod template, each with where it comes from:
 * grace period, drain, sidecar mode, EXIT_ON_ZERO_ACTIVE_CONNECTIONS, the istio-proxy and
 * app preStop hooks, and whether a sidecar is injected at all. Every pod-level rule reads
 * these; none recomputes them.
 */
import { isScalar, type Scalar } from 'yaml';
import { parseGoDuration } from '../duration';
import { compareVersion, settingSeconds, type Settings } from '../settings';
import type { Range, Sourced, ValueSource } from '../types';
import { parseGoBool } from '../yaml/goyaml';
import { pairOf, rangeOf, scalarAt, stringAt, type KeyedPair } from '../yaml/nodes';
import type { K8sObject } from './documents';
import { meshSourcesOf, proxyConfigResourceOf, ROOT_NAMESPACE, type MeshLifecycle, type MeshSource, type ProxyConfigResource } from './mesh';
import type { ContainerInfo, HookInfo, PodTemplate } from './pod-template';
import { parseProxyConfigAnnotation, PROXY_CONFIG_ANNOTATION, type MetadataEntry, type ParsedProxyConfig } from './proxy-config';

export const ISTIO_PROXY = 'istio-proxy';
export const DEFAULT_GRACE = 30;
export const DEFAULT_DRAIN = 5;
export const DEFAULT_MIN_DRAIN = 5;
export const DEFAULT_STATUS_PORT = 15020;
export const KNATIVE_DEFAULT_TIMEOUT = 300;
/** Namespaces Istio never injects (pkg/kube/inject/initializer.go). */
export const NEVER_INJECTED_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/** What the run knows about a Namespace object. */
export interface NamespaceInfo {
  name: string;
  injectionLabel?: string;
  revLabel?: string;
  source: ValueSource;
}

/** Cross-file facts of one run (the CLI's files, the editor's workspace). */
export interface AnalysisContext {
  namespaces: Map<string, NamespaceInfo>;
  /** Mesh-wide configuration sources of the run (IstioOperator, ConfigMaps, Helm values…). */
  mesh: MeshSource[];
  proxyConfigs: ProxyConfigResource[];
}

export function emptyContext(): AnalysisContext {
  return { namespaces: new Map(), mesh: [], proxyConfigs: [] };
}

/**
 * The order in which disagreeing sources of one revision win: the rendered ConfigMaps are what
 * istiod reads at run time; the operator and Helm inputs generate them.
 */
export const MESH_SOURCE_ORDER: readonly MeshSource['kind'][] = ['mesh ConfigMap', 'injector ConfigMap', 'IstioOperator', 'Sail Istio', 'istiod Helm values', '.drainguard.yaml'];

/** The mesh sources of a revision, the winning one first. */
export function meshSourcesFor(ctx: AnalysisContext, revision: string): MeshSource[] {
  return ctx.mesh.filter((m) => m.revision === revision).sort((a, b) => MESH_SOURCE_ORDER.indexOf(a.kind) - MESH_SOURCE_ORDER.indexOf(b.kind));
}

/** A mesh value from the first source (in winning order) that has it. */
function firstOf<T>(sources: MeshSource[], pick: (m: MeshSource) => T | undefined): { value: T; source: MeshSource } | undefined {
  for (const m of sources) {
    const v = pick(m);
    if (v !== undefined) return { value: v, source: m };
  }
  return undefined;
}

export interface Injection {
  injected: boolean;
  /** Why: the evidence for, or the opt-out. */
  reason: string;
  source?: ValueSource;
}

export interface GracePeriod extends Sourced<number | undefined> {
  /** The `terminationGracePeriodSeconds` pair when written. */
  pair?: KeyedPair;
  node?: Scalar;
}

export interface DrainValue extends Sourced<number | undefined> {
  /** True when the pod's own annotation sets it. */
  own: boolean;
  range?: Range;
}

export interface PodAnalysis {
  uri: string;
  pod: PodTemplate;
  proxyConfig?: ParsedProxyConfig;
  grace: GracePeriod;
  drain: DrainValue;
  native: Sourced<boolean>;
  exitOnZero: Sourced<boolean> & { entry?: MetadataEntry };
  minDrain: Sourced<number>;
  /** A custom `istio-proxy` container declared in the pod template (custom injection). */
  proxyContainer?: ContainerInfo;
  /** The istio-proxy preStop: its known seconds (0 without one), and whether it waits for the app. */
  proxyPreStop: { seconds: number; exact: boolean; hook?: HookInfo; waitsForApp: boolean; mesh?: { lifecycle: MeshLifecycle; source: MeshSource } };
  /** The app containers (regular containers other than istio-proxy). */
  apps: ContainerInfo[];
  injection: Injection;
  gateway: boolean;
  statusPort: number;
  /** The control-plane revision the pod is injected by. */
  revision: string;
  /** The mesh-wide `global.proxy.lifecycle` that the injector gives this pod's istio-proxy, if any. */
  meshLifecycle?: { lifecycle: MeshLifecycle; source: MeshSource };
  /** holdApplicationUntilProxyStarts in effect, and where from. */
  hold: Sourced<boolean>;
}

const fileSource = (uri: string, node: unknown, label?: string): ValueSource => {
  const r = rangeOf(node);
  return r ? { kind: 'file', uri, range: r, label } : { kind: 'unknown', detail: label ?? 'file' };
};

/** Compute the effective values of a pod template. */
export function analyzePod(uri: string, text: string, pod: PodTemplate, settings: Settings, ctx: AnalysisContext): PodAnalysis {
  const doc = pod.doc;
  const annPair = pairOf(pod.annotations, PROXY_CONFIG_ANNOTATION);
  const proxyConfig = annPair ? parseProxyConfigAnnotation(text, annPair) : undefined;
  const all = [...pod.containers, ...pod.initContainers];
  const proxyContainer = all.find((c) => c.name === ISTIO_PROXY);
  const apps = pod.containers.filter((c) => c.name !== ISTIO_PROXY);

  // Grace period.
  const gracePair = pairOf(pod.spec, 'terminationGracePeriodSeconds');
  const graceNode = scalarAt(doc, pod.spec, 'terminationGracePeriodSeconds');
  let grace: GracePeriod;
  if (graceNode && graceNode.value !== null) {
    const v = graceNode.value;
    const n = typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    grace = { value: n, source: fileSource(uri, graceNode, 'terminationGracePeriodSeconds'), pair: gracePair, node: graceNode };
  } else if (pod.knative) {
    const t = scalarAt(doc, pod.spec, 'timeoutSeconds');
    grace =
      t && typeof t.value === 'number'
        ? { value: t.value, source: fileSource(uri, t, 'Knative timeoutSeconds') }
        : { value: KNATIVE_DEFAULT_TIMEOUT, source: { kind: 'controller-default', detail: 'Knative revision timeout (revision-timeout-seconds)' } };
  } else {
    grace = { value: DEFAULT_GRACE, source: { kind: 'kubernetes-default' }, pair: gracePair };
  }

  // The istio-proxy container's env (custom injection) overrides proxyMetadata, as the injector merges env by name.
  const proxyEnv = proxyContainer?.env;

  // The pod's revision and the mesh sources that configure it.
  const nsInfo = pod.object.namespace !== undefined ? ctx.namespaces.get(pod.object.namespace) : undefined;
  // The namespace's labels select the injector first (istio-injection=enabled: the default
  // revision; istio.io/rev: that one); the pod's own istio.io/rev counts only without them.
  const revision =
    nsInfo?.injectionLabel === 'enabled' ? 'default' : (nsInfo?.revLabel ?? stringAt(doc, pod.labels, 'istio.io/rev') ?? 'default');
  const mesh = meshSourcesFor(ctx, revision);
  const meshDrain = firstOf(mesh, (m) => (m.defaultConfig?.drain ? { seconds: m.defaultConfig.drain.seconds, range: m.defaultConfig.drain.field.valueNode.range } : undefined));

  // Drain.
  let drain: DrainValue;
  const legacy = proxyEnv?.get('TERMINATION_DRAIN_DURATION_SECONDS');
  if (proxyConfig?.drain) {
    const f = proxyConfig.drain.field;
    drain = { value: proxyConfig.drain.seconds, own: true, range: f.valueNode.range, source: { kind: 'file', uri, range: f.valueNode.range, label: 'terminationDrainDuration' } };
  } else if (proxyConfig?.drainField) {
    // Written but invalid: the pod is denied (invalid-duration reports it); the drain is unknown.
    drain = { value: undefined, own: true, range: proxyConfig.drainField.valueNode.range, source: { kind: 'unknown', detail: 'invalid terminationDrainDuration' } };
  } else if (legacy?.value !== undefined && (compareVersion(settings.istioVersion, 1, 10) ?? 0) < 0 && settings.istioVersion && /^\d+$/.test(legacy.value)) {
    drain = { value: Number(legacy.value), own: true, range: rangeOf(legacy.node), source: fileSource(uri, legacy.node, 'TERMINATION_DRAIN_DURATION_SECONDS') };
  } else if (meshDrain) {
    drain = { value: meshDrain.value.seconds, own: false, range: meshDrain.value.range, source: { kind: 'file', uri: meshDrain.source.uri, range: meshDrain.value.range, label: meshDrain.source.label, line: lineAt(meshDrain.source.text, meshDrain.value.range.start) } };
  } else if (settingSeconds(settings.mesh?.terminationDrainDuration) !== undefined) {
    drain = { value: settingSeconds(settings.mesh?.terminationDrainDuration), own: false, source: { kind: 'setting', name: 'mesh.terminationDrainDuration (.drainguard.yaml)' } };
  } else if (settingSeconds(settings.defaultDrainDuration) !== undefined) {
    drain = { value: settingSeconds(settings.defaultDrainDuration), own: false, source: { kind: 'setting', name: settings.origins.defaultDrainDuration ? `defaultDrainDuration (${settings.origins.defaultDrainDuration})` : 'defaultDrainDuration' } };
  } else {
    drain = { value: DEFAULT_DRAIN, own: false, source: { kind: 'istio-default' } };
  }

  // EXIT_ON_ZERO_ACTIVE_CONNECTIONS and MINIMUM_DRAIN_DURATION.
  const meta = proxyConfig?.proxyMetadata;
  // Agent environment, key by key, highest first: the custom istio-proxy container's env, a
  // selecting ProxyConfig, the pod annotation's proxyMetadata, a namespace ProxyConfig, a
  // root-namespace ProxyConfig, the mesh's defaultConfig, .drainguard.yaml's mesh section.
  const crs = proxyConfigsFor(ctx, pod);
  const agentEnv = (name: string): { value: string; source: ValueSource; entry?: MetadataEntry } | undefined => {
    const env = proxyEnv?.get(name);
    if (env?.value !== undefined) return { value: env.value, source: fileSource(uri, env.node, 'istio-proxy env') };
    for (const [cr, scope] of crs) {
      if (scope !== 'selector') continue;
      const v = cr.env.get(name);
      if (v) return { value: v.value, source: { kind: 'file', uri: cr.uri, range: v.range, label: `ProxyConfig ${cr.object.name ?? ''}`.trim(), line: lineAt(cr.text, v.range.start) } };
    }
    const entry = meta?.get(name);
    if (entry?.value !== undefined) return { value: entry.value, source: { kind: 'file', uri, range: entry.valueRange, label: 'proxyMetadata' }, entry };
    for (const [cr, scope] of crs) {
      if (scope === 'selector') continue;
      const v = cr.env.get(name);
      if (v) return { value: v.value, source: { kind: 'file', uri: cr.uri, range: v.range, label: `ProxyConfig ${cr.object.name ?? ''}`.trim(), line: lineAt(cr.text, v.range.start) } };
    }
    const m = firstOf(mesh, (src) => src.defaultConfig?.proxyMetadata.get(name));
    if (m?.value.value !== undefined) return { value: m.value.value, source: { kind: 'file', uri: m.source.uri, range: m.value.valueRange, label: m.source.label, line: lineAt(m.source.text, m.value.valueRange.start) } };
    const fromSettings = settings.mesh?.proxyMetadata?.[name];
    if (fromSettings !== undefined) return { value: fromSettings, source: { kind: 'setting', name: `mesh.proxyMetadata.${name} (.drainguard.yaml)` } };
    return undefined;
  };
  const exitRaw = agentEnv('EXIT_ON_ZERO_ACTIVE_CONNECTIONS');
  const exitOnZero: PodAnalysis['exitOnZero'] = exitRaw ? { value: parseGoBool(exitRaw.value) === true, source: exitRaw.source, entry: exitRaw.entry } : { value: false, source: { kind: 'istio-default' } };
  let minDrain: Sourced<number> = { value: DEFAULT_MIN_DRAIN, source: { kind: 'istio-default' } };
  const minRaw = agentEnv('MINIMUM_DRAIN_DURATION');
  if (minRaw) {
    const d = parseGoDuration(minRaw.value);
    // An invalid value only logs a warning in the agent and falls back to the default.
    if (d.ok) minDrain = { value: Math.max(0, d.seconds), source: minRaw.source };
  }

  const native = nativeMode(uri, pod, settings, proxyContainer, mesh);
  const injection = injectionOf(uri, pod, settings, ctx);

  const hook = proxyContainer?.preStop;
  // The injector copies `global.proxy.lifecycle` onto istio-proxy; a custom istio-proxy
  // lifecycle in the pod template is merged over it and wins.
  const ml = firstOf(mesh, (m) => m.lifecycle);
  const meshLifecycle = ml ? { lifecycle: ml.value, source: ml.source } : undefined;
  const useMesh = !proxyContainer?.lifecyclePair && meshLifecycle?.lifecycle.hasPreStop;
  const proxyPreStop = useMesh
    ? { seconds: meshLifecycle!.lifecycle.preStopSeconds, exact: meshLifecycle!.lifecycle.preStopExact, hook: undefined, waitsForApp: meshLifecycle!.lifecycle.waitsForApp, mesh: meshLifecycle }
    : {
        seconds: hook?.duration?.seconds ?? 0,
        exact: hook ? (hook.duration?.exact ?? false) : true,
        hook,
        waitsForApp: hook?.netstat !== undefined,
      };

  // holdApplicationUntilProxyStarts: the pod annotation, then the mesh (defaultConfig or values).
  let hold: Sourced<boolean> = { value: false, source: { kind: 'istio-default' } };
  if (proxyConfig?.holdApplicationUntilProxyStarts !== undefined) {
    const f = proxyConfig.fields.find((x) => x.key === 'holdApplicationUntilProxyStarts' || x.key === 'hold_application_until_proxy_starts');
    hold = { value: proxyConfig.holdApplicationUntilProxyStarts, source: f ? { kind: 'file', uri, range: f.valueNode.range, label: 'holdApplicationUntilProxyStarts' } : { kind: 'unknown', detail: 'annotation' } };
  } else {
    const h = firstOf(mesh, (m) => {
      const dc = m.defaultConfig;
      if (dc?.holdApplicationUntilProxyStarts !== undefined) {
        const f = dc.fields.find((x) => x.key === 'holdApplicationUntilProxyStarts');
        return { value: dc.holdApplicationUntilProxyStarts, range: f?.valueNode.range ?? m.range };
      }
      return m.holdValues;
    });
    if (h) hold = { value: h.value.value, source: { kind: 'file', uri: h.source.uri, range: h.value.range, label: h.source.label, line: lineAt(h.source.text, h.value.range.start) } };
    else if (settings.mesh?.holdApplicationUntilProxyStarts !== undefined) hold = { value: settings.mesh.holdApplicationUntilProxyStarts, source: { kind: 'setting', name: 'mesh.holdApplicationUntilProxyStarts (.drainguard.yaml)' } };
  }

  const templates = stringAt(doc, pod.annotations, 'inject.istio.io/templates') ?? '';
  const gateway =
    templates.split(',').some((t) => t.trim() === 'gateway') ||
    (pod.containers.length === 1 && pod.containers[0]?.name === ISTIO_PROXY && pod.containers[0]?.image === 'auto');

  const portText = stringAt(doc, pod.annotations, 'status.sidecar.istio.io/port');
  const statusPort = portText && /^\d+$/.test(portText) ? Number(portText) : (proxyConfig?.statusPort ?? DEFAULT_STATUS_PORT);

  return { uri, pod, proxyConfig, grace, drain, native, exitOnZero, minDrain, proxyContainer, proxyPreStop, apps, injection, gateway, statusPort, revision, meshLifecycle, hold };
}

/** Native or classic sidecar, and why. */
function nativeMode(uri: string, pod: PodTemplate, settings: Settings, proxyContainer: ContainerInfo | undefined, mesh: MeshSource[]): Sourced<boolean> {
  const annPair = pairOf(pod.annotations, 'sidecar.istio.io/nativeSidecar');
  const istio = settings.istioVersion;
  if (annPair && isScalar(annPair.value)) {
    const value = annPair.value.value === null || annPair.value.value === undefined ? '' : String(annPair.value.value);
    const src = fileSource(uri, annPair.value, 'sidecar.istio.io/nativeSidecar');
    const cmp124 = compareVersion(istio, 1, 24);
    const cmp127 = compareVersion(istio, 1, 27);
    if (cmp124 === undefined || cmp124 >= 0) {
      // Istio 1.24-1.26: only "true" counts; 1.27+: anything but "false" turns it on.
      const on = cmp127 !== undefined && cmp127 < 0 ? value === 'true' : value !== 'false';
      return { value: on, source: src };
    }
    // Below 1.24 the annotation is ignored: fall through.
  }
  if (proxyContainer?.restartAlways) return { value: true, source: fileSource(uri, proxyContainer.node, 'istio-proxy init container with restartPolicy: Always') };
  if (settings.nativeSidecars === 'on') return { value: true, source: { kind: 'setting', name: 'nativeSidecars: on' } };
  if (settings.nativeSidecars === 'off') return { value: false, source: { kind: 'setting', name: 'nativeSidecars: off' } };
  const k = compareVersion(settings.kubernetesVersion, 1, 33);
  // istiod's ENABLE_NATIVE_SIDECARS from the repository's control-plane config.
  const env = firstOf(mesh, (m) => m.nativeSidecars);
  const envValue = env?.value.value ?? settings.mesh?.enableNativeSidecars;
  if (envValue !== undefined) {
    const source: ValueSource = env ? { kind: 'file', uri: env.source.uri, range: env.value.range, label: `${env.source.label} ENABLE_NATIVE_SIDECARS`, line: lineAt(env.source.text, env.value.range.start) } : { kind: 'setting', name: 'mesh.enableNativeSidecars (.drainguard.yaml)' };
    const v = envValue.toLowerCase();
    if (v === 'true') return { value: true, source };
    if (v === 'false') return { value: false, source };
    // auto: native only when every node runs kubelet 1.33 or newer.
    if (v === 'auto') return { value: k !== undefined && k >= 0, source };
  }
  const i = compareVersion(istio, 1, 27);
  if (i !== undefined && k !== undefined && i >= 0 && k >= 0) return { value: true, source: { kind: 'setting', name: `istioVersion ${istio} and kubernetesVersion ${settings.kubernetesVersion} (ENABLE_NATIVE_SIDECARS=auto)` } };
  return { value: false, source: { kind: 'istio-default' } };
}

/** Whether a sidecar is injected into pods of this template, from the evidence in the run. */
export function injectionOf(uri: string, pod: PodTemplate, settings: Settings, ctx: AnalysisContext): Injection {
  const doc = pod.doc;
  const label = scalarAt(doc, pod.labels, 'sidecar.istio.io/inject');
  const ann = scalarAt(doc, pod.annotations, 'sidecar.istio.io/inject');
  const labelValue = label && label.value !== null ? String(label.value) : undefined;
  const annValue = ann && ann.value !== null ? String(ann.value) : undefined;
  const ns = pod.object.namespace;
  const nsInfo = ns !== undefined ? ctx.namespaces.get(ns) : undefined;

  // Opt-outs.
  if (labelValue === 'false') return { injected: false, reason: 'label sidecar.istio.io/inject: "false"', source: fileSource(uri, label) };
  if (labelValue !== 'true' && annValue === 'false') return { injected: false, reason: 'annotation sidecar.istio.io/inject: "false"', source: fileSource(uri, ann) };
  const hostNetwork = scalarAt(doc, pod.spec, 'hostNetwork');
  if (hostNetwork?.value === true) return { injected: false, reason: 'hostNetwork: true (Istio never injects host-network pods)', source: fileSource(uri, hostNetwork) };
  if (ns !== undefined && NEVER_INJECTED_NAMESPACES.has(ns)) return { injected: false, reason: `namespace ${ns} (Istio never injects it)` };
  if (nsInfo?.injectionLabel !== undefined && nsInfo.injectionLabel !== 'enabled')
    return { injected: false, reason: `namespace ${ns} has istio-injection=${nsInfo.injectionLabel}`, source: nsInfo.source };
  if (settings.assumeInjection === 'never') return { injected: false, reason: 'setting assumeInjection: never', source: { kind: 'setting', name: 'assumeInjection' } };

  // Evidence.
  if (labelValue === 'true') return { injected: true, reason: 'label sidecar.istio.io/inject: "true"', source: fileSource(uri, label) };
  const rev = scalarAt(doc, pod.labels, 'istio.io/rev');
  if (rev) return { injected: true, reason: `label istio.io/rev: ${String(rev.value)}`, source: fileSource(uri, rev) };
  for (const item of pod.annotations?.items ?? []) {
    const k = isScalar(item.key) ? String(item.key.value) : '';
    if (k.startsWith('proxy.istio.io/') || k.startsWith('sidecar.istio.io/')) return { injected: true, reason: `annotation ${k}`, source: fileSource(uri, item.key) };
  }
  const proxy = [...pod.containers, ...pod.initContainers].find((c) => c.name === ISTIO_PROXY);
  if (proxy) return { injected: true, reason: 'an istio-proxy container in the pod template', source: fileSource(uri, proxy.nameNode) };
  if (nsInfo?.injectionLabel === 'enabled') return { injected: true, reason: `namespace ${ns} has istio-injection=enabled`, source: nsInfo.source };
  if (nsInfo?.revLabel !== undefined) return { injected: true, reason: `namespace ${ns} has istio.io/rev=${nsInfo.revLabel}`, source: nsInfo.source };
  if (settings.assumeInjection === 'always') return { injected: true, reason: 'setting assumeInjection: always', source: { kind: 'setting', name: 'assumeInjection' } };
  return { injected: false, reason: 'no injection evidence (no inject label, Istio annotation, istio-proxy container or labelled Namespace)' };
}

/** The ProxyConfig resources that apply to a pod, with how they select it. */
function proxyConfigsFor(ctx: AnalysisContext, pod: PodTemplate): [ProxyConfigResource, 'selector' | 'namespace' | 'root'][] {
  const out: [ProxyConfigResource, 'selector' | 'namespace' | 'root'][] = [];
  const ns = pod.object.namespace;
  for (const cr of ctx.proxyConfigs) {
    if (cr.selector && cr.selector.size > 0) {
      if (cr.namespace !== ns) continue;
      let all = true;
      for (const [k, v] of cr.selector) if (stringAt(pod.doc, pod.labels, k) !== v) all = false;
      if (all) out.push([cr, 'selector']);
    } else if (cr.namespace !== undefined && cr.namespace === ns) out.push([cr, 'namespace']);
    else if (cr.namespace === ROOT_NAMESPACE) out.push([cr, 'root']);
  }
  const rank = { selector: 0, namespace: 1, root: 2 };
  return out.sort((a, b) => rank[a[1]] - rank[b[1]]);
}

/**
 * Collect the cross-file facts of one object (Namespaces, mesh configuration, ProxyConfigs).
 * Never throws: an object the readers cannot handle contributes nothing (none is known; the
 * fuzzer checks that the engine never throws, and this keeps one bad file from failing a run).
 */
export function contributeToContext(uri: string, text: string, obj: K8sObject, ctx: AnalysisContext): void {
  const before = { mesh: ctx.mesh.length, proxyConfigs: ctx.proxyConfigs.length };
  try {
    contribute(uri, text, obj, ctx);
  } catch {
    ctx.mesh.length = Math.min(ctx.mesh.length, before.mesh);
    ctx.proxyConfigs.length = Math.min(ctx.proxyConfigs.length, before.proxyConfigs);
  }
}

function contribute(uri: string, text: string, obj: K8sObject, ctx: AnalysisContext): void {
  if (obj.kind !== 'Namespace') {
    const pc = proxyConfigResourceOf(uri, text, obj);
    if (pc) ctx.proxyConfigs.push(pc);
    else ctx.mesh.push(...meshSourcesOf(uri, text, obj));
    return;
  }
  if (obj.name === undefined) return;
  const inj = scalarAt(obj.doc, obj.labels, 'istio-injection');
  const rev = scalarAt(obj.doc, obj.labels, 'istio.io/rev');
  if (!inj && !rev) return;
  ctx.namespaces.set(obj.name, {
    name: obj.name,
    injectionLabel: inj && inj.value !== null ? String(inj.value) : undefined,
    revLabel: rev && rev.value !== null ? String(rev.value) : undefined,
    source: fileSource(uri, inj ?? rev, 'Namespace label'),
  });
}

/** 1-based line of an offset in a text. */
export function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
