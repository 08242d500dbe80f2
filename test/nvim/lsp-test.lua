-- Headless Neovim (0.7.2+) LSP client test for the Drainguard language server: one scenario per
-- run. It opens a fixture through Neovim's built-in client, checks the pushed diagnostics, the
-- code actions and the hover, applies the preferred quick fix through Neovim's own
-- `vim.lsp.buf.code_action()` path, checks the buffer and waits for the diagnostics to clear.
-- Adapted from recipe R6 in the shared harness notes. Every wait is bounded and waits on a
-- condition; any failure (including a Lua error) ends Neovim with `cquit`, so the exit status
-- is non-zero.
--
-- usage (from the repository root, after `npm run build`):
--   SCENARIO=test/nvim/checkout-deployment.scenario.lua nvim --headless --clean -n -u test/nvim/lsp-test.lua
-- env: SCENARIO  path of a scenario file (a Lua table, see the *.scenario.lua files)
--      LSP_CMD   server command line, split on spaces (default `node dist/server.js --stdio`,
--                run from the repository root)
--      WAIT_MS   bound of each wait (default 10000)
--
-- Positions in scenario files are 0-based lines and byte columns, like `vim.diagnostic`.

local function out(...) io.stdout:write(table.concat({ ... }, ' ') .. '\n') end
local failed = false
local function fail(msg)
  failed = true
  error({ drainguard_fail = msg }, 0)
end
local function check(cond, msg) if not cond then fail(msg) end end
local function eq(actual, expected, what)
  if not vim.deep_equal(actual, expected) then
    fail(string.format('%s: expected %s, got %s', what, vim.inspect(expected), vim.inspect(actual)))
  end
end

local script_dir = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local root = vim.fn.fnamemodify(script_dir, ':h:h')
local wait_ms = tonumber(os.getenv('WAIT_MS') or '') or 10000
local t0 = vim.loop.hrtime()
local function ms() return string.format('%.0f ms', (vim.loop.hrtime() - t0) / 1e6) end

local function buffer_text(bufnr) return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') end

local function run()
  local scenario_path = os.getenv('SCENARIO')
  check(scenario_path and scenario_path ~= '', 'set SCENARIO to a *.scenario.lua file')
  local sc = dofile(vim.fn.fnamemodify(scenario_path, ':p'))
  local name = vim.fn.fnamemodify(scenario_path, ':t:r:r')
  out('scenario ' .. name)

  -- Work on a copy in a temporary folder: the fixture is never modified, and no
  -- .drainguard.yaml from the repository applies to it.
  local src = script_dir .. '/' .. sc.fixture
  check(vim.fn.filereadable(src) == 1, 'fixture not found: ' .. src)
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  local file = dir .. '/' .. vim.fn.fnamemodify(src, ':t')
  vim.fn.writefile(vim.fn.readfile(src, 'b'), file, 'b')

  -- Count the pushes for our document, so "no diagnostics" can be told apart from "not yet".
  local uri = vim.uri_from_fname(file)
  local publishes = {}
  local default_publish = vim.lsp.handlers['textDocument/publishDiagnostics']
  vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
    if result and result.uri == uri then table.insert(publishes, result) end
    return default_publish(err, result, ctx, config)
  end

  local cmd = vim.split(os.getenv('LSP_CMD') or 'node dist/server.js --stdio', ' ', { trimempty = true })
  local exited = false
  local client_id = vim.lsp.start_client({
    name = 'drainguard',
    cmd = cmd,
    cmd_cwd = root,
    root_dir = dir,
    settings = sc.settings or { drainguard = vim.empty_dict() },
    on_exit = function(code, signal) exited = true; out(string.format('server exited code=%s signal=%s', code, signal)) end,
  })
  check(client_id, 'vim.lsp.start_client returned nil (command: ' .. table.concat(cmd, ' ') .. ')')

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'yaml'
  check(vim.lsp.buf_attach_client(bufnr, client_id), 'buf_attach_client failed')
  local client
  check(vim.wait(wait_ms, function()
    client = vim.lsp.get_client_by_id(client_id)
    return exited or (client ~= nil and client.initialized == true)
  end, 20) and not exited, 'server did not initialize within ' .. wait_ms .. ' ms')
  out('initialized after ' .. ms())

  -- 1. Diagnostics, pushed by the server (Neovim 0.7 has no pull diagnostics).
  check(vim.wait(wait_ms, function() return #publishes > 0 end, 20), 'no publishDiagnostics within ' .. wait_ms .. ' ms')
  local diags = vim.diagnostic.get(bufnr)
  table.sort(diags, function(a, b) return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col) end)
  out(string.format('diagnostics after %s: %d', ms(), #diags))
  for _, d in ipairs(diags) do
    out(string.format('  %d:%d-%d:%d sev=%d %s [%s] %s', d.lnum, d.col, d.end_lnum, d.end_col, d.severity, tostring(d.source), tostring(d.code), d.message))
  end
  eq(#diags, #sc.diagnostics, 'number of diagnostics')
  for i, want in ipairs(sc.diagnostics) do
    local d = diags[i]
    for _, k in ipairs({ 'code', 'source', 'severity', 'message', 'lnum', 'col', 'end_lnum', 'end_col' }) do
      if want[k] ~= nil then eq(d[k], want[k], string.format('diagnostic %d %s', i, k)) end
    end
  end

  -- 2. Hover: the field's docs and the pod's shutdown timeline.
  if sc.hover then
    local res = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', {
      textDocument = { uri = uri },
      position = { line = sc.hover.line, character = sc.hover.col },
    }, wait_ms)
    local r = res and res[client_id]
    check(r, 'no hover response')
    check(not r.err, 'hover error: ' .. vim.inspect(r.err))
    local contents = r.result and r.result.contents
    check(contents, 'empty hover at ' .. sc.hover.line .. ':' .. sc.hover.col)
    local lines = vim.lsp.util.convert_input_to_markdown_lines(contents)
    local text = table.concat(lines, '\n')
    out(string.format('hover after %s: %d lines', ms(), #lines))
    for _, want in ipairs(sc.hover.contains) do
      check(text:find(want, 1, true), 'hover lacks ' .. vim.inspect(want) .. '; hover was:\n' .. text)
    end
  end

  if not sc.actions then
    out('RESULT: PASS ' .. name)
    return client_id
  end

  -- 3. Code actions at the first diagnostic, with the diagnostics Neovim itself would send.
  local d = diags[1]
  check(d, 'no diagnostic to ask code actions for')
  local context_diags = vim.lsp.diagnostic.get_line_diagnostics(bufnr, d.lnum, {}, client_id)
  local range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } }
  local res = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', {
    textDocument = { uri = uri }, range = range, context = { diagnostics = context_diags },
  }, wait_ms)
  local r = res and res[client_id]
  check(r, 'no codeAction response')
  check(not r.err, 'codeAction error: ' .. vim.inspect(r.err))
  local titles, preferred = {}, {}
  for _, a in ipairs(r.result or {}) do
    table.insert(titles, a.title)
    if a.isPreferred then table.insert(preferred, a.title) end
    out(string.format('  code action: %s kind=%s preferred=%s edit=%s', a.title, tostring(a.kind), tostring(a.isPreferred), tostring(a.edit ~= nil)))
    check(a.edit, 'code action without an inline edit: ' .. a.title)
  end
  eq(titles, sc.actions, 'code action titles')
  eq(preferred, { sc.preferred }, 'preferred code actions')

  -- 4. Apply the preferred fix the way a user does: cursor on the diagnostic,
  -- vim.lsp.buf.code_action(), pick the preferred entry in the vim.ui.select menu.
  local offered
  vim.ui.select = function(items, _, on_choice)
    offered = items
    for i, item in ipairs(items) do
      if item[2].isPreferred then return on_choice(item, i) end
    end
    on_choice(nil, nil)
  end
  local before_tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local before_publishes = #publishes
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  vim.lsp.buf.code_action()
  check(vim.wait(wait_ms, function() return vim.api.nvim_buf_get_changedtick(bufnr) ~= before_tick end, 20),
    'the preferred fix changed nothing within ' .. wait_ms .. ' ms (menu offered ' .. tostring(offered and #offered) .. ' items)')
  out('applied after ' .. ms() .. ': ' .. sc.preferred)
  local text = buffer_text(bufnr)
  for _, want in ipairs(sc.after.contains or {}) do
    check(text:find(want, 1, true), 'buffer lacks ' .. vim.inspect(want) .. '; buffer is:\n' .. text)
  end
  for lnum, want in pairs(sc.after.lines or {}) do
    eq(vim.api.nvim_buf_get_lines(bufnr, lnum, lnum + 1, false)[1], want, 'buffer line ' .. lnum)
  end
  for _, unwanted in ipairs(sc.after.lacks or {}) do
    check(not text:find(unwanted, 1, true), 'buffer still contains ' .. vim.inspect(unwanted))
  end

  -- 5. Neovim sends didChange; the server re-analyses and pushes an empty set.
  local cleared = vim.wait(wait_ms, function()
    return #publishes > before_publishes and #publishes[#publishes].diagnostics == 0 and #vim.diagnostic.get(bufnr) == 0
  end, 20)
  if not cleared then
    local left = {}
    for _, x in ipairs(vim.diagnostic.get(bufnr)) do table.insert(left, string.format('%d:%d %s', x.lnum, x.col, x.message)) end
    fail('diagnostics did not clear within ' .. wait_ms .. ' ms; left: ' .. vim.inspect(left) .. '; buffer is:\n' .. buffer_text(bufnr))
  end
  out('diagnostics cleared after ' .. ms())
  out('RESULT: PASS ' .. name)
  return client_id
end

local ok, res = xpcall(run, function(e)
  if type(e) == 'table' and e.drainguard_fail then return e.drainguard_fail end
  return 'Lua error: ' .. debug.traceback(tostring(e), 2)
end)
if not ok or failed then
  out('FAIL: ' .. tostring(res))
  vim.cmd('cquit 1')
end
vim.lsp.stop_client(res)
vim.wait(2000, function() return vim.lsp.get_client_by_id(res) == nil end, 20)
vim.cmd('qall!')
