/**
 * The fast paths (`model/prescan.ts`: analyse only the documents that can matter) against the
 * full parse: on every corpus file, fixture and sample, and on documents written to defeat a
 * line-based scan, the findings (with their fixes) are identical, in both modes; `every` (the
 * CLI's) also notes exactly the documents that do not parse; the documents that are parsed have
 * the same index, range and errors as in the full parse.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Composer, parseAllDocuments, Parser } from 'yaml';
import { analyzeFiles, describeSource, podOf, type FileInput, type FileResult } from '../server/src/engine/analyze';
import { podSummary } from '../server/src/engine/model/summary';
import { LineIndex } from '../server/src/engine/text';
import type { ValueSource } from '../server/src/engine/types';
import { parsedDocumentOf, parseFile, PARSE_OPTIONS, type ParsedDocument } from '../server/src/engine/model/documents';
import { composeWithinLimit } from '../server/src/engine/yaml/depth';
import { addDuplicateKeyErrors, parseOptions } from '../server/src/engine/yaml/unique-keys';
import { classifyDocument, parseEvery, parseRelevant } from '../server/src/engine/model/prescan';
import { sliceAround, splitDocuments } from '../server/src/engine/yaml/stream';
import { dedent, settings } from './helpers';

const REPO = join(__dirname, '..', '..');
const CORPUS = join(REPO, '..', 'shared', 'corpus');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.(ya?ml|tpl)$/.test(name)) out.push(p);
  }
  return out;
}

/** Findings (with fixes) and the notes other than "does not parse", as comparable text. */
function essence(results: FileResult[]): string {
  return JSON.stringify(results.map((r) => ({ uri: r.uri, findings: r.findings, notes: r.notes.filter((n) => !n.message.includes('does not parse')).map((n) => n.message) })));
}

/** The three modes on one run; fails with the first differing finding. */
function assertSame(inputs: FileInput[], label: string): FileResult[] {
  const full = analyzeFiles(inputs, undefined, undefined, { parse: 'full' });
  const every = analyzeFiles(inputs, undefined, undefined, { parse: 'every' });
  const fast = analyzeFiles(inputs, undefined, undefined, { parse: 'relevant' });
  const lean = analyzeFiles(inputs, undefined, undefined, { lean: true });
  for (const [mode, r] of [['relevant', fast], ['every', every], ['lean', lean]] as const) {
    if (essence(full) !== essence(r)) {
      for (let i = 0; i < full.length; i++) {
        const a = full[i]!.findings.map((f) => JSON.stringify(f));
        const b = r[i]!.findings.map((f) => JSON.stringify(f));
        assert.deepEqual(b, a, `${label} (${mode}): ${inputs[i]!.uri}`);
      }
      assert.equal(essence(r), essence(full), `${label} (${mode})`);
    }
  }
  // Every document that does not parse is noted, as in the full parse.
  for (const r of [every, lean])
    assert.deepEqual(
      r.map((x) => x.notes),
      full.map((x) => x.notes),
      `${label}: notes`,
    );
  // The lean results carry the pod summaries the full ones give.
  full.forEach((r, i) => {
    let lines: LineIndex | undefined;
    const where = (v: ValueSource): string => describeSource(v, r.uri, (lines ??= new LineIndex(r.text)));
    const want = r.findings.map((f) => {
      const pa = podOf(r, f);
      return pa ? podSummary(pa, where) : undefined;
    });
    assert.deepEqual(lean[i]!.summaries, want, `${label}: summaries of ${r.uri}`);
  });
  return full;
}

/** The file as one stream, the way `parseFile` would without splitting it: the reference for the split. */
function streamDocuments(text: string): ParsedDocument[] {
  const docs = composeWithinLimit(new Parser().parse(text), new Composer(parseOptions(PARSE_OPTIONS)));
  for (const d of docs) addDuplicateKeyErrors(d);
  return docs.map((d, i) => parsedDocumentOf(d, i, text));
}

function assertDocumentsAgree(uri: string, text: string): void {
  const full = parseFile(uri, text).documents;
  const stream = streamDocuments(text);
  // On real files, parsing the documents one by one is parsing the stream.
  assert.deepEqual(
    full.map((d) => [d.index, d.ok, d.errors]),
    stream.map((d) => [d.index, d.ok, d.errors]),
    `${uri}: the documents one by one against the stream`,
  );
  const fast = parseRelevant(uri, text).documents;
  const every = parseEvery(uri, text).documents;
  assert.deepEqual(
    every.filter((d) => !d.ok).map((d) => d.index),
    full.filter((d) => !d.ok).map((d) => d.index),
    `${uri}: the documents that do not parse`,
  );
  for (const d of [...fast, ...every]) {
    const f = full[d.index];
    assert.ok(f, `${uri}: document ${d.index} exists in the full parse`);
    // A document with errors is not analysed; after an error the parser may end it one blank line apart.
    if (f.ok) assert.deepEqual([d.range, d.ok, d.errors], [f.range, f.ok, f.errors], `${uri}: document ${d.index}`);
    else assert.deepEqual([d.range.start, d.ok, d.errors], [f.range.start, f.ok, f.errors], `${uri}: document ${d.index}`);
  }
}

describe('prescan against the full parse', { skip: existsSync(CORPUS) ? false : `no corpus at ${CORPUS}` }, () => {
  for (const folder of ['istio-annotated', 'general', 'large']) {
    test(`corpus ${folder}/: same findings, same parsed documents`, () => {
      for (const f of yamlFiles(join(CORPUS, folder))) {
        const text = readFileSync(f, 'utf8');
        assertSame([{ uri: f, text, settings: settings() }], f);
        assertDocumentsAgree(f, text);
      }
    });
  }

  test('corpus istio-annotated/ with every rule switched on by the settings', () => {
    const s = settings({ istioVersion: '1.27', kubernetesVersion: '1.33', assumeInjection: 'always' });
    for (const f of yamlFiles(join(CORPUS, 'istio-annotated'))) assertSame([{ uri: f, text: readFileSync(f, 'utf8'), settings: s }], f);
  });

  test('the large files as one run (cross-file context)', () => {
    const files = yamlFiles(join(CORPUS, 'large'));
    assertSame(
      files.map((f) => ({ uri: f, text: readFileSync(f, 'utf8'), settings: settings() })),
      'large/',
    );
  });
});

test('fixtures and samples: same findings (each fixture directory as one run)', () => {
  const roots = [join(REPO, 'test', 'fixtures'), join(REPO, 'samples')];
  for (const root of roots) {
    for (const name of readdirSync(root).sort()) {
      const p = join(root, name);
      const files = statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(name) ? [p] : [];
      if (files.length === 0) continue;
      const inputs = files.map((f) => {
        const text = readFileSync(f, 'utf8');
        const m = /^# settings: (\{.*\})$/m.exec(text);
        return { uri: f, text, settings: settings(m ? JSON.parse(m[1]!) : {}) };
      });
      assertSame(inputs, p);
      for (const i of inputs) assertDocumentsAgree(i.uri, i.text);
    }
  }
});

/** Documents written to defeat a line-based scan: each must give the same findings both ways, and the expected one. */
const TRICKY: { name: string; text: string; finds: string[] }[] = [
  {
    name: 'a merge key in an entry the fast path blanks out (the document is not analysed, on every path)',
    text:
      dedent(`
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: merged
        annotations:
          sidecar.istio.io/inject: true
      data:
        <<: {a: "1"}
      `) + Array.from({ length: 200 }, (_, i) => `  k${i}: "${'v'.repeat(20)}"\n`).join(''),
    finds: [],
  },
  {
    name: 'JSON document',
    text: '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}, "spec": {"template": {"metadata": {"annotations": {"sidecar.istio.io/inject": "true", "proxy.istio.io/config": "terminationDrainDuration: 45s"}}, "spec": {"containers": [{"name": "a"}]}}}}\n',
    finds: ['drain-exceeds-grace'],
  },
  {
    name: 'flow style metadata on a CRD-like object',
    text: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, annotations: {a: yes}}\nspec:\n' + Array.from({ length: 800 }, (_, i) => `  key${i}: x\n`).join(''),
    finds: ['annotation-not-string'],
  },
  {
    name: 'kind after other keys',
    text: dedent(`
      metadata:
        name: a
      spec:
        template:
          metadata:
            annotations:
              proxy.istio.io/config: |
                terminationDrainDuration: 45s
            labels:
              sidecar.istio.io/inject: "true"
          spec:
            containers:
            - name: a
      apiVersion: apps/v1
      kind: Deployment
    `),
    finds: ['drain-exceeds-grace'],
  },
  {
    name: 'a List of a ConfigMap and a Deployment, kind last',
    text: dedent(`
      apiVersion: v1
      items:
      - apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cm
        data:
          a: b
      - apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: d
        spec:
          template:
            metadata:
              annotations:
                sidecar.istio.io/nativeSidecar: true
            spec:
              containers:
              - name: a
      kind: List
    `),
    finds: ['annotation-not-string'],
  },
  {
    name: 'a List item with annotations only',
    text: dedent(`
      apiVersion: v1
      kind: ServiceList
      items:
        - apiVersion: v1
          kind: Service
          metadata:
            name: s
            annotations:
              a: 30
    `),
    finds: ['annotation-not-string'],
  },
  {
    name: 'a CRD with annotations and a large schema (blanked out)',
    text:
      dedent(`
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata:
        annotations:
          helm.sh/resource-policy: yes
        name: widgets.example.com
      spec:
        group: example.com
        versions:
        - name: v1
          schema:
            openAPIV3Schema:
              properties:
                containers:
                  description: |
                    containers: annotations: template: istio
    `) + '                  type: string\n'.repeat(600),
    finds: ['annotation-not-string'],
  },
  {
    name: 'an escaped key spelling annotations',
    text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  "ann\\x6ftations": {a: on}\n',
    finds: ['annotation-not-string'],
  },
  {
    name: 'metadata through an alias',
    text: 'apiVersion: v1\nkind: Service\nx-common: &m\n  name: s\n  annotations: {a: "off", b: off}\nmetadata: *m\n',
    finds: ['annotation-not-string'],
  },
  {
    name: 'an alias in the kept metadata to an anchor in a large spec',
    text:
      'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  annotations:\n    a: *v\n    b: yes\nspec:\n  first: &v on\n' +
      Array.from({ length: 600 }, (_, i) => `  key${i}: x\n`).join(''),
    finds: ['annotation-not-string'],
  },
  {
    name: 'kind on the next line',
    text: 'apiVersion: v1\nkind:\n  Pod\nmetadata:\n  annotations:\n    proxy.istio.io/config: "terminationDrainDuration: 45s"\n    sidecar.istio.io/inject: "true"\nspec:\n  containers:\n  - name: a\n',
    finds: ['drain-exceeds-grace'],
  },
  {
    name: 'a known kind without containers (namespace injection)',
    text: dedent(`
      apiVersion: v1
      kind: Namespace
      metadata:
        name: shop
        labels:
          istio-injection: enabled
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: a
        namespace: shop
      spec:
        template:
          spec:
            terminationGracePeriodSeconds: 2
    `),
    finds: ['drain-exceeds-grace'],
  },
  {
    name: 'mesh ConfigMap named through a block scalar, in the same file',
    text: dedent(`
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: |-
          istio
      data:
        mesh: |
          defaultConfig:
            terminationDrainDuration: 45s
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: a
      spec:
        template:
          metadata:
            labels:
              sidecar.istio.io/inject: "true"
          spec:
            containers:
            - name: a
    `),
    finds: ['drain-exceeds-grace'],
  },
  {
    name: 'injector ConfigMap with a large template (blanked out) and values',
    text:
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\ndata:\n  config: |-\n' +
      '    containers: annotations: {{ template }}\n'.repeat(300) +
      '  values: |-\n    {"global": {"proxy": {"image": "proxyv2"}}}\n',
    finds: ['injector-no-prestop'],
  },
  {
    name: 'istiod Helm values without kind',
    text: dedent(`
      global:
        hub: docker.io/istio
        proxy:
          lifecycle:
            preStop:
              exec:
                command: ["sleep", "x"]
      meshConfig:
        defaultConfig:
          terminationDrainDuration: 5s
    `),
    finds: [],
  },
  {
    name: 'document markers, a document end and a BOM',
    text: '\uFEFF# c\n---\napiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    a: yes\n...\n# between\n---\n--- # empty\napiVersion: v1\nkind: Pod\nmetadata:\n  annotations: {sidecar.istio.io/inject: "true", proxy.istio.io/config: "terminationDrainDuration: 45s"}\nspec: {containers: [{name: a}]}\n',
    finds: ['annotation-not-string', 'drain-exceeds-grace'],
  },
  {
    name: 'a merge key in a document that cannot matter (noted all the same)',
    text: 'apiVersion: v1\nkind: Service\nx-base: &b {port: 80}\nspec:\n  <<: *b\n---\napiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    a: yes\n',
    finds: ['annotation-not-string'],
  },
  {
    name: 'a Helm template',
    text: '{{- if .Values.x }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    a: yes\n{{- end }}\n',
    finds: [],
  },
  {
    name: 'directives (the file is parsed whole)',
    text: '%YAML 1.2\n---\napiVersion: v1\nkind: Service\nmetadata:\n  annotations:\n    a: yes\n',
    finds: ['annotation-not-string'],
  },
  {
    name: 'tabs and CRLF line ends',
    text: 'apiVersion: v1\r\nkind: Service\r\nmetadata:\r\n  annotations:\r\n    a: yes\r\n---\r\napiVersion: v1\r\nkind: Service\r\nmetadata:\r\n\tannotations: {a: yes}\r\n',
    finds: ['annotation-not-string'],
  },
];

describe('documents written to defeat a line-based scan', () => {
  for (const c of TRICKY) {
    test(c.name, () => {
      const [r] = assertSame([{ uri: 'file:///tricky.yaml', text: c.text, settings: settings() }], c.name);
      for (const id of c.finds) assert.ok(r!.findings.some((f) => f.ruleId === id), `${c.name}: expected ${id}, got ${r!.findings.map((f) => f.ruleId).join(', ')}`);
      assertDocumentsAgree('file:///tricky.yaml', c.text);
    });
  }
});

describe('decisions', () => {
  const decide = (text: string): string[] => (splitDocuments(text) ?? []).map((s) => classifyDocument(text, s.start, s.end).kind);
  test('RBAC, Services and CRDs without annotations are skipped; workloads and mesh sources parsed', () => {
    const text = dedent(`
      apiVersion: rbac.authorization.k8s.io/v1
      kind: ClusterRole
      metadata:
        name: r
      rules:
      - apiGroups: ["istio.io"]
        resources: ["*"]
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: s
        labels:
          app: istio-ingressgateway
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: d
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: istio
      data:
        mesh: "{}"
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: grafana
      data:
        dashboard.json: |
          {"annotations": {"containers": "istio"}}
    `);
    assert.deepEqual(decide(text), ['skip', 'skip', 'parse', 'parse', 'skip']);
  });

  test('a document whose outline cannot be read falls back to a word search', () => {
    assert.deepEqual(decide('[1, 2, 3]\n---\n[containers]\n'), ['skip', 'parse']);
  });

  test('the slices give the documents of the stream', () => {
    const text = 'a: 1\n---\nb: 2\n...\n# c\n--- x\n---\n';
    const slices = splitDocuments(text)!;
    const docs = parseAllDocuments(text);
    assert.ok(Array.isArray(docs));
    assert.deepEqual(
      slices.map((s) => text.slice(s.start, s.end)),
      ['a: 1\n', '---\nb: 2\n...\n', '# c\n', '--- x\n', '---\n'],
    );
    assert.equal(docs.length, 4);
  });
});

test('sliceAround finds the slice splitDocuments cuts, from the lines around an offset (random texts)', () => {
  let seed = 2024;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const parts = ['---', '...', '\n', 'a', ' ', '-', '.', '---\n', '...\n', '\n---\n', '\n...\n', '#', '--- x\n', '....\n', '----\n', '\r\n', '\t', '... #\n'];
  let checked = 0;
  for (let k = 0; k < 20000; k++) {
    let t = '';
    const n = 1 + rnd(16);
    for (let j = 0; j < n; j++) t += parts[rnd(parts.length)];
    const slices = splitDocuments(t)!;
    for (let o = 0; o <= t.length; o++) {
      const want = slices.find((s) => o >= s.start && o < s.end) ?? slices[slices.length - 1]!;
      assert.deepEqual(sliceAround(t, o), { start: want.start, end: want.end }, `${JSON.stringify(t)} at ${o}`);
      checked++;
    }
  }
  assert.ok(checked > 100000);
});

test('a document after a broken one still stands, as kubectl splits a stream at its --- lines', () => {
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    sidecar.istio.io/inject: "true"\n    proxy.istio.io/config: "terminationDrainDuration: 45s"\nspec:\n  containers:\n  - name: app\n';
  const text = `a: "x"}' b\n---\n${pod}`;
  // The parser's own recovery swallows the second document here.
  assert.equal(parseAllDocuments(text).length, 1);
  const docs = parseFile('file:///x.yaml', text).documents;
  assert.deepEqual(
    docs.map((d) => d.ok),
    [false, true],
  );
  const [r] = assertSame([{ uri: 'file:///x.yaml', text, settings: settings() }], 'after a broken document');
  assert.ok(r!.findings.some((f) => f.ruleId === 'drain-exceeds-grace'));
});
