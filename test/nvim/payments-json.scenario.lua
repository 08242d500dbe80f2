-- Single-line JSON proxy.istio.io/config: the finding underlines the quoted "40s" inside the
-- JSON, and the preferred fix replaces the existing grace period value in place.
return {
  fixture = 'payments-json.yaml',
  diagnostics = {
    {
      code = 'drain-exceeds-grace',
      severity = vim.diagnostic.severity.ERROR,
      message = 'Envoy is killed mid-drain: istio-proxy drains for 40s (line 16), but the grace period is 20s (line 18), so SIGKILL comes 20s before the drain ends.',
      lnum = 15, col = 61, end_lnum = 15, end_col = 66, -- `"40s"`
    },
  },
  actions = { 'Raise terminationGracePeriodSeconds to 45', 'Lower terminationDrainDuration to 20s' },
  preferred = 'Raise terminationGracePeriodSeconds to 45',
  after = {
    lines = { [17] = '      terminationGracePeriodSeconds: 45 # was fine before the drain was raised' },
    contains = { '# Single-line JSON ProxyConfig', '\'{"terminationDrainDuration": "40s"}\'' },
    lacks = { 'terminationGracePeriodSeconds: 20' },
  },
}
