/**
 * Key checks over a parsed document, in linear time. The `yaml` package's own `uniqueKeys`
 * check compares each new key with every earlier key of its mapping, which is quadratic: a
 * hostile 50,000-key mapping took minutes. Parsers here pass `uniqueKeys: true` as the request
 * and parse with `parseOptions` (the package's check off), then `addDuplicateKeyErrors` adds the
 * same errors (same code, message and position) with one set per mapping.
 *
 * `mergeKeyOf` finds a YAML 1.1 merge key (`<<`): Kubernetes' YAML decoder resolves merge keys,
 * this engine does not, so a document with one is not analysed rather than misread.
 */
import { isMap, isPair, isScalar, isSeq, YAMLParseError, type Document, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { Range } from '../types';

/** Options to parse with: `uniqueKeys: true` (the package's default) is left to `addDuplicateKeyErrors`. */
export function parseOptions<T extends object>(options: T): T {
  return wantsUniqueKeys(options) ? { ...options, uniqueKeys: false } : options;
}

/** Whether the options ask for the duplicate-key check (explicitly or by default) that `parseOptions` takes out. */
export function wantsUniqueKeys(options: object): boolean {
  const u = (options as { uniqueKeys?: unknown }).uniqueKeys;
  return u === true || u === undefined;
}

/** Every mapping of a document, without recursion (deep nesting must not overflow the stack). */
function forEachMap(doc: Document, f: (map: YAMLMap) => void): void {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isMap(n)) {
      f(n);
      for (const item of n.items) stack.push(item.key, item.value);
    } else if (isSeq(n)) {
      for (const item of n.items) stack.push(item);
    } else if (isPair(n)) stack.push(n.key, n.value);
  }
}

/**
 * Add a "Map keys must be unique" error for every repeated scalar key, as the `yaml` package
 * would with `uniqueKeys: true` (scalar keys are equal when their values are; other keys never
 * are). Errors stay sorted by position.
 */
export function addDuplicateKeyErrors(doc: Document.Parsed): void {
  let added = false;
  forEachMap(doc, (map) => {
    if (map.items.length < 2) return;
    const seen = new Set<unknown>();
    for (const item of map.items) {
      const k = item.key;
      if (!isScalar(k)) continue;
      const v = (k as Scalar).value;
      if (typeof v === 'number' && Number.isNaN(v)) continue; // NaN !== NaN for the yaml package too
      if (seen.has(v)) {
        const at = (k as Node).range?.[0] ?? 0;
        doc.errors.push(new YAMLParseError([at, at + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
        added = true;
      } else seen.add(v);
    }
  });
  if (added) doc.errors.sort((a, b) => a.pos[0] - b.pos[0]);
}

/** The range of the first merge key (a plain `<<` key) of a document, if any. */
export function mergeKeyOf(doc: Document): Range | undefined {
  let found: Range | undefined;
  forEachMap(doc, (map) => {
    if (found) return;
    for (const item of map.items) {
      const k = item.key;
      if (isScalar(k) && k.value === '<<' && (k.type === 'PLAIN' || k.type === undefined) && k.range) {
        found = { start: k.range[0], end: k.range[1] };
        return;
      }
    }
  });
  return found;
}
