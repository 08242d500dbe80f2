/**
 * Hover content: what the field under the cursor means, this pod's effective values with
 * their sources, and its shutdown timeline in real numbers. Pure: the LSP layer only converts
 * the range and wraps the markdown.
 */
import { isPair, isScalar, type Node, type Pair } from 'yaml';
import type { FileResult } from './analyze';
import { formatDuration } from './duration';
import type { PodAnalysis } from './model/effective';
import { timelineMarkdown, timelineOf } from './model/timeline';
import { ruleById } from './rules/registry';
import type { Range, ValueSource } from './types';
import { keyOf } from './yaml/nodes';

export interface Hover {
  range: Range;
  markdown: string;
}

/** Short explanations of the fields Drainguard hovers on. */
export const FIELD_DOCS: Record<string, string> = {
  terminationGracePeriodSeconds:
    'How long the kubelet waits after it starts stopping the pod (preStop hooks included) before it SIGKILLs every container still running. Integer seconds; default 30; 0 kills at once without running preStop hooks.',
  'proxy.istio.io/config':
    "Per-pod ProxyConfig for the Istio sidecar, as YAML or JSON inside a string. Istio merges it over the mesh's `defaultConfig` field by field; unknown keys are ignored silently; a type error makes the injector deny the pod.",
  terminationDrainDuration:
    'How long pilot-agent lets Envoy drain inbound connections after istio-proxy gets SIGTERM before it stops Envoy. A Go duration (`20s`, `1m30s`); default 5s. Unused with native sidecars and with EXIT_ON_ZERO_ACTIVE_CONNECTIONS.',
  drainDuration: "Envoy's own graceful listener drain window (`--drain-time-s`). Whole seconds; default 45s. Not the shutdown timer: that is `terminationDrainDuration`.",
  proxyMetadata: 'Environment variables for the istio-proxy container (map of string to string: quote every value).',
  EXIT_ON_ZERO_ACTIVE_CONNECTIONS:
    'When true (Go ParseBool: "true", "1", "t"…), pilot-agent ignores `terminationDrainDuration` after SIGTERM: it waits `MINIMUM_DRAIN_DURATION`, then exits as soon as Envoy has no active connections (or at SIGKILL). Experimental; Istio 1.12+.',
  MINIMUM_DRAIN_DURATION: 'With EXIT_ON_ZERO_ACTIVE_CONNECTIONS: how long the agent waits after SIGTERM before it checks for zero connections. Default 5s.',
  holdApplicationUntilProxyStarts: 'Starts istio-proxy first and holds the app until the proxy is ready (classic sidecars only). A custom `global.proxy.lifecycle` silently disables it.',
  'sidecar.istio.io/nativeSidecar':
    'Runs istio-proxy as a Kubernetes native sidecar (a restartable init container): it stops after the app, so the app keeps its network during shutdown. Istio 1.24+; from 1.27 any value but "false" turns it on.',
  'sidecar.istio.io/inject': 'Opts a pod in or out of injection. Use it as a **label**: the webhook selects on labels, and the annotation form is deprecated (it can opt out, not in).',
  lifecycle: "The container's lifecycle hooks. A preStop hook runs at the start of the grace period, before the container gets SIGTERM.",
  preStop: 'Runs when the pod starts stopping; the container gets SIGTERM only when it ends. Its time counts against the grace period.',
  'istio-proxy':
    'A container named istio-proxy in the pod template customises the injected sidecar (custom injection): its fields are merged over the injected container, so its lifecycle replaces the injector’s.',
};

/** Hover at an offset of an analysed file. */
export function hoverAt(result: FileResult, offset: number, where: (s: ValueSource) => string): Hover | undefined {
  const findings = result.findings.filter((f) => offset >= f.range.start && offset <= f.range.end);
  const pa = result.pods.find((p) => offset >= p.pod.object.range.start && offset <= p.pod.object.range.end);
  const target = pa ? targetAt(pa, offset) : undefined;
  if (!target && findings.length === 0) return undefined;
  const parts: string[] = [];
  if (target) parts.push(`**${target.title}**`, '', target.doc);
  for (const f of findings) {
    const rule = ruleById(f.ruleId);
    parts.push('', `**${f.severity}: \`${f.ruleId}\`**${rule ? ` (${rule.title})` : ''}`, '', f.message);
  }
  if (pa) {
    parts.push('', '---', '', valuesMarkdown(pa, where), '', timelineMarkdown(timelineOf(pa, where)));
  }
  const range = target?.range ?? findings[0]!.range;
  return { range, markdown: parts.join('\n') };
}

function valuesMarkdown(pa: PodAnalysis, where: (s: ValueSource) => string): string {
  const rows = [
    `- grace period: **${pa.grace.value === undefined ? 'unknown' : `${pa.grace.value}s`}** (${where(pa.grace.source)})`,
    `- drain: **${pa.drain.value === undefined ? 'unknown' : formatDuration(pa.drain.value)}** (${where(pa.drain.source)})`,
    `- sidecar: **${pa.native.value ? 'native' : 'classic'}** (${where(pa.native.source)})`,
    `- EXIT_ON_ZERO_ACTIVE_CONNECTIONS: **${pa.exitOnZero.value ? 'on' : 'off'}** (${where(pa.exitOnZero.source)})`,
    `- injection: **${pa.injection.injected ? 'yes' : 'no'}** (${pa.injection.reason})`,
  ];
  if (pa.proxyPreStop.hook) rows.push(`- istio-proxy preStop: **${pa.proxyPreStop.waitsForApp ? 'waits for the app' : `${pa.proxyPreStop.exact ? '' : '≥'}${formatDuration(pa.proxyPreStop.seconds)}`}**`);
  return rows.join('\n');
}

interface Target {
  title: string;
  doc: string;
  range: Range;
}

const inRange = (o: number, n: { range?: [number, number, number] | null } | null | undefined): boolean => !!n?.range && o >= n.range[0] && o <= n.range[1];
const rangeOfNode = (n: Node): Range => ({ start: n.range![0], end: n.range![1] });

function pairTarget(pair: Pair, offset: number, title: string, doc: string): Target | undefined {
  const k = pair.key as Node | null;
  const v = pair.value as Node | null;
  if (inRange(offset, k) || inRange(offset, v)) return { title, doc, range: rangeOfNode(inRange(offset, k) || !v?.range ? k! : v) };
  return undefined;
}

function targetAt(pa: PodAnalysis, offset: number): Target | undefined {
  const pc = pa.proxyConfig;
  if (pc) {
    for (const f of pc.fields) {
      if (offset >= f.keyNode.range.start && offset <= f.valueNode.range.end) {
        if (f.key === 'proxyMetadata') {
          for (const [k, e] of pc.proxyMetadata) {
            if (offset >= e.keyRange.start && offset <= e.valueRange.end) return { title: k, doc: FIELD_DOCS[k] ?? 'An environment variable of the istio-proxy container.', range: e.keyRange };
          }
        }
        const inKey = offset <= f.keyNode.range.end;
        return { title: f.key, doc: FIELD_DOCS[f.key] ?? (f.spec ? `A ProxyConfig field (${f.spec.type}).` : 'Not a ProxyConfig field: Istio ignores it.'), range: inKey ? f.keyNode.range : f.valueNode.range };
      }
    }
    const t = pairTarget(pc.pair, offset, 'proxy.istio.io/config', FIELD_DOCS['proxy.istio.io/config']!);
    if (t) return t;
  }
  const grace = pa.grace.pair;
  if (grace) {
    const t = pairTarget(grace, offset, 'terminationGracePeriodSeconds', FIELD_DOCS.terminationGracePeriodSeconds!);
    if (t) return t;
  }
  for (const map of [pa.pod.annotations, pa.pod.labels, pa.pod.object.annotations]) {
    for (const item of map?.items ?? []) {
      if (!isPair(item)) continue;
      const k = keyOf(item) ?? '';
      if (!/(^|\.)(istio\.io)\//.test(k)) continue;
      const t = pairTarget(item, offset, k, FIELD_DOCS[k] ?? 'An Istio annotation or label.');
      if (t) return t;
    }
  }
  // The workload itself: its kind, its name, the pod template keys.
  const obj = pa.pod.object;
  const workload = `${obj.kind ?? 'workload'}${obj.name ? ` ${obj.name}` : ''}`;
  const doc = 'The effective shutdown values of this pod template, where each comes from, and what happens when a pod is deleted.';
  for (const key of ['kind']) {
    const p = obj.node.items.find((i) => isPair(i) && keyOf(i) === key);
    if (p && inRange(offset, p.value as Node)) return { title: workload, doc, range: rangeOfNode(p.value as Node) };
  }
  const namePair = obj.metadata?.items.find((i) => isPair(i) && keyOf(i) === 'name');
  if (namePair && inRange(offset, namePair.value as Node)) return { title: workload, doc, range: rangeOfNode(namePair.value as Node) };
  for (const p of [pa.pod.templatePair, pa.pod.specPair]) {
    if (p && inRange(offset, p.key as Node)) return { title: `${workload}: pod template`, doc, range: rangeOfNode(p.key as Node) };
  }
  for (const c of [...pa.pod.containers, ...pa.pod.initContainers]) {
    if (c.name === 'istio-proxy' && c.nameNode && inRange(offset, c.nameNode)) return { title: 'istio-proxy', doc: FIELD_DOCS['istio-proxy']!, range: rangeOfNode(c.nameNode) };
    if (c.preStop) {
      const t = pairTarget(c.preStop.pair, offset, `preStop of \`${c.name ?? 'container'}\``, FIELD_DOCS.preStop! + (c.preStop.duration ? ` This one takes ${c.preStop.duration.exact ? '' : 'at least '}${formatDuration(c.preStop.duration.seconds)}.` : ''));
      if (t && isScalar(c.preStop.pair.key) && inRange(offset, c.preStop.pair.key as Node)) return t;
      if (c.preStop.duration && inRange(offset, c.preStop.duration.node)) return { title: `preStop of \`${c.name ?? 'container'}\``, doc: FIELD_DOCS.preStop!, range: rangeOfNode(c.preStop.duration.node) };
    }
    if (c.lifecyclePair && inRange(offset, c.lifecyclePair.key as Node)) return { title: `lifecycle of \`${c.name ?? 'container'}\``, doc: FIELD_DOCS.lifecycle!, range: rangeOfNode(c.lifecyclePair.key as Node) };
  }
  return undefined;
}
