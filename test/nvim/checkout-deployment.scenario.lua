-- samples/checkout-deployment.yaml: a 45s drain in a block-scalar proxy.istio.io/config
-- against the default 30s grace period. The preferred fix inserts the grace period.
return {
  fixture = 'checkout-deployment.yaml',
  diagnostics = {
    {
      code = 'drain-exceeds-grace',
      source = 'drainguard',
      severity = vim.diagnostic.severity.ERROR,
      message = 'Envoy is killed mid-drain: istio-proxy drains for 45s (line 22), but the grace period is 30s (Kubernetes default), so SIGKILL comes 15s before the drain ends.',
      lnum = 21, col = 36, end_lnum = 21, end_col = 39, -- `45s`
    },
  },
  hover = {
    line = 21, col = 37,
    contains = { '**terminationDrainDuration**', '`drain-exceeds-grace`', '**Shutdown timeline** (classic sidecar)', '| t | what happens |' },
  },
  actions = { 'Raise terminationGracePeriodSeconds to 50', 'Lower terminationDrainDuration to 30s' },
  preferred = 'Raise terminationGracePeriodSeconds to 50',
  after = {
    contains = {
      'terminationGracePeriodSeconds: 50',
      'terminationDrainDuration: 45s',
      '# A checkout service in the mesh. Its drain was raised to 45s to let long',
      '# long enough for payment calls to finish',
    },
    lines = { [22] = '    spec:', [23] = '      terminationGracePeriodSeconds: 50', [24] = '      containers:' },
  },
}
