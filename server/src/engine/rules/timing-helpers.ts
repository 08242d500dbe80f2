/**
 * Helpers shared by the timing rules (app-outlives-sidecar, default-drain-too-short,
 * non-positive-drain, drain-setting-ignored): setting the drain without writing a second
 * spelling of its key, the drain fix that raises the grace period with it, the native-sidecar
 * fix with the guards that keep it from doing harm, and removing the drain from the
 * annotation while leaving every other byte alone.
 */
import { isScalar, type Node, type Pair } from 'yaml';
import { formatDuration } from '../duration';
import type { PodAnalysis } from '../model/effective';
import { compareVersion } from '../settings';
import type { Fix, TextEdit } from '../types';
import { removePairLines } from '../yaml/edits';
import { innerEdit } from '../yaml/scalar-source';
import { drainEdit, drainValue, graceEditIfNeeded, nativeSidecarEdit, proxyConfigFieldEdit } from './fixes';
import type { RuleContext } from './rule';

/**
 * Set `terminationDrainDuration` to `seconds`. When the annotation already spells the key
 * `termination_drain_duration`, that entry is edited in place: adding the camelCase key next
 * to it would leave two values for one field.
 */
export function setDrainEdit(text: string, pa: PodAnalysis, seconds: number): TextEdit | undefined {
  const field = pa.proxyConfig?.drainField;
  if (!field || field.key === 'terminationDrainDuration') return drainEdit(text, pa, seconds);
  const d = drainValue(seconds);
  return d === undefined ? undefined : proxyConfigFieldEdit(text, pa, field.key, d, `"${d}"`);
}

/**
 * The fix that sets the drain to `seconds` and, when the classic sidecar's preStop plus that
 * drain would no longer fit, raises the grace period in the same fix (so the fix never trades
 * one finding for a drain-exceeds-grace error). Undefined when no safe edit exists, or when
 * the grace period would have to grow on a Knative pod, whose grace period the controller
 * derives from the revision timeout.
 */
export function drainFix(ctx: RuleContext, pa: PodAnalysis, seconds: number, title: string, preferred: boolean): Fix | undefined {
  const d = setDrainEdit(ctx.text, pa, seconds);
  if (!d) return undefined;
  const g = graceEditIfNeeded(ctx.text, pa, seconds, ctx.margin);
  if (g && !g.edit) return undefined;
  const fix: Fix = g?.edit
    ? { title: `${title} and raise terminationGracePeriodSeconds to ${g.seconds}`, edits: [d, g.edit] }
    : { title, edits: [d] };
  if (preferred) fix.preferred = true;
  return fix;
}

/**
 * The fix that switches the pod to a native sidecar, or undefined when it would not work or
 * could do harm: the configured Istio is older than 1.24 (the annotation is ignored there) or
 * Kubernetes older than 1.29 (no `SidecarContainers` by default), or the pod declares its own
 * `istio-proxy` preStop, which replaces (exec) or clashes with (sleep, httpGet: two handler
 * types) the drain preStop that native mode injects (istio-facts.md §6), or the pod is a
 * gateway (the gateway template runs the proxy as the workload, not as a sidecar).
 */
export function nativeFix(ctx: RuleContext, pa: PodAnalysis): Fix | undefined {
  if (pa.proxyPreStop.hook || pa.gateway) return undefined;
  const istio = compareVersion(ctx.settings.istioVersion, 1, 24);
  if (istio !== undefined && istio < 0) return undefined;
  const k8s = compareVersion(ctx.settings.kubernetesVersion, 1, 29);
  if (k8s !== undefined && k8s < 0) return undefined;
  const e = nativeSidecarEdit(ctx.text, pa);
  if (!e) return undefined;
  return { title: 'Run istio-proxy as a native sidecar (sidecar.istio.io/nativeSidecar: "true"; needs Istio 1.24+ and Kubernetes 1.29+)', edits: [e] };
}

/**
 * The edit that removes `terminationDrainDuration` from the pod's `proxy.istio.io/config`:
 * its line in a block mapping, its entry and one comma in a flow (JSON) mapping, and the whole
 * annotation when it is the only field (the whole `annotations:` key when it is also the only
 * annotation). Undefined when the annotation is not cleanly editable.
 */
export function removeDrainEdit(text: string, pa: PodAnalysis): TextEdit | undefined {
  const pc = pa.proxyConfig;
  const field = pc?.drainField;
  const src = pc?.src;
  const root = pc?.root;
  if (!pc || !field || !src || !src.exact || !root) return undefined;
  if (pc.problems.some((p) => p.kind === 'not-yaml' || p.kind === 'not-mapping' || p.kind === 'not-string')) return undefined;
  const items = root.items as Pair[];
  const idx = items.indexOf(field.pair);
  if (idx < 0) return undefined;
  if (items.length === 1) return removeAnnotation(text, pa);
  const keyStart = (field.pair.key as Node | null)?.range?.[0];
  const valueEnd = (field.pair.value as Node | null)?.range?.[1] ?? (field.pair.key as Node | null)?.range?.[1];
  if (keyStart === undefined || valueEnd === undefined) return undefined;
  const v = src.value;
  let start: number;
  let end: number;
  if (root.flow) {
    const next = items[idx + 1];
    const prev = items[idx - 1];
    const nextKey = (next?.key as Node | null | undefined)?.range?.[0];
    const prevEnd = (prev?.value as Node | null | undefined)?.range?.[1] ?? (prev?.key as Node | null | undefined)?.range?.[1];
    if (nextKey !== undefined) {
      // `"terminationDrainDuration": "5s", "next": ...`: the entry, its comma and the space after it.
      start = keyStart;
      end = nextKey;
    } else if (prevEnd !== undefined) {
      // The last entry: the comma before it goes with it.
      start = prevEnd;
      end = valueEnd;
    } else return undefined;
  } else {
    // A block mapping: the whole line, when the entry has it to itself (a trailing comment goes too).
    const ls = v.lastIndexOf('\n', keyStart - 1) + 1;
    if (v.slice(ls, keyStart).trim() !== '') return undefined;
    let le = v.indexOf('\n', valueEnd);
    if (le < 0) le = v.length;
    const rest = v.slice(valueEnd, le).trim();
    if (rest !== '' && !rest.startsWith('#')) return undefined;
    if (ls > 0) {
      // The line break before the line and the line itself, so nothing is left behind.
      start = ls - 1;
      end = le;
    } else {
      // The first line: the line and its break; the next line moves up into its place.
      start = 0;
      end = le < v.length ? le + 1 : le;
    }
  }
  const e = innerEdit(text, src, start, end, '');
  return e && { start: e.start, end: e.end, newText: e.newText };
}

/** Remove the `proxy.istio.io/config` pair (or `annotations:` itself when it holds nothing else). */
function removeAnnotation(text: string, pa: PodAnalysis): TextEdit | undefined {
  const map = pa.pod.annotations;
  const pair = pa.proxyConfig?.pair;
  if (!map || !pair) return undefined;
  if (map.items.length === 1 && pa.pod.metadata && pa.pod.annotationsPair) {
    const whole = removePairLines(text, pa.pod.metadata, pa.pod.annotationsPair);
    if (whole) return whole;
  }
  return removePairLines(text, map, pair);
}

/** A duration as written in the annotation (for messages), falling back to the formatted seconds. */
export function writtenDrain(pa: PodAnalysis): string {
  const f = pa.proxyConfig?.drainField;
  const n = f?.valueNode.node;
  if (f && isScalar(n) && typeof n.value === 'string') return n.value;
  return formatDuration(pa.drain.value ?? 0);
}
