/**
 * Hostile inputs, generated (never checked in): alias bombs, huge files and streams, deep
 * nesting, long lines, NUL bytes and binary data, invalid UTF-8, byte-order marks, odd line
 * endings, tabs, duplicate and merge keys, YAML 1.1 scalars, anchors on the annotation, Helm,
 * ytt and kustomize files, JSON manifests, a 1 MB annotation. Shared by hostile.test.ts and
 * the child process it runs them in (hostile-child.ts), so a case is built where it runs.
 */

/** A Deployment whose 45s drain exceeds the default 30s grace period: one drain-exceeds-grace at `DRAIN_LINE`. */
export const BAD = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: web',
  'spec:',
  '  template:',
  '    metadata:',
  '      labels:',
  '        sidecar.istio.io/inject: "true"',
  '      annotations:',
  '        proxy.istio.io/config: |',
  '          terminationDrainDuration: 45s',
  '    spec:',
  '      containers:',
  '        - name: web',
  '          image: web',
  '',
].join('\n');
/** 1-based line of the drain in BAD. */
export const DRAIN_LINE = 12;

const BAD_OBJECT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    template: {
      metadata: { labels: { 'sidecar.istio.io/inject': 'true' }, annotations: { 'proxy.istio.io/config': 'terminationDrainDuration: 45s' } },
      spec: { containers: [{ name: 'web', image: 'web' }] },
    },
  },
};

function deterministicBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function repeatTo(unit: string, bytes: number): string {
  return unit.repeat(Math.ceil(bytes / unit.length));
}

function aliasBomb(indent: string, levels: number, prefix = 'lol'): string[] {
  const out = [`${indent}${prefix}0: &${prefix}0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]`];
  for (let k = 1; k < levels; k++) out.push(`${indent}${prefix}${k}: &${prefix}${k} [${Array.from({ length: 10 }, () => `*${prefix}${k - 1}`).join(', ')}]`);
  return out;
}

/** Replace BAD's annotation block with other annotation lines (8 spaces of indentation). */
function withAnnotations(lines: string[]): string {
  return BAD.replace("        proxy.istio.io/config: |\n          terminationDrainDuration: 45s\n", lines.map((l) => `${l}\n`).join(''));
}

export const HOSTILE: Record<string, () => string | Buffer> = {
  'alias bomb (billion laughs)': () => [...aliasBomb('', 9), 'lol9: *lol8', '---', BAD].join('\n'),
  'alias bomb in the annotations': () => withAnnotations([...aliasBomb('        ', 9, 'b'), '        proxy.istio.io/config: *b8']),
  'alias bomb inside the annotation value': () => withAnnotations(['        proxy.istio.io/config: |', ...aliasBomb('          ', 9), '          terminationDrainDuration: 45s']),
  '50 MB file': () => repeatTo(`${BAD}---\n`, 50 * 1024 * 1024),
  '100k-document stream': () => {
    const parts: string[] = [];
    for (let i = 0; i < 100000; i++) parts.push(i % 1000 === 999 ? BAD : `kind: ConfigMap\nmetadata: {name: c${i}}\n`);
    return parts.join('---\n');
  },
  '9,000-document stream': () => {
    const parts: string[] = [];
    for (let i = 0; i < 9000; i++) parts.push(i % 100 === 99 ? BAD : `kind: ConfigMap\nmetadata: {name: c${i}}\n`);
    return parts.join('---\n');
  },
  '10k-deep flow sequences': () => `${BAD}---\na: ${'['.repeat(10000)}${']'.repeat(10000)}\n`,
  '10k-deep flow mappings': () => `${BAD}---\na: ${'{a: '.repeat(10000)}1${'}'.repeat(10000)}\n`,
  '10k-deep block sequences': () => `${BAD}---\n${'- '.repeat(10000)}x\n`,
  '10k-deep JSON in the annotation': () => withAnnotations([`        proxy.istio.io/config: '${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}'`]),
  '1 MB single line (plain scalar)': () => `${BAD}---\nkind: ConfigMap\ndata:\n  big: ${'x'.repeat(1024 * 1024)}\n`,
  '1 MB single line (a List of Deployments as JSON)': () => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: Array.from({ length: 2500 }, (_, i) => ({ ...BAD_OBJECT, metadata: { name: `web-${i}` } })) }),
  'NUL bytes': () => BAD.replace('  name: web', '  name: web # \u0000\u0000'),
  'binary file': () => deterministicBytes(64 * 1024),
  'invalid UTF-8': () => Buffer.concat([Buffer.from(BAD.slice(0, 20)), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from(BAD.slice(20))]),
  'byte-order mark': () => `\uFEFF${BAD}`,
  'CRLF line endings': () => BAD.replace(/\n/g, '\r\n'),
  'lone-CR line endings': () => BAD.replace(/\n/g, '\r'),
  'tab indentation': () => BAD.replace(/^( {2})+/gm, (m) => '\t'.repeat(m.length / 2)),
  'tabs after colons': () => BAD.replace(/: /g, ':\t'),
  'duplicate keys': () => withAnnotations(['        proxy.istio.io/config: |', '          terminationDrainDuration: 45s', '        proxy.istio.io/config: |', '          terminationDrainDuration: 5s']),
  '50k keys in one mapping': () => BAD.replace('      labels:\n', `      labels:\n${Array.from({ length: 50000 }, (_, i) => `        k${i}: v\n`).join('')}`),
  'merge keys (<<)': () => BAD.replace('    spec:\n      containers:', '    spec:\n      <<: {terminationGracePeriodSeconds: 100}\n      containers:'),
  'YAML 1.1 booleans': () => withAnnotations(['        sidecar.istio.io/nativeSidecar: yes', '        proxy.istio.io/config: |', '          terminationDrainDuration: 45s']),
  'anchors and aliases on the annotation': () => withAnnotations(['        proxy.istio.io/config: &pc |', '          terminationDrainDuration: 45s', '        example.com/copy: *pc']),
  'the annotation is an alias': () => `${BAD.replace('metadata:\n  name: web', 'metadata:\n  name: web\n  labels:\n    x-drain: &drain "terminationDrainDuration: 45s"').replace("proxy.istio.io/config: |\n          terminationDrainDuration: 45s", 'proxy.istio.io/config: *drain')}`,
  'Helm template': () =>
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ include "web.fullname" . }}',
      '  labels:',
      '    {{- include "web.labels" . | nindent 4 }}',
      'spec:',
      '  template:',
      '    metadata:',
      '      {{- with .Values.podAnnotations }}',
      '      annotations:',
      '        {{- toYaml . | nindent 8 }}',
      '      {{- end }}',
      '    spec:',
      '      terminationGracePeriodSeconds: {{ .Values.grace }}',
      '      containers:',
      '        - name: {{ .Chart.Name }}',
      '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
      '',
    ].join('\n'),
  'ytt template': () => `#@ load("@ytt:data", "data")\n#@ if data.values.enabled:\n${BAD.replace('  name: web', '  name: #@ data.values.name')}#@ end\n`,
  'kustomize files': () =>
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources: [deployment.yaml]',
      'commonAnnotations:',
      '  proxy.istio.io/config: "terminationDrainDuration: 45s"',
      'patches:',
      '  - target: {kind: Deployment}',
      '    patch: |-',
      '      - op: add',
      '        path: /spec/template/spec/terminationGracePeriodSeconds',
      '        value: 60',
      '',
    ].join('\n'),
  'JSON manifest': () => JSON.stringify(BAD_OBJECT, null, 2) + '\n',
  '1 MB annotation value': () => withAnnotations([`        proxy.istio.io/config: '{"terminationDrainDuration": "45s", "proxyMetadata": {${Array.from({ length: 20000 }, (_, i) => `"K${i}": "${'v'.repeat(30)}"`).join(', ')}}}'`]),
};

/** The text of a case as the engine gets it (buffers decoded as Latin-1, which never fails). */
export function hostileText(name: string): string {
  const v = HOSTILE[name]!();
  return typeof v === 'string' ? v : v.toString('latin1');
}
