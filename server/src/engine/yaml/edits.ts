/**
 * Minimal text edits on YAML source: replace a value, insert a key into a mapping with the
 * indentation of its siblings, or create a missing path of mappings. Fixes never re-render
 * a document through the YAML library (that would lose comments and formatting); they
 * splice text, so everything they do not touch stays byte-identical.
 */
import { isAlias, isCollection, isMap, isScalar, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { TextEdit } from '../types';
import { contentEnd, deref, pairOf } from './nodes';

/** The line ending a file uses ("\r\n" when its first line break is CRLF). */
export function eolOf(text: string): string {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

/** Offset of the start of the line holding `offset`. */
export function lineStartOf(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && text[i - 1] !== '\n' && text[i - 1] !== '\r') i--;
  return i;
}

/** Offset of the end of the line holding `offset` (before its line break). */
export function lineEndOf(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
  return i;
}

/** Column (in characters) of an offset. */
export function columnOf(text: string, offset: number): number {
  return offset - lineStartOf(text, offset);
}

/** The indentation step a document uses (a block map's child column minus its parent's), 2 when unknown. */
export function indentStep(text: string, parent: Pair | undefined, child: YAMLMap | undefined): number {
  const pk = (parent?.key as Node | undefined)?.range?.[0];
  const first = child && !child.flow ? (child.items[0]?.key as Node | undefined)?.range?.[0] : undefined;
  if (pk !== undefined && first !== undefined) {
    const d = columnOf(text, first) - columnOf(text, pk);
    if (d > 0 && d <= 8) return d;
  }
  return 2;
}

/** Replace a node's value range with new text. */
export function replaceNode(node: Node, newText: string): TextEdit | undefined {
  const r = node.range;
  if (!r) return undefined;
  return { start: r[0], end: r[1], newText };
}

/**
 * Replace a mapping's value in place with one-line YAML: a scalar, an alias or a flow
 * collection (a block collection spans lines of its own: undefined). A block scalar's range
 * ends after its last line break, which is kept (found by the fuzzer: an empty `>-` replaced by
 * `""` pulled the next line up onto the key). An empty value (`key:`) gets a space after the
 * colon and before a comment; one that carries an anchor or a tag is not touched.
 */
export function replaceValue(text: string, node: unknown, newText: string): TextEdit | undefined {
  if (!isScalar(node) && !isAlias(node) && !(isCollection(node) && node.flow)) return undefined;
  const r = (node as Node).range;
  if (!r || r[1] < r[0]) return undefined;
  if (isScalar(node) && r[0] === r[1]) {
    if (node.anchor || node.tag) return undefined;
    const before = text[r[0] - 1] === ':' ? ' ' : '';
    const after = text[r[0]] === '#' ? ' ' : '';
    return { start: r[0], end: r[1], newText: before + newText + after };
  }
  if (isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')) {
    const eol = /(\r\n|\n|\r)$/.exec(text.slice(r[0], r[1]))?.[1] ?? '';
    return { start: r[0], end: r[1], newText: newText + eol };
  }
  return { start: r[0], end: r[1], newText };
}

/** A pair's whole extent including its line (for removing it), when it sits on lines of its own. */
export function removePairLines(text: string, map: YAMLMap, pair: Pair): TextEdit | undefined {
  if (map.flow) return undefined;
  const k = (pair.key as Node | undefined)?.range;
  const v = (pair.value as Node | undefined)?.range ?? k;
  if (!k || !v) return undefined;
  const start = lineStartOf(text, k[0]);
  if (text.slice(start, k[0]).trim() !== '') return undefined; // "- key: value": not alone on its line
  let end = lineEndOf(text, Math.max(v[1], v[0]) - (v[1] > v[0] ? 1 : 0));
  if (text[end] === '\r') end++;
  if (text[end] === '\n') end++;
  // Comment lines inside the removed pair stay as they are (not the content of a block scalar).
  const blockScalar = isScalar(pair.value) && (pair.value.type === 'BLOCK_LITERAL' || pair.value.type === 'BLOCK_FOLDED');
  const kept = blockScalar
    ? []
    : text
        .slice(start, end)
        .split(/(?<=\n)/)
        .filter((l) => l.trimStart().startsWith('#'));
  return { start, end, newText: kept.join('') };
}



/**
 * Insert `key: value` into a mapping. `value` is one line of YAML that is valid in block and
 * flow context (quote strings that need it), or `block` lines for a block scalar or nested map,
 * written relative to the new key's indentation (they get key column + step spaces).
 */
export function insertPair(text: string, map: YAMLMap, key: string, value: string, block?: string[], step = 2): TextEdit | undefined {
  const eol = eolOf(text);
  if (map.flow) {
    // A block scalar or nested lines cannot go into a flow mapping; callers offer a one-line form.
    if (block) return undefined;
    const r = map.range;
    if (!r) return undefined;
    const open = text.indexOf('{', r[0]);
    if (open < 0 || open >= r[1]) return undefined;
    const empty = map.items.length === 0;
    // In JSON (kubectl reads a document that starts with `{` as JSON) the pair must be JSON too.
    const json = isJsonMap(text, map);
    const k = json ? JSON.stringify(key) : key;
    const v = json ? jsonValue(value) : value;
    if (v === undefined) return undefined;
    return { start: open + 1, end: open + 1, newText: empty ? `${k}: ${v}` : `${k}: ${v}, ` };
  }
  const first = map.items[0];
  const at = (first?.key as Node | undefined)?.range?.[0];
  if (at === undefined) return undefined;
  const col = columnOf(text, at);
  const pad = ' '.repeat(col);
  const lines = block ? block.map((l) => (l === '' ? '' : ' '.repeat(col + step) + l)) : [];
  const head = block ? `${key}: ${value}` : `${key}: ${value}`;
  return { start: at, end: at, newText: [head, ...lines].join(eol) + eol + pad };
}

/**
 * Set `path` (a chain of mapping keys below `map`, the last one a scalar key) to `value`,
 * creating the mappings that are missing. Existing values at the path are replaced.
 * `block` as in `insertPair`. Returns undefined when the path crosses a non-mapping.
 */
export function setPath(
  text: string,
  doc: Document,
  map: YAMLMap,
  path: readonly string[],
  value: string,
  block?: string[],
  step = 2,
): TextEdit | undefined {
  const eol = eolOf(text);
  let cur = map;
  let parentPair: Pair | undefined;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const last = i === path.length - 1;
    const pair = pairOf(cur, key);
    if (!pair) {
      // Build the rest of the path as nested lines under a new key.
      const rest = path.slice(i + 1);
      if (rest.length === 0) return insertPair(text, cur, key, value, block, step);
      const nested: string[] = [];
      rest.forEach((k, j) => {
        const indent = ' '.repeat(step * j);
        if (j === rest.length - 1) {
          nested.push(`${indent}${k}: ${value}`);
          for (const l of block ?? []) nested.push(l === '' ? '' : indent + ' '.repeat(step) + l);
        } else nested.push(`${indent}${k}:`);
      });
      if (cur.flow) return block ? undefined : insertPair(text, cur, key, flowPath(rest, value));
      return insertPair(text, cur, key, '', nested, step) && fixEmptyHead(insertPair(text, cur, key, '', nested, step)!, key);
    }
    const v = deref(doc, pair.value);
    if (last) {
      if (isScalar(v) || isMap(v) || v === null || v === undefined) {
        const range = (v as Node | null | undefined)?.range;
        if (range && !(isScalar(v) && v.value === null && range[0] === range[1])) {
          const r = isMap(v) && !v.flow ? blockMapContent(text, v) : range;
          if (!r) return undefined;
          if (block) {
            const col = columnOf(text, (pair.key as Node).range![0]);
            return { start: r[0], end: r[1], newText: [value, ...block.map((l) => (l === '' ? '' : ' '.repeat(col + step) + l))].join(eol) };
          }
          if (isJsonMap(text, cur)) {
            const v = jsonValue(value);
            return v === undefined ? undefined : { start: r[0], end: r[1], newText: v };
          }
          return { start: r[0], end: r[1], newText: value };
        }
        // `key:` with nothing after it.
        const kEnd = (pair.key as Node).range![1];
        const colon = text.indexOf(':', kEnd);
        if (colon < 0) return undefined;
        const col = columnOf(text, (pair.key as Node).range![0]);
        if (block) return { start: colon + 1, end: colon + 1, newText: ' ' + [value, ...block.map((l) => (l === '' ? '' : ' '.repeat(col + step) + l))].join(eol) };
        return { start: colon + 1, end: colon + 1, newText: ' ' + value };
      }
      return undefined;
    }
    if (isMap(v)) {
      if (v.items.length === 0 && !v.flow) return undefined;
      parentPair = pair;
      step = indentStep(text, pair, v) || step;
      cur = v;
      continue;
    }
    if (v === null || v === undefined || (isScalar(v) && v.value === null)) {
      // `annotations:` with no value (or only a comment): add the rest below the key line.
      const keyNode = pair.key as Node;
      const col = columnOf(text, keyNode.range![0]);
      const rest = path.slice(i + 1);
      const lines: string[] = [];
      rest.forEach((k, j) => {
        const indent = ' '.repeat(col + step * (j + 1));
        if (j === rest.length - 1) {
          lines.push(`${indent}${k}: ${value}`);
          for (const l of block ?? []) lines.push(l === '' ? '' : indent + ' '.repeat(step) + l);
        } else lines.push(`${indent}${k}:`);
      });
      const sr = isScalar(v) ? v.range : undefined;
      if (sr && sr[1] > sr[0]) {
        // An explicit `~` or `null`: replace it with a flow mapping holding the rest.
        if (block) return undefined;
        const flow = isJsonMap(text, cur) ? jsonValue(flowPath(rest, value)) : flowPath(rest, value);
        return flow === undefined ? undefined : { start: sr[0], end: sr[1], newText: flow };
      }
      const end = lineEndOf(text, keyNode.range![1]);
      return { start: end, end, newText: eol + lines.join(eol) };
    }
    return undefined;
  }
  void parentPair;
  return undefined;
}

/**
 * The stretch of a block mapping to replace with a scalar: from its first key to the end of its
 * last value's content. The mapping's own range runs on over the line break and indentation of
 * the next key, so replacing it pulled that key onto the new value's line (found by the fuzzer:
 * `terminationGracePeriodSeconds:` holding a mapping). Undefined when the mapping carries an
 * anchor or a tag (aliases would read the new value) or holds comments (they would be lost).
 */
function blockMapContent(text: string, map: YAMLMap): [number, number] | undefined {
  const start = map.range?.[0];
  let end = contentEnd(map);
  if (start === undefined || end === undefined || end < start || map.anchor || map.tag) return undefined;
  // A block scalar's range ends after its last line break: keep that break.
  while (end > start && /[\r\n]/.test(text[end - 1]!)) end--;
  // Any comment (a line of its own or after a value; a `#` inside a quoted value errs on the safe side).
  if (/(^|\s)#/.test(text.slice(start, end))) return undefined;
  return [start, end];
}

function fixEmptyHead(edit: TextEdit, key: string): TextEdit {
  // insertPair wrote `key: ` followed by nested lines; drop the trailing space after the colon.
  return { ...edit, newText: edit.newText.replace(`${key}: `, `${key}:`) };
}

/**
 * Whether a flow mapping is written as JSON: its keys are double-quoted, or (empty) it is the
 * value of a double-quoted key. kubectl reads a document that starts with `{` as JSON, so an
 * edit there must keep it JSON.
 */
export function isJsonMap(text: string, map: YAMLMap): boolean {
  if (!map.flow) return false;
  if (map.items.length > 0) return map.items.every((p) => isScalar(p.key) && p.key.type === 'QUOTE_DOUBLE');
  const r = map.range;
  return r !== undefined && r !== null && /"[ \t]*:[ \t]*$/.test(text.slice(Math.max(0, r[0] - 200), r[0]));
}

/** A one-line YAML value as JSON (`50`, `45s` -> `"45s"`, `'yes'` -> `"yes"`), or undefined when it has no JSON form. */
export function jsonValue(value: string): string | undefined {
  if (/[\r\n]/.test(value) || value.trim() === '') return undefined;
  try {
    const d = parseDocument(value, { prettyErrors: false, uniqueKeys: false });
    if (d.errors.length > 0) return undefined;
    const js: unknown = d.toJS({ maxAliasCount: 0 });
    if (js === undefined || (typeof js === 'number' && !Number.isFinite(js))) return undefined;
    return JSON.stringify(js);
  } catch {
    return undefined;
  }
}

function flowPath(rest: readonly string[], value: string): string {
  let s = value;
  for (let j = rest.length - 1; j >= 0; j--) s = `{${rest[j]}: ${s}}`;
  return s;
}

/** Quote a string for YAML when it needs it (single quotes; JSON-ish text stays readable). */
export function yamlString(s: string): string {
  if (/^[A-Za-z0-9_./-]+$/.test(s) && !/^(y|n|yes|no|on|off|true|false|null|~|[-+]?[0-9].*)$/i.test(s)) return s;
  return `'${s.replace(/'/g, "''")}'`;
}
