/**
 * Small accessors over the `yaml` package's node tree. Rules and the model navigate with
 * these instead of `toJS()`, so every value keeps its source range. Aliases are resolved
 * one step (to the anchored node), which is cheap and cannot expand an alias bomb.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Range } from '../types';

/** A pair whose key is a scalar. */
export type KeyedPair = Pair<Scalar, unknown>;

/** Follow an alias to its anchored node (one step; the yaml library forbids alias cycles). */
export function deref(doc: Document | undefined, node: unknown): unknown {
  if (doc && isAlias(node)) {
    try {
      return node.resolve(doc) ?? undefined;
    } catch {
      return undefined;
    }
  }
  return node;
}

/** The key of a pair as a string, when it is a scalar. */
export function keyOf(pair: Pair): string | undefined {
  const k = pair.key;
  if (isScalar(k)) {
    const v = k.value;
    if (typeof v === 'string') return v;
    if (v === null || v === undefined) return k.source ?? '';
    return String(v);
  }
  return undefined;
}

/** The pair with this key in a map, or undefined. Last one wins, as in go-yaml. */
export function pairOf(map: YAMLMap | undefined | null, key: string): KeyedPair | undefined {
  if (!map) return undefined;
  let found: KeyedPair | undefined;
  for (const item of map.items) {
    if (isPair(item) && keyOf(item) === key) found = item as KeyedPair;
  }
  return found;
}

/** The value of `key` in `map` if it is a map. */
export function mapAt(doc: Document | undefined, map: YAMLMap | undefined | null, key: string): YAMLMap | undefined {
  const v = deref(doc, pairOf(map, key)?.value);
  return isMap(v) ? v : undefined;
}

/** The value of `key` in `map` if it is a sequence. */
export function seqAt(doc: Document | undefined, map: YAMLMap | undefined | null, key: string): YAMLSeq | undefined {
  const v = deref(doc, pairOf(map, key)?.value);
  return isSeq(v) ? v : undefined;
}

/** The value of `key` in `map` if it is a scalar. */
export function scalarAt(doc: Document | undefined, map: YAMLMap | undefined | null, key: string): Scalar | undefined {
  const v = deref(doc, pairOf(map, key)?.value);
  return isScalar(v) ? v : undefined;
}

/** The string value of `key` in `map` (scalars of any type are stringified; null -> undefined). */
export function stringAt(doc: Document | undefined, map: YAMLMap | undefined | null, key: string): string | undefined {
  const s = scalarAt(doc, map, key);
  if (!s || s.value === null || s.value === undefined) return undefined;
  return typeof s.value === 'string' ? s.value : String(s.value);
}

/** Follow a path of map keys. */
export function mapPath(doc: Document | undefined, map: YAMLMap | undefined | null, path: readonly string[]): YAMLMap | undefined {
  let cur: YAMLMap | undefined = map ?? undefined;
  for (const k of path) {
    cur = mapAt(doc, cur, k);
    if (!cur) return undefined;
  }
  return cur;
}

/** The range a node's value covers (`[start, valueEnd)`), or undefined without one. */
export function rangeOf(node: unknown): Range | undefined {
  const r = (node as Node | undefined)?.range;
  if (!r) return undefined;
  return { start: r[0], end: r[1] };
}

/** The range of a pair's key. */
export function keyRange(pair: Pair): Range | undefined {
  return rangeOf(pair.key);
}

/** The maps of a sequence (skipping other items), with aliases resolved. */
export function mapsOf(doc: Document | undefined, seq: YAMLSeq | undefined): YAMLMap[] {
  if (!seq) return [];
  const out: YAMLMap[] = [];
  for (const item of seq.items) {
    const v = deref(doc, item);
    if (isMap(v)) out.push(v);
  }
  return out;
}

/** The strings of a sequence of scalars, with their nodes; non-scalars give undefined entries. */
export function stringsOf(doc: Document | undefined, seq: YAMLSeq | undefined): { value: string; node: Scalar }[] {
  if (!seq) return [];
  const out: { value: string; node: Scalar }[] = [];
  for (const item of seq.items) {
    const v = deref(doc, item);
    if (isScalar(v) && v.value !== null && v.value !== undefined) out.push({ value: String(v.value), node: v });
  }
  return out;
}

/** Whether a scalar was written without quotes or block indicators. */
export function isPlain(node: Scalar): boolean {
  return node.type === 'PLAIN' || node.type === undefined;
}

/** The source text of a plain scalar as written (the yaml library keeps it in `source`). */
export function plainSource(text: string, node: Scalar): string {
  const r = node.range;
  if (r) return text.slice(r[0], r[1]);
  return node.source ?? String(node.value);
}

/** Where a node's content ends: the end of its last scalar, not of the trailing comments and line breaks a block collection's range runs on over. */
export function contentEnd(node: unknown): number | undefined {
  if (isScalar(node) || isAlias(node)) return node.range?.[1];
  if (isMap(node) || isSeq(node)) {
    if (node.flow) return node.range?.[1];
    const last = node.items[node.items.length - 1] as unknown;
    if (last === undefined) return node.range?.[1];
    if (isPair(last)) return contentEnd(last.value ?? last.key);
    return contentEnd(last);
  }
  return undefined;
}
