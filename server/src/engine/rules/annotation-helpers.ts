/**
 * Shared pieces of the "proxy config and annotations" rules: which annotation names are
 * pod-scoped Istio annotations, and the text edits that move an annotation pair from one
 * mapping to another (or out of `proxy.istio.io/config`) while keeping its source text,
 * quoting, comments and the indentation of its new home.
 */
import { isAlias, isMap, isPair, isScalar, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { PodAnalysis } from '../model/effective';
import type { ParsedProxyConfig, ProxyConfigField } from '../model/proxy-config';
import type { Range, TextEdit } from '../types';
import { columnOf, eolOf, indentStep, lineEndOf, lineStartOf, removePairLines, isJsonMap, jsonValue } from '../yaml/edits';
import { pairOf } from '../yaml/nodes';
import { innerEdit, type ScalarSource } from '../yaml/scalar-source';

/**
 * Istio annotations that only mean something on a pod (api annotation/annotations.yaml lists
 * them for resource type Pod): `proxy.istio.io/*`, `sidecar.istio.io/*`, `inject.istio.io/*`,
 * `<anything>.sidecar.istio.io/*` (status port, readiness probe, traffic interception) and
 * `prometheus.istio.io/merge-metrics`. `networking.istio.io/*` is left out on purpose: its one
 * annotation, `exportTo`, belongs on Services.
 */
export function isPodIstioAnnotation(name: string): boolean {
  return (
    /^(proxy|sidecar|inject)\.istio\.io\/./.test(name) ||
    /^[a-z0-9.-]+\.sidecar\.istio\.io\/./.test(name) ||
    name === 'prometheus.istio.io/merge-metrics'
  );
}

/** A pair's source text, ready to be written somewhere else at another indentation. */
export interface MovedPair {
  /** The lines of `key: value  # comment`, the first starting at the key; later lines keep their absolute indentation. */
  lines: string[];
  /** Column of the key in the source. */
  col: number;
  /** True when the pair is one line (it can go into a flow mapping). */
  oneLine: boolean;
}

/** The source text of a block-mapping pair from its key to the end of its value's last line (a trailing comment included). */
export function pairText(text: string, pair: Pair): MovedPair | undefined {
  const k = (pair.key as Node | null)?.range;
  if (!k) return undefined;
  const v = (pair.value as Node | null)?.range ?? k;
  const last = Math.max(v[0], v[1] - (v[1] > v[0] ? 1 : 0));
  let end = lineEndOf(text, last);
  if (end > k[0] && text[end - 1] === '\r') end--;
  // Keep a trailing comment, but not what follows the value in a flow mapping (`, other: x}`).
  if (v[1] > k[0] && v[1] <= end && !/^\s*(#.*)?$/.test(text.slice(v[1], end))) end = v[1];
  const src = text.slice(k[0], end);
  const lines = src.split('\n');
  return { lines, col: columnOf(text, k[0]), oneLine: lines.length === 1 };
}

/** A one-line pair written fresh: `key: value`. */
export function freshPair(key: string, value: string): MovedPair {
  return { lines: [`${key}: ${value}`], col: 0, oneLine: true };
}

/** Render a moved pair at column `col` (lines after the first shifted by the column change), joined with `eol`. Undefined when a line cannot be shifted left. */
export function renderAt(m: MovedPair, col: number, eol: string): string | undefined {
  const delta = col - m.col;
  const out: string[] = [];
  for (const [i, raw] of m.lines.entries()) {
    const line = raw.replace(/\r$/, '');
    if (i === 0 || line.trim() === '') {
      out.push(i === 0 ? line : '');
      continue;
    }
    if (delta >= 0) out.push(' '.repeat(delta) + line);
    else {
      const lead = /^ */.exec(line)![0].length;
      if (lead < -delta) return undefined;
      out.push(line.slice(-delta));
    }
  }
  return out.join(eol);
}

/**
 * The edits that remove `pair` from `map` (a block or flow mapping). When it is the map's only
 * entry and `holder` is the pair whose value is the map (`annotations:`), that key goes too:
 * an `annotations:` left with nothing would read as null. Comment lines stay where they are.
 */
export function removeEntry(text: string, map: YAMLMap, pair: Pair, holder?: Pair): TextEdit[] | undefined {
  if (map.flow) {
    const i = map.items.indexOf(pair as Pair<unknown, unknown>);
    if (i < 0) return undefined;
    if (map.items.length === 1) {
      const r = map.range;
      return r ? [{ start: r[0], end: r[1], newText: '{}' }] : undefined;
    }
    const next = map.items[i + 1];
    const prev = map.items[i - 1];
    const kStart = (pair.key as Node | null)?.range?.[0];
    const vEnd = itemEnd(pair);
    if (kStart === undefined || vEnd === undefined) return undefined;
    if (next) {
      const nStart = (next.key as Node | null)?.range?.[0];
      return nStart === undefined ? undefined : [{ start: kStart, end: nStart, newText: '' }];
    }
    const pEnd = prev ? itemEnd(prev) : undefined;
    return pEnd === undefined ? undefined : [{ start: pEnd, end: vEnd, newText: '' }];
  }
  const own = removePairLines(text, map, pair);
  if (!own) return undefined;
  if (map.items.length > 1 || !holder) return [own];
  const hk = (holder.key as Node | null)?.range;
  if (!hk) return undefined;
  const ls = lineStartOf(text, hk[0]);
  if (text.slice(ls, hk[0]).trim() !== '') return [own]; // `- annotations:`: leave the key, it is not alone on its line
  let le = lineEndOf(text, hk[1]);
  if (text[le] === '\r') le++;
  if (text[le] === '\n') le++;
  if (le > own.start) return undefined;
  if (le === own.start) return [{ start: ls, end: own.end, newText: '' }];
  return [{ start: ls, end: le, newText: '' }, own];
}

function itemEnd(pair: Pair): number | undefined {
  const v = (pair.value as Node | null)?.range ?? (pair.key as Node | null)?.range;
  return v?.[1];
}

/**
 * The edit that adds a pair to the pod template's `metadata.annotations` or `metadata.labels`,
 * creating the map (and `metadata`) when missing; undefined when no safe edit exists (aliases,
 * a multi-line value going into a flow mapping).
 */
export function insertIntoPodMap(text: string, pa: PodAnalysis, which: 'annotations' | 'labels', moved: MovedPair): TextEdit | undefined {
  const pod = pa.pod;
  const eol = eolOf(text);
  const metadataPair = pod.metadataPair;
  const metadata = pod.metadata;
  const holder = pairOf(metadata, which);
  if (holder && isAlias(holder.value)) return undefined;
  const map = holder && isMap(holder.value) ? holder.value : undefined;
  if (map) {
    if (map.anchor) return undefined; // other places alias this map
    if (map.flow) return flowInsert(text, map, moved);
    const at = (map.items[0]?.key as Node | undefined)?.range?.[0];
    if (at === undefined) return undefined;
    const col = columnOf(text, at);
    const body = renderAt(moved, col, eol);
    return body === undefined ? undefined : { start: at, end: at, newText: body + eol + ' '.repeat(col) };
  }
  if (holder) {
    // `annotations:` with nothing after it (or only a comment), or an explicit null.
    const v = holder.value;
    const hk = (holder.key as Node).range;
    if (!hk) return undefined;
    if (isScalar(v) && v.value !== null) return undefined;
    const sr = (v as Scalar | null)?.range;
    if (sr && sr[1] > sr[0]) {
      const flow = moved.oneLine ? flowMapText(`{${moved.lines[0]}}`, isJsonMap(text, metadata!)) : undefined;
      return flow === undefined ? undefined : { start: sr[0], end: sr[1], newText: flow };
    }
    const col = columnOf(text, hk[0]) + indentStep(text, metadataPair, metadata);
    const body = renderAt(moved, col, eol);
    const end = lineEndOf(text, hk[1]);
    return body === undefined ? undefined : { start: end, end, newText: eol + ' '.repeat(col) + body };
  }
  if (metadataPair) {
    if (!metadata || metadata.anchor || isAlias(metadataPair.value)) return undefined;
    if (metadata.flow) {
      if (!moved.oneLine) return undefined;
      const r = metadata.range;
      const open = r ? text.indexOf('{', r[0]) : -1;
      if (!r || open < 0 || open >= r[1]) return undefined;
      const json = isJsonMap(text, metadata);
      const flow = flowMapText(`{${moved.lines[0]}}`, json);
      if (flow === undefined) return undefined;
      return { start: open + 1, end: open + 1, newText: `${json ? JSON.stringify(which) : which}: ${flow}${metadata.items.length > 0 ? ', ' : ''}` };
    }
    const at = (metadata.items[0]?.key as Node | undefined)?.range?.[0];
    if (at === undefined) return undefined;
    const col = columnOf(text, at);
    const step = indentStep(text, metadataPair, metadata);
    const body = renderAt(moved, col + step, eol);
    return body === undefined ? undefined : { start: at, end: at, newText: `${which}:${eol}${' '.repeat(col + step)}${body}${eol}${' '.repeat(col)}` };
  }
  // No `metadata:` in the template at all.
  const template = pod.template;
  if (template.flow || template.anchor) return undefined;
  const at = (template.items[0]?.key as Node | undefined)?.range?.[0];
  if (at === undefined) return undefined;
  const col = columnOf(text, at);
  const step = pod.templatePair ? indentStep(text, pod.templatePair, template) : 2;
  const body = renderAt(moved, col + 2 * step, eol);
  if (body === undefined) return undefined;
  return { start: at, end: at, newText: `metadata:${eol}${' '.repeat(col + step)}${which}:${eol}${' '.repeat(col + 2 * step)}${body}${eol}${' '.repeat(col)}` };
}

function flowInsert(text: string, map: YAMLMap, moved: MovedPair): TextEdit | undefined {
  if (!moved.oneLine) return undefined;
  const r = map.range;
  if (!r) return undefined;
  const open = text.indexOf('{', r[0]);
  if (open < 0 || open >= r[1]) return undefined;
  const flow = flowMapText(`{${moved.lines[0]}}`, isJsonMap(text, map));
  if (flow === undefined) return undefined;
  const entry = flow.slice(1, -1);
  return { start: open + 1, end: open + 1, newText: map.items.length > 0 ? `${entry}, ` : entry };
}

/** A one-line flow mapping as written, or as JSON when it goes into JSON (kubectl reads such a document as JSON). */
function flowMapText(flow: string, json: boolean): string | undefined {
  if (!json) return flow;
  const v = jsonValue(flow);
  return v && v.startsWith('{') ? v : undefined;
}

/** A scalar value as a quoted YAML string: its own quoted text when already quoted, else JSON. */
export function quotedValue(text: string, node: unknown): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  const r = node.range;
  if (r && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && !text.slice(r[0], r[1]).includes('\n')) return text.slice(r[0], r[1]);
  const s = typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
  return JSON.stringify(s);
}

/** The inner range (offsets into the annotation string) of an outer range, when the map is exact. */
export function innerRangeOf(src: ScalarSource, outer: Range): Range | undefined {
  if (!src.exact) return undefined;
  const s = src.offsets.indexOf(outer.start);
  if (s < 0) return undefined;
  let e = -1;
  for (let i = s; i < src.offsets.length; i++) {
    if (src.offsets[i] === outer.end) {
      e = i;
      break;
    }
    if ((src.offsets[i] ?? Infinity) > outer.end) break;
  }
  return e < 0 ? undefined : { start: s, end: e };
}

/** An edit inside the annotation string replacing inner [start, end) with `newInner`. */
export function innerReplace(text: string, pc: ParsedProxyConfig, start: number, end: number, newInner: string): TextEdit | undefined {
  if (!pc.src) return undefined;
  const e = innerEdit(text, pc.src, start, end, newInner);
  return e && { start: e.start, end: e.end, newText: e.newText };
}

/**
 * The edit that removes one top-level field from the annotation's ProxyConfig mapping: its
 * line in a block mapping, or the entry and one comma in a flow (JSON) mapping.
 */
export function removeInnerField(text: string, pc: ParsedProxyConfig, field: ProxyConfigField): TextEdit | undefined {
  const root = pc.root;
  const src = pc.src;
  if (!root || !src) return undefined;
  const items = root.items.filter(isPair);
  const i = items.indexOf(field.pair as Pair<unknown, unknown>);
  if (i < 0) return undefined;
  const kStart = field.keyNode.inner.start;
  const vEnd = Math.max(field.valueNode.inner.end, field.keyNode.inner.end);
  const v = src.value;
  if (root.flow) {
    const next = items[i + 1];
    if (next) {
      const nStart = (next.key as Node | null)?.range?.[0];
      return nStart === undefined ? undefined : innerReplace(text, pc, kStart, nStart, '');
    }
    const prev = items[i - 1];
    if (!prev) {
      // The only entry: leave `{}` (open brace to close brace).
      const open = v.lastIndexOf('{', kStart);
      const close = v.indexOf('}', vEnd);
      return open < 0 || close < 0 ? undefined : innerReplace(text, pc, open + 1, close, '');
    }
    const pEnd = itemEnd(prev);
    return pEnd === undefined ? undefined : innerReplace(text, pc, pEnd, vEnd, '');
  }
  let ls = kStart;
  while (ls > 0 && v[ls - 1] !== '\n') ls--;
  if (v.slice(ls, kStart).trim() !== '') return undefined;
  let le = vEnd;
  while (le < v.length && v[le] !== '\n') le++;
  // Take the line break before the line (a continuation line's indentation belongs to it);
  // the first line takes the break after it instead.
  if (ls > 0) return innerReplace(text, pc, ls - 1, le, '');
  return innerReplace(text, pc, 0, Math.min(le + 1, v.length), '');
}
