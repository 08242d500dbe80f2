/**
 * injector-no-prestop: classic sidecars and no mesh-wide `global.proxy.lifecycle`, so every
 * injected proxy starts draining at SIGTERM while its app may still be shutting down. The fix
 * inserts the wait-for-the-app preStop into the injector values (JSON, keeping its format),
 * an IstioOperator, Sail `Istio` or istiod Helm values.
 */
import { isMap, type Document, type Node, type YAMLMap } from 'yaml';
import { meshSourcesFor } from '../model/effective';
import type { MeshSource } from '../model/mesh';
import { compareVersion } from '../settings';
import type { TextEdit } from '../types';
import { indentStep, lineStartOf, setPath } from '../yaml/edits';
import { mapAt, mapPath } from '../yaml/nodes';
import { innerEdit } from '../yaml/scalar-source';
import type { Rule, RuleContext } from './rule';

/** The classic wait-for-the-app loop, with the pilot-agent exclusion that lets it end (istio-facts §11). */
export const WAIT_FOR_APP_COMMAND = ['/bin/sh', '-c', "while [ $(netstat -plunt | grep tcp | egrep -v 'envoy|pilot-agent' | wc -l | xargs) -ne 0 ]; do sleep 1; done"];

const LIFECYCLE = { preStop: { exec: { command: WAIT_FOR_APP_COMMAND } } };

/** Whether a mesh source's revision runs native sidecars, as far as the run can tell. */
export function nativeFor(ctx: RuleContext, m: MeshSource): boolean {
  if (ctx.settings.nativeSidecars === 'on') return true;
  if (ctx.settings.nativeSidecars === 'off') return false;
  const v = (m.nativeSidecars ?? meshSourcesFor(ctx.context, m.revision).find((p) => p.nativeSidecars)?.nativeSidecars)?.value.toLowerCase() ?? ctx.settings.mesh?.enableNativeSidecars;
  const k = compareVersion(ctx.settings.kubernetesVersion, 1, 33);
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 'auto') return k !== undefined && k >= 0;
  const i = compareVersion(ctx.settings.istioVersion, 1, 27);
  return i !== undefined && k !== undefined && i >= 0 && k >= 0;
}

/**
 * Whether inserting the wait-for-the-app lifecycle into this source is safe: not on distroless
 * images (no shell), and not when holdApplicationUntilProxyStarts is on for the revision (a
 * lifecycle silently disables the hold).
 */
export function injectorFixSafe(ctx: RuleContext, m: MeshSource): boolean {
  if (m.variant?.value === 'distroless') return false;
  const peers = meshSourcesFor(ctx.context, m.revision);
  if (peers.some((p) => p.defaultConfig?.holdApplicationUntilProxyStarts === true || p.holdValues?.value === true)) return false;
  if (ctx.settings.mesh?.holdApplicationUntilProxyStarts === true) return false;
  return true;
}

export const injectorNoPrestop: Rule = {
  id: 'injector-no-prestop',
  severity: 'information',
  title: 'Injected classic sidecars get no preStop hook',
  needs: 'mesh',
  docs: {
    why: `With classic (non-native) sidecars the injector gives istio-proxy **no preStop hook** unless \`global.proxy.lifecycle\` is set: at pod deletion istio-proxy gets SIGTERM at the same moment as the app, stops accepting inbound connections and exits after \`terminationDrainDuration\` (5 s by default), while the app may still be finishing requests that call other services. Those outbound calls then fail, because iptables still sends them to a proxy that is gone (istio/istio#7136).

A mesh-wide preStop on istio-proxy that waits until the app's listening sockets are closed keeps the proxy alive for exactly as long as the app serves: the proxy's drain starts only after the app has stopped listening, and both must still fit in the pod's grace period. It costs one shell loop per pod shutdown and needs the default (debug) proxy image: distroless images have no shell, \`netstat\` or \`sleep\`.

The modern alternative is native sidecars (Istio 1.19+, Kubernetes 1.29+; the default from Istio 1.27 on clusters whose nodes run 1.33+): Kubernetes then stops the proxy only after the app has exited, with no hook at all.`,
    fix: `Insert \`lifecycle.preStop.exec.command\` = \`["/bin/sh", "-c", "while [ $(netstat -plunt | grep tcp | egrep -v 'envoy|pilot-agent' | wc -l | xargs) -ne 0 ]; do sleep 1; done"]\` under \`global.proxy\` (the quick fix does it, keeping the JSON's own formatting and the ConfigMap's quoting). The \`pilot-agent\` exclusion matters: pilot-agent listens on :15020, so a loop that only excludes \`envoy\` never ends. Or enable native sidecars.`,
    versions: '`global.proxy.lifecycle` since Istio 1.5; native sidecars since Istio 1.19 (drain hook 1.21).',
    sources: ['istio-facts.md §6 (injector lifecycle logic: classic sidecars get no default preStop), §11 (the netstat loop), §4 (native sidecars)', 'istio/istio#7136, #36517'],
    example: `# istio-sidecar-injector ConfigMap, values: {"global": {"proxy": {"image": "proxyv2"}}}
# -> {"global": {"proxy": {"lifecycle": {"preStop": {"exec": {"command": [...]}}}, "image": "proxyv2"}}}`,
  },
  check(ctx: RuleContext): void {
    for (const m of ctx.mesh) {
      if (m.kind === 'mesh ConfigMap' || m.lifecycle) continue;
      if (m.kind === 'injector ConfigMap' && (!m.injector?.doc || m.injector.jsonError)) continue;
      if (nativeFor(ctx, m)) continue;
      const at = m.proxy?.range ?? (m.injector ? keyRange(m.injector.pair.key as Node) : undefined) ?? valuesKey(m) ?? m.range;
      const distroless = m.variant?.value === 'distroless';
      const fixes = [];
      // Not preferred: it changes every pod of the revision, so `--fix` never applies it blind.
      if (injectorFixSafe(ctx, m)) {
        const edit = m.kind === 'injector ConfigMap' ? jsonEdit(ctx.text, m) : yamlEdit(ctx.text, m);
        if (edit) fixes.push({ title: 'Insert a preStop that waits for the app (global.proxy.lifecycle)', edits: [edit] });
      }
      ctx.report({
        range: at,
        message: `${m.label}: classic sidecars get no preStop hook, so every injected istio-proxy starts draining at SIGTERM while its app may still be shutting down (revision ${m.revision}).${distroless ? ' The proxy image is distroless (no shell): use native sidecars or a sleep action instead of a shell loop.' : ''}`,
        fixes,
      });
    }
  },
};

function keyRange(n: Node): { start: number; end: number } {
  return { start: n.range![0], end: n.range![1] };
}

function valuesKey(m: MeshSource): { start: number; end: number } | undefined {
  const obj = m.object;
  if (!obj) return undefined;
  const spec = mapAt(obj.doc, obj.node, 'spec');
  const p = spec?.items.find((i) => (i.key as { value?: unknown } | null)?.value === 'values');
  const k = (p?.key as Node | undefined) ?? (obj.node.items.find((i) => (i.key as { value?: unknown } | null)?.value === 'spec')?.key as Node | undefined);
  return k?.range ? keyRange(k) : undefined;
}

/** The edit (in the source's own file) that inserts the wait-for-the-app preStop into a mesh source. */
export function insertWaitForAppEdit(m: MeshSource): TextEdit | undefined {
  return m.kind === 'injector ConfigMap' ? jsonEdit(m.text, m) : yamlEdit(m.text, m);
}

/** Insert the lifecycle under `global.proxy` in YAML (IstioOperator, Sail, Helm values). */
function yamlEdit(text: string, m: MeshSource): TextEdit | undefined {
  const obj = m.object;
  let base: YAMLMap | undefined;
  let doc: Document | undefined;
  let path: string[];
  if (obj && (m.kind === 'IstioOperator' || m.kind === 'Sail Istio')) {
    doc = obj.doc;
    base = mapAt(doc, obj.node, 'spec');
    path = ['values', 'global', 'proxy', 'lifecycle'];
  } else {
    // Helm values: the document root.
    const root = obj?.node;
    if (!root) return undefined;
    doc = obj!.doc;
    base = root;
    path = ['global', 'proxy', 'lifecycle'];
  }
  if (!base || !doc) return undefined;
  // Keep the document's own style: its indentation step, and sequences flush with their key or indented.
  const step = documentStep(text, doc, base);
  const u = ' '.repeat(step);
  // The style of this document, not of the file: the other documents of a file may write their
  // sequences the other way (found by the fuzzer).
  const r = (doc.contents as Node | null)?.range;
  const from = r ? lineStartOf(text, r[0]) : 0;
  const seqs = sequencesUnderKeys(text.slice(from, r ? r[2] : text.length), from);
  const build = (flush: boolean): TextEdit | undefined => {
    const cmd = WAIT_FOR_APP_COMMAND;
    const item = flush ? u + u : u + u + u;
    const lines = ['preStop:', `${u}exec:`, `${u + u}command:`, `${item}- ${cmd[0]}`, `${item}- ${cmd[1]}`, `${item}- ${JSON.stringify(cmd[2])}`];
    const e = setPath(text, doc!, base!, path, '', lines, step);
    return e && { ...e, newText: e.newText.replace(/lifecycle: (\r?\n)/, 'lifecycle:$1') };
  };
  const flushCount = seqs.filter((q) => q.flush).length;
  if (flushCount === 0 || flushCount === seqs.length) return build(flushCount > 0);
  // Both styles in one document: follow the sequence nearest to where the lines go, which
  // belongs to the nearest enclosing mapping that holds one.
  const at = build(false)?.start;
  if (at === undefined) return undefined;
  const nearest = seqs.reduce((x, y) => (Math.abs(y.at - at) < Math.abs(x.at - at) ? y : x));
  return build(nearest.flush);
}

/**
 * The block sequences written under a key in a text, each flush with its key (`key:` then `- a`
 * at the key's column) or indented, with its offset. Read from the lines as a reader of the
 * text sees them: blank and comment lines between the key and its first item are skipped, a
 * comment after the key does not hide it, and the key's column of a `- key:` line is after its
 * dashes (found by the fuzzer: `ports: # comment` and `- match:` over `- port:` were missed, so
 * a document with only flush sequences got an indented one).
 */
export function sequencesUnderKeys(text: string, base = 0): { at: number; flush: boolean }[] {
  const out: { at: number; flush: boolean }[] = [];
  let key: number | undefined; // the key's column when the previous content line ends with `key:`
  const re = /\r\n|\n|\r|$/g;
  let ls = 0;
  while (ls <= text.length) {
    re.lastIndex = ls;
    const m = re.exec(text)!;
    const line = text.slice(ls, m.index);
    const at = ls;
    ls = m.index + (m[0].length || 1);
    if (line.trim() === '' || /^\s*#/.test(line)) continue;
    let i = 0;
    while (line.charCodeAt(i) === 32) i++;
    const indent = i;
    let dashes = 0;
    while (line.charCodeAt(i) === 45 && (line.charCodeAt(i + 1) === 32 || i + 1 === line.length)) {
      dashes++;
      i++;
      while (line.charCodeAt(i) === 32) i++;
    }
    if (key !== undefined && dashes > 0 && indent >= key) out.push({ at: base + at, flush: indent === key });
    const rest = line.slice(i).replace(/[ \t]+#.*$/, '').trimEnd();
    key = rest.endsWith(':') && !/[#{}[\]"']/.test(rest[0] ?? '') && !/[{}[\]"']/.test(rest) ? i : undefined;
  }
  return out;
}

/** The indentation step of a YAML document: from the first block mapping nested in `base`, 2 when unknown. */
function documentStep(text: string, doc: Document, base: YAMLMap): number {
  const seen = new Set<unknown>();
  const walk = (map: YAMLMap, depth: number): number | undefined => {
    if (depth > 20 || seen.has(map)) return undefined;
    seen.add(map);
    for (const item of map.items) {
      const v = item.value;
      if (isMap(v) && !v.flow && v.items.length > 0) {
        const st = indentStep(text, item, v);
        if (st > 0) return st;
      }
    }
    return undefined;
  };
  return walk(base, 0) ?? walk(doc.contents as YAMLMap, 0) ?? 2;
}

/** Insert the lifecycle into the injector's JSON, in its own format (pretty or one line). */
function jsonEdit(text: string, m: MeshSource): TextEdit | undefined {
  const inj = m.injector;
  if (!inj?.doc || !inj.src || !inj.src.exact) return undefined;
  const jdoc = inj.doc;
  const root = jdoc.contents;
  if (!isMap(root)) return undefined;
  const inner = inj.src.value;
  const proxy = mapPath(jdoc, root, ['global', 'proxy']);
  const global = mapAt(jdoc, root, 'global');
  let target: YAMLMap;
  let entry: unknown;
  let key: string;
  if (proxy) {
    target = proxy;
    key = 'lifecycle';
    entry = LIFECYCLE;
  } else if (global) {
    target = global;
    key = 'proxy';
    entry = { lifecycle: LIFECYCLE };
  } else {
    target = root;
    key = 'global';
    entry = { proxy: { lifecycle: LIFECYCLE } };
  }
  const open = target.range?.[0];
  if (open === undefined || inner[open] !== '{') return undefined;
  const first = target.items[0]?.key as Node | undefined;
  const firstAt = first?.range?.[0];
  const pretty = firstAt !== undefined ? inner.slice(open + 1, firstAt).includes('\n') : inner.slice(open, target.range![1]).includes('\n');
  let newInner: string;
  if (pretty) {
    // Indentation of the first member (or the object's own + 2 when empty).
    let ls = firstAt ?? open;
    while (ls > 0 && inner[ls - 1] !== '\n') ls--;
    const indent = firstAt !== undefined ? firstAt - ls : open - ls + 2;
    const body = JSON.stringify(entry, null, 2)
      .split('\n')
      .map((l, i) => (i === 0 ? l : ' '.repeat(indent) + l))
      .join('\n');
    newInner = `\n${' '.repeat(indent)}"${key}": ${body}${target.items.length > 0 ? ',' : '\n' + ' '.repeat(Math.max(0, indent - 2))}`;
    if (target.items.length > 0) {
      // Insert before the first member's line break so the existing layout stays as it is.
      const e = innerEdit(text, inj.src, open + 1, open + 1, newInner);
      return e && { start: e.start, end: e.end, newText: e.newText };
    }
  } else {
    const body = JSON.stringify(entry).replace(/":/g, '": ').replace(/,"/g, ', "');
    newInner = `"${key}": ${body}${target.items.length > 0 ? ', ' : ''}`;
  }
  const e = innerEdit(text, inj.src, open + 1, open + 1, newInner);
  return e && { start: e.start, end: e.end, newText: e.newText };
}

