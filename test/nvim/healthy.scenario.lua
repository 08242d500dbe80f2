-- samples/healthy.yaml: the server pushes an empty set (not silence), and the hover still
-- shows the timeline.
return {
  fixture = 'healthy.yaml',
  diagnostics = {},
  hover = { line = 17, col = 36, contains = { '**terminationDrainDuration**', '**Shutdown timeline** (classic sidecar)' } },
}
