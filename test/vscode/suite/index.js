// Extension-host suite: runs inside VS Code (code-server's VS Code server, see ../vscode-server-shim.js)
// with the real `vscode` API, against the Drainguard extension and its bundled language server.
// Loaded by the workbench as extensionTestsPath: it exports run(); the run fails when run() rejects.
//
// No sleeps: every wait is on an event (onDidChangeDiagnostics) with a timeout only as a failure bound.
// Tests run in order and share the open documents; each says what state it leaves.
const assert = require('assert');
const vscode = require('vscode');

const SOURCE = 'drainguard';
const EXTENSION_ID = 'drainguard.drainguard';
const WAIT_MS = 30000;

const MSG = {
  drainExceedsGrace:
    'Envoy is killed mid-drain: istio-proxy drains for 45s (line 22), but the grace period is 30s (Kubernetes default), so SIGKILL comes 15s before the drain ends.',
  invalidDuration:
    '`terminationDrainDuration` must be a Go duration string such as "20s", not the number 20: Istio rejects the annotation and the pod is denied.',
  annotationNotString:
    'Annotation "sidecar.istio.io/nativeSidecar" is the boolean true to kubectl (YAML 1.1 rules), not a string: Kubernetes rejects the object. Write "true".',
};

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

const wsUri = (name) => vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, name);
const ours = (uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
const codeOf = (d) => (typeof d.code === 'object' && d.code !== null ? d.code.value : d.code);
const show = (ds) => JSON.stringify(ds.map((d) => `${codeOf(d)}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}/sev${d.severity}`));

/**
 * Resolves with our diagnostics for `uri` once `pred` holds for them: checked now, then on every
 * onDidChangeDiagnostics event that names the uri. Rejects after `ms` (a failure bound, not a delay).
 */
function waitForDiagnostics(uri, pred, what, ms = WAIT_MS) {
  return new Promise((resolve, reject) => {
    let sub, timer;
    const finish = (fn, v) => { sub.dispose(); clearTimeout(timer); fn(v); };
    const check = () => {
      const ds = ours(uri);
      if (pred(ds)) finish(resolve, ds);
    };
    sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    timer = setTimeout(() => finish(reject, new Error(`timed out after ${ms}ms waiting for ${what} on ${uri.path}; diagnostics now: ${show(ours(uri))}`)), ms);
    check();
  });
}

/** Opens a workspace file in an editor (which makes the language client send didOpen). */
async function open(name) {
  const doc = await vscode.workspace.openTextDocument(wsUri(name));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

const hasCodes = (...codes) => (ds) => ds.length === codes.length && codes.every((c) => ds.some((d) => codeOf(d) === c));
const byCode = (ds, code) => {
  const d = ds.find((x) => codeOf(x) === code);
  assert.ok(d, `a ${code} diagnostic in ${show(ds)}`);
  return d;
};

/** The hover texts at a position, as one string. */
async function hoverText(uri, position) {
  const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, position);
  return {
    hovers,
    text: hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n'),
  };
}

/** The quick fixes the providers offer for a diagnostic's range (our server's only, by kind). */
async function quickFixes(uri, range) {
  const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', uri, range, vscode.CodeActionKind.QuickFix.value);
  return actions.filter((a) => a.kind && vscode.CodeActionKind.QuickFix.contains(a.kind));
}

const comments = (text) => text.split('\n').filter((l) => /^\s*#/.test(l) || /\s#\s/.test(l));

// ---------------------------------------------------------------------------------------------

let checkout, worker, unicode;

test('the extension activates when a YAML file opens', async () => {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is known`);
  assert.strictEqual(ext.packageJSON.version, '0.1.0');
  const expected = process.env.DRAINGUARD_EXPECT_EXTENSION_PATH;
  console.log(`    extension ${ext.id} ${ext.packageJSON.version} from ${ext.extensionPath}${expected ? ' (as expected)' : ''} (remote: ${vscode.env.remoteName || 'none'}, VS Code ${vscode.version})`);
  if (expected) assert.strictEqual(ext.extensionPath, expected, 'the extension under test is the one the runner asked for');
  checkout = await open('checkout-deployment.yaml');
  assert.strictEqual(checkout.languageId, 'yaml');
  // activation is triggered by onLanguage:yaml; activate() resolves when the client has started
  await ext.activate();
  assert.ok(ext.isActive, 'extension is active');
});

test('contributes the drainguard.* settings with their defaults, and the commands', async () => {
  const cfg = vscode.workspace.getConfiguration('drainguard');
  const defaults = {
    istioVersion: '',
    kubernetesVersion: '',
    nativeSidecars: 'auto',
    assumeInjection: 'auto',
    defaultDrainDuration: '',
    shutdownMargin: '5s',
    rules: {},
    ignore: [],
    'trace.server': 'off',
  };
  for (const [key, value] of Object.entries(defaults)) {
    const i = cfg.inspect(key);
    assert.ok(i, `drainguard.${key} is contributed`);
    assert.deepStrictEqual(i.defaultValue, value, `default of drainguard.${key}`);
    assert.deepStrictEqual(cfg.get(key), value, `effective value of drainguard.${key} (nothing set yet)`);
  }
  const commands = await vscode.commands.getCommands(true);
  for (const c of ['drainguard.restartServer', 'drainguard.openRuleDocs']) assert.ok(commands.includes(c), `command ${c} is registered`);
});

test('checkout-deployment.yaml: drain-exceeds-grace on the 45s drain, exact range and message', async () => {
  const ds = await waitForDiagnostics(checkout.uri, hasCodes('drain-exceeds-grace'), 'drain-exceeds-grace');
  const d = byCode(ds, 'drain-exceeds-grace');
  assert.strictEqual(d.message, MSG.drainExceedsGrace);
  assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error);
  assert.deepStrictEqual([d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character], [21, 36, 21, 39]);
  assert.strictEqual(checkout.getText(d.range), '45s');
  assert.strictEqual(checkout.lineAt(21).text, '          terminationDrainDuration: 45s');
  if (typeof d.code === 'object') assert.match(d.code.target.toString(), /drain-exceeds-grace/, 'the code links to the rule docs');
});

test('worker-typos.yaml: invalid-duration and annotation-not-string, exact ranges and messages', async () => {
  worker = await open('worker-typos.yaml');
  const ds = await waitForDiagnostics(worker.uri, hasCodes('invalid-duration', 'annotation-not-string'), 'invalid-duration + annotation-not-string');
  const dur = byCode(ds, 'invalid-duration');
  assert.strictEqual(dur.message, MSG.invalidDuration);
  assert.strictEqual(dur.severity, vscode.DiagnosticSeverity.Error);
  assert.deepStrictEqual([dur.range.start.line, dur.range.start.character, dur.range.end.line, dur.range.end.character], [17, 61, 17, 63]);
  assert.strictEqual(worker.getText(dur.range), '20');
  const ann = byCode(ds, 'annotation-not-string');
  assert.strictEqual(ann.message, MSG.annotationNotString);
  assert.strictEqual(ann.severity, vscode.DiagnosticSeverity.Error);
  assert.deepStrictEqual([ann.range.start.line, ann.range.start.character, ann.range.end.line, ann.range.end.character], [19, 40, 19, 43]);
  assert.strictEqual(worker.getText(ann.range), 'yes');
});

test('unicode-annotations.yaml: the range after non-ASCII text is in UTF-16 code units', async () => {
  unicode = await open('unicode-annotations.yaml');
  const ds = await waitForDiagnostics(unicode.uri, hasCodes('invalid-duration'), 'invalid-duration');
  const d = byCode(ds, 'invalid-duration');
  assert.strictEqual(d.message, MSG.invalidDuration);
  const line = unicode.lineAt(d.range.start.line).text;
  assert.ok(/🚀/.test(line) && /[^\x00-\x7f]/.test(line.slice(0, d.range.start.character)), 'non-ASCII before the range on its line');
  const at = line.indexOf('20}'); // a JavaScript string index is a UTF-16 offset, like VS Code's columns
  assert.deepStrictEqual([d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character], [16, at, 16, at + 2]);
  assert.strictEqual(unicode.getText(d.range), '20');
});

test('hover on the 45s drain shows the shutdown timeline', async () => {
  const pos = checkout.lineAt(21).text.indexOf('45s');
  const { hovers, text } = await hoverText(checkout.uri, new vscode.Position(21, pos + 1));
  assert.ok(hovers.length > 0, 'a hover');
  for (const s of ['Shutdown timeline', 'SIGKILL', 'terminationDrainDuration', 'drain-exceeds-grace', 'Envoy is killed mid-drain']) {
    assert.ok(text.includes(s), `hover mentions ${JSON.stringify(s)}:\n${text}`);
  }
  const ours = hovers.find((h) => h.range && h.contents.some((c) => String(c.value ?? c).includes('Shutdown timeline')));
  assert.ok(ours && ours.range.contains(new vscode.Position(21, pos + 1)), 'the hover range covers the position');
  // nothing to say outside pods: the first comment line
  const none = await hoverText(checkout.uri, new vscode.Position(0, 3));
  assert.ok(!none.text.includes('Shutdown timeline'), 'no timeline on the leading comment');
});

test('drainguard.rules: a rule set to warning, then off, then back to its default', async () => {
  const cfg = () => vscode.workspace.getConfiguration('drainguard', checkout.uri);
  try {
    await cfg().update('rules', { 'drain-exceeds-grace': 'warning' }, vscode.ConfigurationTarget.Workspace);
    const warn = await waitForDiagnostics(
      checkout.uri,
      (ds) => ds.length === 1 && codeOf(ds[0]) === 'drain-exceeds-grace' && ds[0].severity === vscode.DiagnosticSeverity.Warning,
      'drain-exceeds-grace as a warning',
    );
    assert.strictEqual(checkout.getText(warn[0].range), '45s');
    await cfg().update('rules', { 'drain-exceeds-grace': 'off' }, vscode.ConfigurationTarget.Workspace);
    await waitForDiagnostics(checkout.uri, (ds) => ds.length === 0, 'no drainguard diagnostics with the rule off');
    // the other files' findings are untouched
    assert.ok(hasCodes('invalid-duration', 'annotation-not-string')(ours(worker.uri)), `worker findings stay: ${show(ours(worker.uri))}`);
  } finally {
    await cfg().update('rules', undefined, vscode.ConfigurationTarget.Workspace);
  }
  await waitForDiagnostics(
    checkout.uri,
    (ds) => ds.length === 1 && codeOf(ds[0]) === 'drain-exceeds-grace' && ds[0].severity === vscode.DiagnosticSeverity.Error,
    'drain-exceeds-grace back as an error',
  );
});

test('quick fix on checkout-deployment.yaml: raise terminationGracePeriodSeconds, comments intact, diagnostic cleared', async () => {
  const before = checkout.getText();
  const [d] = await waitForDiagnostics(checkout.uri, hasCodes('drain-exceeds-grace'), 'drain-exceeds-grace');
  const fixes = await quickFixes(checkout.uri, d.range);
  const titles = fixes.map((a) => a.title);
  assert.ok(titles.includes('Raise terminationGracePeriodSeconds to 50'), `offered: ${JSON.stringify(titles)}`);
  const preferred = fixes.filter((a) => a.isPreferred);
  assert.strictEqual(preferred.length, 1, `one preferred fix: ${JSON.stringify(titles)}`);
  assert.strictEqual(preferred[0].title, 'Raise terminationGracePeriodSeconds to 50');
  assert.ok(await vscode.workspace.applyEdit(preferred[0].edit), 'applyEdit');
  const after = checkout.getText();
  const expected = before.replace('    spec:\n      containers:', '    spec:\n      terminationGracePeriodSeconds: 50\n      containers:');
  assert.notStrictEqual(expected, before);
  assert.strictEqual(after, expected);
  assert.deepStrictEqual(comments(after), comments(before), 'comments intact');
  assert.strictEqual(comments(before).length, 4);
  await waitForDiagnostics(checkout.uri, (ds) => ds.length === 0, 'no drainguard diagnostics after the fix');
  // the hover timeline follows the edit
  const pos = checkout.lineAt(21).text.indexOf('45s');
  const { text } = await hoverText(checkout.uri, new vscode.Position(21, pos + 1));
  assert.ok(text.includes('Shutdown timeline') && text.includes('grace 50s'), `timeline with the new grace:\n${text}`);
});

test('quick fix after non-ASCII text: "Change to 20s" edits exactly the number', async () => {
  const [d] = await waitForDiagnostics(unicode.uri, hasCodes('invalid-duration'), 'invalid-duration');
  const line = d.range.start.line;
  const before = unicode.lineAt(line).text;
  const fixes = await quickFixes(unicode.uri, d.range);
  const fix = fixes.find((a) => a.isPreferred);
  assert.ok(fix, `a preferred fix in ${JSON.stringify(fixes.map((a) => a.title))}`);
  assert.strictEqual(fix.title, 'Change to 20s');
  assert.ok(await vscode.workspace.applyEdit(fix.edit), 'applyEdit');
  assert.strictEqual(unicode.lineAt(line).text, before.replace('"terminationDrainDuration": 20}', '"terminationDrainDuration": 20s}'));
  assert.ok(unicode.lineAt(line).text.includes('"Zoë Ødegård 🚀"'), 'the non-ASCII text before it is intact');
  await waitForDiagnostics(unicode.uri, (ds) => ds.length === 0, 'no drainguard diagnostics after the fix');
});

test('quick fix on one of two findings leaves the other: "yes" becomes "true"', async () => {
  const ds = await waitForDiagnostics(worker.uri, hasCodes('invalid-duration', 'annotation-not-string'), 'both worker findings');
  const ann = byCode(ds, 'annotation-not-string');
  const fixes = await quickFixes(worker.uri, ann.range);
  const fix = fixes.find((a) => a.isPreferred);
  assert.ok(fix, `a preferred fix for annotation-not-string in ${JSON.stringify(fixes.map((a) => a.title))}`);
  assert.strictEqual(fix.title, 'Write it as the string "true"');
  const before = worker.getText();
  assert.ok(await vscode.workspace.applyEdit(fix.edit), 'applyEdit');
  assert.strictEqual(worker.getText(), before.replace('nativeSidecar: yes\n', 'nativeSidecar: "true"\n'));
  assert.deepStrictEqual(comments(worker.getText()), comments(before), 'comments intact');
  const left = await waitForDiagnostics(worker.uri, hasCodes('invalid-duration'), 'only invalid-duration left');
  assert.strictEqual(worker.getText(left[0].range), '20');
});

test('drainguard.restartServer: the restarted server answers again', async () => {
  await vscode.commands.executeCommand('drainguard.restartServer');
  const pos = checkout.lineAt(21).text.indexOf('45s');
  const { text } = await hoverText(checkout.uri, new vscode.Position(21, pos + 1));
  assert.ok(text.includes('Shutdown timeline'), `hover after restart:\n${text}`);
  // the restarted server gets the edited documents, not the files on disk
  const left = await waitForDiagnostics(worker.uri, hasCodes('invalid-duration'), 'worker findings after the restart');
  assert.strictEqual(worker.getText(left[0].range), '20');
});

// ---------------------------------------------------------------------------------------------

exports.run = async function run() {
  let passed = 0;
  let failed = 0;
  const t0 = Date.now();
  for (const t of tests) {
    const t1 = Date.now();
    try {
      await t.fn();
      passed++;
      console.log(`  ✓ ${t.name} (${Date.now() - t1}ms)`);
    } catch (e) {
      failed++;
      console.log(`  ✗ ${t.name} (${Date.now() - t1}ms)\n      ${String((e && e.stack) || e).split('\n').join('\n      ')}`);
    }
  }
  console.log(`extension-host suite: ${Date.now() - t0}ms`);
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0) throw new Error(`${failed} extension-host test(s) failed`);
};
