import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check, dedent, pointed } from '../helpers';

const ID = 'injector-values-invalid';
const cm = (values: string) => dedent(`
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: istio-sidecar-injector-canary
  data:
  `) + values;

describe(ID, () => {
  test('a trailing comma, at its own position inside a block scalar', () => {
    const text = cm('  values: |-\n    {\n      "global": {"proxy": {},}\n    }\n');
    const [f] = check(text, {}, ID);
    assert.ok(f);
    assert.equal(pointed(text, f), '}');
    assert.equal(text.slice(0, f.range.start).split('\n').length, 8, 'on the line of the comma');
  });
  test('single-quoted JSON with an error in the middle of one long line', () => {
    const text = cm(`  values: '{"global": {"proxy": {"image": 'x'}}}'\n`.replace(`'x'`, `''x''`));
    const [f] = check(text, {}, ID);
    assert.ok(f);
    assert.equal(pointed(text, f), "''");
  });
  test('lifecycle that is not an object', () => {
    const text = cm(`  values: '{"global": {"proxy": {"lifecycle": "preStop"}}}'\n`);
    const [f] = check(text, {}, ID);
    assert.equal(pointed(text, f!), '"preStop"');
  });
  test('valid JSON is silent; other ConfigMaps are not read', () => {
    assert.deepEqual(check(cm(`  values: '{"global": {"proxy": {"lifecycle": {}}}}'\n`), {}, ID), []);
    assert.deepEqual(check(cm(`  values: '{broken'\n`).replace('istio-sidecar-injector-canary', 'my-app-config'), {}, ID), []);
  });
});
