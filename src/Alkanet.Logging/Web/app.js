// The logger's page: plain JS over the JSON API (docs/LOGGING.md). Read-only without the token.
'use strict';
const $ = s => document.querySelector(s);
const state = { run: null, token: sessionStorage.getItem('alkanet-token') || '', authorized: false, lastNo: -1, tailKey: '', view: 'trace', samples: {} };

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.token) headers['X-Alkanet-Token'] = state.token;
  const res = await fetch(path, Object.assign({}, options, { headers }));
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  if (!res.ok) throw Object.assign(new Error((body && body.error) || res.statusText), { status: res.status, body });
  return body;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

async function checkToken() {
  state.authorized = false;
  if (state.token) {
    try { await api('/api/auth'); state.authorized = true; } catch { state.authorized = false; }
  }
  $('#mode').textContent = state.authorized ? 'control enabled' : (state.token ? 'wrong token: read-only' : 'read-only');
  $('#mode').className = 'badge' + (state.authorized ? ' control' : '');
  for (const b of document.querySelectorAll('button.ctl')) b.disabled = !state.authorized;
}

async function refreshRuns() {
  const runs = await api('/api/runs');
  const tbody = $('#runs tbody');
  tbody.replaceChildren(...runs.map(r => {
    const tr = el('tr', { 'data-run': r.runId, class: r.runId === state.run ? 'selected' : '' },
      el('td', { text: r.runId }), el('td', { text: r.state }), el('td', { text: String(r.recordCount) }),
      el('td', { text: String(r.lossRecords) }), el('td', { class: r.connected ? 'live' : '', text: r.connected ? 'connected' : '-' }));
    tr.addEventListener('click', () => selectRun(r.runId));
    return tr;
  }));
  if (state.run) {
    const r = runs.find(x => x.runId === state.run);
    if (r) showSummary(r);
  }
  const events = await api('/api/events');
  $('#events').replaceChildren(...events.slice(-30).reverse().map(e =>
    el('li', { text: `${e.at.substring(11, 19)} ${e.remote} ${e.runId || ''}: ${e.what}` })));
}

function showSummary(r) {
  const st = r.status ? ` · tracer ${r.status.state}, ${Math.round(r.status.recordsPerSecond)} rec/s, buffer ${r.status.bufferedRecords}/${r.status.bufferCapacity}, dropped ${r.status.droppedRecords}` : '';
  $('#run-summary').textContent = `${r.state} · no ${r.firstNo}..${r.lastNo} · ${r.recordCount} records · ${r.lossRecords} lost · ` +
    `${r.connected ? 'tracer connected from ' + r.remote : 'no tracer connected'}${st}`;
  $('#run-summary').dataset.records = r.recordCount;
  // a live run's report covers what was stored when it was made: say when more has arrived since
  const since = state.reportRecords == null ? 0 : r.recordCount - state.reportRecords;
  $('#report-stale').textContent = since > 0 ? `${since} records stored since this report: Show report to update it` : '';
}

function selectRun(id) {
  state.run = id;
  state.lastNo = -1;
  $('#run-pane').hidden = false;
  $('#run-title').textContent = 'Run ' + id;
  $('#tail tbody').replaceChildren();
  $('#control-result').textContent = '';
  for (const tr of document.querySelectorAll('#runs tbody tr')) tr.classList.toggle('selected', tr.dataset.run === id);
  $('#rp-sample').value = state.samples[id] || '';
  clearReport('');
  refreshRuns();
  refreshTail(true);
  refreshStats();
  if (state.view === 'report') loadReport();
}

// The report view: one analysis of what is stored so far (the logger caches it until new records arrive).
function showView(view) {
  state.view = view;
  for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t.dataset.view === view);
  $('#view-trace').hidden = view !== 'trace';
  $('#view-report').hidden = view !== 'report';
  if (view === 'report') loadReport();
}

function clearReport(status) {
  state.reportRecords = null;
  $('#report-stale').textContent = '';
  $('#report-status').textContent = status;
  $('#report-candidates').replaceChildren();
  $('#report-findings').replaceChildren();
  $('#report-frame').hidden = true;
  $('#report-frame').removeAttribute('src');
  $('#report-open').hidden = true;
}

async function loadReport() {
  if (!state.run) return;
  const run = state.run, sample = $('#rp-sample').value.trim();
  state.samples[run] = sample;
  const q = sample ? '?sample=' + encodeURIComponent(sample) : '';
  const id = encodeURIComponent(run);
  clearReport('analysing the stored records…');
  let rep;
  try {
    rep = await api(`/api/runs/${id}/report${q}`);
  } catch (e) {
    if (run !== state.run) return;
    clearReport((e.status === 409 ? '' : 'no report: ') + e.message);
    const candidates = (e.body && e.body.candidates) || [];
    $('#report-candidates').replaceChildren(...candidates.map(c => {
      const b = el('button', { type: 'button', 'data-spec': c.spec, text: `${c.name} (pid ${c.pid}, ${c.calls} calls${c.createdInLog ? ', created in the log' : ''})` });
      b.addEventListener('click', () => { $('#rp-sample').value = c.spec; loadReport(); });
      return el('li', {}, b);
    }));
    return;
  }
  if (run !== state.run) return;
  state.reportRecords = rep.input.records;
  const findings = rep.findings || [];
  $('#report-status').textContent = `sample ${rep.sample.spec} (chosen by ${rep.sample.chosen_by}) · ${rep.processes.length} processes · ` +
    `${findings.length} findings · ${rep.input.records} records analysed`;
  $('#report-findings').replaceChildren(...findings.map(f => el('li', { class: 'sev-' + f.severity, 'data-rule': f.rule,
    text: `${f.severity}: ${f.title} (${f.rule}${f.attack.length ? '; ' + f.attack.map(a => a.id).join(', ') : ''})` })));
  const src = `/runs/${id}/report.html${q}`;
  $('#report-frame').src = src;
  $('#report-frame').hidden = false;
  $('#report-open').href = src;
  $('#report-open').hidden = false;
}

function tailQuery() {
  const p = new URLSearchParams();
  const proc = $('#tf-proc').value.trim(), pid = $('#tf-pid').value.trim(), call = $('#tf-call').value.trim();
  if (proc) p.set('proc', proc);
  if (pid) p.set('pid', pid);
  if (call) p.set('call', call);
  return p;
}

function info(r) {
  return Object.entries(r.additional_info || {}).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}

function fmtTime(ns) {
  if (ns === undefined || ns === null) return '';
  const d = new Date(Number(BigInt(ns) / 1000000n));
  return d.toISOString().substring(11, 23);
}

async function refreshTail(reset) {
  if (!state.run) return;
  const p = tailQuery();
  const key = state.run + '?' + p.toString();
  if (reset || key !== state.tailKey) { state.lastNo = -1; state.tailKey = key; $('#tail tbody').replaceChildren(); }
  if (!$('#tf-follow').checked && !reset) return;
  p.set('tail', '1');
  p.set('limit', '100');
  if (state.lastNo >= 0) p.set('after', String(state.lastNo));
  const records = await api(`/api/runs/${encodeURIComponent(state.run)}/records?${p}`);
  if (!records.length) return;
  const tbody = $('#tail tbody');
  const rows = records.map(r => el('tr', { 'data-no': String(r.no), class: r.logtype === 'LOSS' ? 'loss' : '' },
    el('td', { text: String(r.no) }), el('td', { text: fmtTime(r.timestamp_ns) }), el('td', { text: String(r.cpu_id) }),
    el('td', { text: r.logtype }), el('td', { text: `${r.proc_pid}/${r.proc_tid}` }), el('td', { text: r.proc_name }),
    el('td', { text: r.name }), el('td', { text: r.ret_val }), el('td', { class: 'info', text: info(r) })));
  tbody.prepend(...rows.reverse());
  while (tbody.rows.length > 200) tbody.deleteRow(tbody.rows.length - 1);
  state.lastNo = records[records.length - 1].no;
}

async function refreshStats() {
  if (!state.run) return;
  const id = encodeURIComponent(state.run);
  const s = await api(`/api/runs/${id}/stats`);
  const table = (title, rows) => el('table', { class: 'counts' },
    el('thead', {}, el('tr', {}, el('th', { text: title }), el('th', { text: 'records' }))),
    el('tbody', {}, ...rows.slice(0, 12).map(x => el('tr', {}, el('td', { text: x.key }), el('td', { text: String(x.count) })))));
  $('#stats').replaceChildren(
    el('p', { text: `ENTER ${s.enterCount} · EXIT ${s.exitCount} · LOSS markers ${s.lossMarkers}` }),
    table('call', s.calls), table('process', s.processes));
  const procs = await api(`/api/runs/${id}/processes`);
  $('#tree').replaceChildren(buildTree(procs));
}

function buildTree(procs) {
  const byPid = new Map(), children = new Map();
  for (const p of procs) { if (!byPid.has(p.pid)) byPid.set(p.pid, []); byPid.get(p.pid).push(p); }
  const roots = [];
  for (const p of procs) {
    if (p.ppid && byPid.has(p.ppid) && p.ppid !== p.pid) {
      if (!children.has(p.ppid)) children.set(p.ppid, []);
      children.get(p.ppid).push(p);
    } else roots.push(p);
  }
  const seen = new Set();
  const render = list => el('ul', {}, ...list.map(p => {
    const li = el('li', { 'data-pid': p.pid, text: `${p.name} (pid ${p.pid}${p.ppid ? ', parent ' + p.ppid : ''}) · ${p.records} records` });
    if (!seen.has(p.pid)) { seen.add(p.pid); const c = children.get(p.pid); if (c) li.append(render(c)); }
    return li;
  }));
  return render(roots);
}

async function control(cmd) {
  const body = { command: cmd };
  if (cmd === 'setfilter') { body.processes = $('#cf-procs').value; body.pids = $('#cf-pids').value; body.calls = $('#cf-calls').value; }
  try {
    const res = await api(`/api/runs/${encodeURIComponent(state.run)}/control`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    $('#control-result').textContent = cmd === 'statusrequest'
      ? `tracer ${res.state}: ${Math.round(res.recordsPerSecond)} records/s, ${res.recordsWritten} written, buffer ${res.bufferedRecords}/${res.bufferCapacity}, ${res.droppedRecords} dropped, acked through ${res.lastAckedNo}, filter ${res.filter}`
      : `sent ${res.sent}${res.filter ? ' (' + res.filter + ')' : ''}`;
  } catch (e) {
    $('#control-result').textContent = `failed: ${e.message}`;
  }
}

$('#auth').addEventListener('submit', ev => {
  ev.preventDefault();
  state.token = $('#token').value.trim();
  sessionStorage.setItem('alkanet-token', state.token);
  checkToken();
});
for (const b of document.querySelectorAll('button.ctl')) b.addEventListener('click', () => control(b.dataset.cmd));
for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => showView(t.dataset.view));
$('#report-form').addEventListener('submit', ev => { ev.preventDefault(); loadReport(); });
for (const i of ['#tf-proc', '#tf-pid', '#tf-call']) $(i).addEventListener('change', () => refreshTail(true));

$('#token').value = state.token;
checkToken();
refreshRuns().catch(() => {});
setInterval(() => refreshRuns().catch(() => {}), 2000);
setInterval(() => refreshTail(false).catch(() => {}), 500);
setInterval(() => refreshStats().catch(() => {}), 5000);
