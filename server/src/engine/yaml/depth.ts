/**
 * A nesting limit for everything the engine composes. The `yaml` package composes nested
 * collections recursively: past about 900 levels the stack overflows, and when the overflow
 * hits while V8 compiles one of the package's regular expressions the process aborts ("FATAL
 * ERROR: RegExpCompiler Allocation failed"), which no try/catch can stop: a 20 KB line of
 * `[[[[…` could take down the CLI or the language server. The package's CST parser, on the
 * other hand, is iterative, so the depth of each document is measured on its CST first and a
 * document nested deeper than `MAX_NESTING` is not composed: it comes back empty, with one
 * error, and is noted as not analysed. Real manifests nest a few dozen levels at most.
 */
import { Composer, parseDocument, Parser, YAMLParseError, type CST, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { fastOptions, fastParseDocument } from './fast-parse';

export const MAX_NESTING = 256;

const MESSAGE = `nested more than ${MAX_NESTING} levels deep`;

/** The deepest collection nesting under a CST token, and where it is; without recursion. */
export function nestingOf(token: CST.Token): { depth: number; at: number } {
  let depth = 0;
  let at = token.offset;
  const stack: [CST.Token, number][] = [[token, 0]];
  while (stack.length > 0) {
    const [t, d] = stack.pop()!;
    if (d > depth) {
      depth = d;
      at = t.offset;
      if (depth > MAX_NESTING) break;
    }
    switch (t.type) {
      case 'document':
        if (t.value) stack.push([t.value, d]);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        for (const item of t.items) {
          const i = item as { key?: CST.Token | null; value?: CST.Token };
          if (i.key) stack.push([i.key, d + 1]);
          if (i.value) stack.push([i.value, d + 1]);
        }
        break;
      case 'block-scalar':
        for (const p of t.props) stack.push([p, d]);
        break;
      default:
        break;
    }
  }
  return { depth, at };
}

/**
 * Compose a stream's CST tokens into documents, leaving out (empty, with an error) each
 * document nested deeper than `MAX_NESTING`.
 */
export function composeWithinLimit(tokens: Iterable<CST.Token>, composer: Composer, forceDoc = false, endOffset = -1, max = Infinity): Document.Parsed[] {
  const tooDeep = new Map<number, number>();
  function* guarded(): Generator<CST.Token> {
    for (const t of tokens) {
      if (t.type === 'document' && t.value) {
        const n = nestingOf(t);
        if (n.depth > MAX_NESTING) {
          tooDeep.set(t.offset, n.at);
          // An empty plain scalar where the content was: the document keeps its place and markers.
          yield { ...t, value: { type: 'scalar', offset: t.value.offset, indent: 0, source: '' } };
          continue;
        }
      }
      yield t;
    }
  }
  const docs: Document.Parsed[] = [];
  for (const d of composer.compose(guarded(), forceDoc, endOffset)) {
    docs.push(d);
    if (docs.length >= max) break;
  }
  if (tooDeep.size > 0)
    for (const d of docs) {
      const at = d.range ? tooDeep.get(d.range[0]) : undefined;
      if (at !== undefined) d.errors.unshift(new YAMLParseError([at, at + 1], 'IMPOSSIBLE', MESSAGE));
    }
  return docs;
}

/**
 * `parseDocument`, except that a text nested too deep gives an empty document with one error.
 * One pass: the CST is measured as it is composed (as `parseDocument` does it, a second
 * document is an error).
 */
export function parseDocumentWithinLimit(text: string, options: ParseOptions & DocumentOptions & SchemaOptions): Document.Parsed {
  // Plain documents with the fast path's own options (the annotation's and the mesh config's inner YAML) come out of it as the package makes them.
  if (fastOptions(options) && options.uniqueKeys === false) {
    const doc = fastParseDocument(text, 0);
    if (doc) return doc;
  }
  // As parseDocument: a second document is only an error, so composing stops there.
  const docs = composeWithinLimit(new Parser().parse(text), new Composer(options), true, text.length, 2);
  const doc = docs[0] ?? parseDocument('', options);
  const second = docs[1];
  if (second && doc.options.logLevel !== 'silent') doc.errors.push(new YAMLParseError([second.range[0], second.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
  return doc;
}
