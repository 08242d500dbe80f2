import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check, dedent, pointed } from '../helpers';

const ID = 'lifecycle-disables-hold';
const iop = (extra: string) => dedent(`
  apiVersion: install.istio.io/v1alpha1
  kind: IstioOperator
  spec:
    meshConfig:
      defaultConfig:
        holdApplicationUntilProxyStarts: true
    values:
      global:
        proxy:
          lifecycle:
            preStop:
              exec:
                command: ["sleep", "5"]
  `) + extra;

describe(ID, () => {
  test('fires on the lifecycle key', () => {
    const text = iop('');
    const [f] = check(text, {}, ID);
    assert.equal(pointed(text, f!), 'lifecycle');
  });
  test('silent when the lifecycle keeps a postStart, or with native sidecars', () => {
    assert.deepEqual(check(iop('          postStart:\n            exec:\n              command: ["pilot-agent", "wait"]\n'), {}, ID), []);
    assert.deepEqual(check(iop('    pilot:\n      env:\n        ENABLE_NATIVE_SIDECARS: "true"\n'), {}, ID), []);
    assert.deepEqual(check(iop('').replace('holdApplicationUntilProxyStarts: true', 'holdApplicationUntilProxyStarts: false'), {}, ID), []);
  });
});
