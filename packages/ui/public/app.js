// The pipeline page: renders server-sent snapshots (no build step; uPlot is the only library in the browser).
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const token = params.get('token') || sessionStorage.getItem('seda-token') || '';
  if (token) sessionStorage.setItem('seda-token', token);
  const auth = token ? { authorization: `Bearer ${token}` } : {};
  const svgNs = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  let snapshot = null;
  let selected = null;
  const lagSeries = [[], []];
  let chart = null;

  const fmt = (n, digits = 1) => (n === null || n === undefined ? '–' : Number.isFinite(n) ? (Math.abs(n) >= 100 ? Math.round(n).toString() : n.toFixed(digits)) : '∞');
  const dur = (s) => (s === null || s === undefined ? '∞' : s < 120 ? `${fmt(s)} s` : s < 7200 ? `${fmt(s / 60)} min` : `${fmt(s / 3600)} h`);
  const el = (name, attrs = {}, text) => {
    const e = document.createElementNS(svgNs, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };

  function render(s) {
    snapshot = s;
    $('updated').textContent = `updated ${new Date(s.at).toLocaleTimeString()}${s.announcing ? '' : ' · no stage announces itself (were they run with --no-announce?)'}`;
    $('warnings').textContent = s.warnings.slice(0, 3).join(' · ');
    $('rule-list').replaceChildren(...s.rules.map((r) => Object.assign(document.createElement('li'), { textContent: r })));
    const svg = $('graph');
    // Scaled to the pane (50 stages still fit; zoom with the browser).
    svg.setAttribute('viewBox', `0 0 ${Math.max(400, s.width)} ${Math.max(120, s.height)}`);
    svg.setAttribute('width', '100%');
    svg.style.maxHeight = `${Math.max(160, Math.min(s.height, 900))}px`;
    const defs = el('defs');
    const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' });
    marker.append(el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#667' }));
    defs.append(marker);
    const parts = [defs];
    for (const e of s.edges) {
      const g = el('g', { class: `edge clickable${e.dlq ? ' dlq' : ''}`, 'data-from': e.from, 'data-to': e.to, 'data-topic': e.topic });
      if (e.lag) {
        g.setAttribute('data-status', e.lag.status);
        g.setAttribute('data-lag-records', e.lag.records);
        g.setAttribute('data-lag-seconds', e.lag.seconds.toFixed(1));
      }
      g.append(el('path', { d: e.points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ') }));
      const mid = e.points[Math.floor(e.points.length / 2)];
      g.append(el('text', { x: mid.x, y: mid.y - 4, 'text-anchor': 'middle' }, e.topic));
      if (e.lag) g.append(el('text', { x: mid.x, y: mid.y + 10, 'text-anchor': 'middle', class: 'lag' }, `lag ${e.lag.records} · ${dur(e.lag.seconds)} · ${e.lag.status}`));
      g.addEventListener('click', () => showEdge(e.id));
      parts.push(g);
    }
    for (const n of s.nodes) {
      const down = (n.kind === 'stage' || n.kind === 'source') && n.up === 0;
      const g = el('g', { class: `node ${n.kind}${down ? ' down' : ''} clickable`, 'data-id': n.id, 'data-name': n.name, transform: `translate(${n.x - n.width / 2},${n.y - n.height / 2})` });
      g.append(el('rect', { width: n.width, height: n.height }));
      g.append(el('text', { x: 8, y: 16, class: 'title' }, n.kind === 'topic' || n.kind === 'dlq' ? `${n.kind === 'dlq' ? 'DLQ ' : ''}${n.name}` : n.name));
      if (n.kind === 'stage' || n.kind === 'source') {
        g.append(el('text', { x: 8, y: 31, class: 'instances' }, `${n.up} up${n.stale ? ` · ${n.stale} stale` : ''}${n.mode ? ` · ${n.mode}` : ''}`));
        if (n.metrics) g.append(el('text', { x: 8, y: 46 }, `in ${fmt(n.metrics.inPerSec)}/s · out ${fmt(n.metrics.outPerSec)}/s · dlq ${n.metrics.deadLetters}`));
      } else if (n.kind === 'group') g.append(el('text', { x: 8, y: 31 }, 'consumer group (not seda)'));
      g.addEventListener('click', () => showNode(n.id));
      parts.push(g);
    }
    svg.replaceChildren(...parts);
    if (selected) (selected.kind === 'node' ? showNode : showEdge)(selected.id);
    const total = s.edges.reduce((n, e) => n + (e.lag ? e.lag.records : 0), 0);
    lagSeries[0].push(s.at / 1000);
    lagSeries[1].push(total);
    if (lagSeries[0].length > 300) lagSeries.forEach((a) => a.shift());
    if (window.uPlot) {
      if (!chart) chart = new uPlot({ width: 330, height: 140, series: [{}, { label: 'lag', stroke: '#4a6fd1' }], axes: [{}, {}] }, lagSeries, $('chart'));
      else chart.setData(lagSeries);
    }
    const topics = s.dlqTopics;
    const sel = $('dlq-topic');
    if ([...sel.options].map((o) => o.value).join() !== topics.join()) {
      const cur = sel.value;
      sel.replaceChildren(...topics.map((t) => Object.assign(document.createElement('option'), { value: t, textContent: t })));
      if (topics.includes(cur)) sel.value = cur;
      loadDlq();
    }
  }

  function kv(rows) {
    const t = document.createElement('table');
    for (const [k, v] of rows) {
      const tr = t.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = v;
    }
    return t;
  }

  function showNode(id) {
    const n = snapshot && snapshot.nodes.find((x) => x.id === id);
    if (!n) return;
    selected = { kind: 'node', id };
    const rows = [['kind', n.kind], ['group', n.group || '–'], ['mode', n.mode || '–'], ['input', n.input || '–'], ['DLQ', n.dlq || '–'], ['instances up', `${n.up}${n.stale ? ` (${n.stale} stale)` : ''}`]];
    if (n.metrics) {
      const m = n.metrics;
      rows.push(['records in/s', fmt(m.inPerSec)], ['records out/s', fmt(m.outPerSec)], ['dead letters', m.deadLetters], ['retries', m.retries], ['rebalances', m.rebalances]);
      if (m.stateBytes !== undefined) rows.push(['state size', `${fmt(m.stateBytes / 1024)} KiB`]);
      if (m.restoreRemaining !== undefined) rows.push(['restore remaining', m.restoreRemaining]);
    } else rows.push(['metrics', 'not served (run with --metrics-port)']);
    for (const i of n.instances) rows.push([`instance ${i.instance}`, `${i.stale ? 'stale' : 'up'}, heartbeat ${fmt(i.ageMs / 1000)} s ago, started ${i.startedAt}`]);
    $('detail').replaceChildren(Object.assign(document.createElement('h2'), { textContent: n.name }), kv(rows));
  }

  function showEdge(id) {
    const e = snapshot && snapshot.edges.find((x) => x.id === id);
    if (!e) return;
    selected = { kind: 'edge', id };
    const rows = [['topic', e.topic], ['from', e.from], ['to', e.to]];
    if (e.lag) rows.push(['group', e.group], ['lag (records)', e.lag.records], ['lag (seconds)', fmt(e.lag.seconds)], ['consume rate', `${fmt(e.lag.consumePerSec)}/s`], ['inflow rate', `${fmt(e.lag.inflowPerSec)}/s`], ['time to drain', dur(e.lag.drainSeconds)], ['status', e.lag.status]);
    $('detail').replaceChildren(Object.assign(document.createElement('h2'), { textContent: e.topic }), kv(rows));
  }

  async function api(path, init = {}) {
    const res = await fetch(path, { ...init, headers: { ...auth, ...(init.headers || {}) } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || `${res.status}`);
    return body;
  }

  async function loadDlq() {
    const topic = $('dlq-topic').value;
    const tbody = $('dlq-table').tBodies[0];
    if (!topic) return tbody.replaceChildren();
    const code = $('dlq-code').value;
    try {
      const list = await api(`/api/dlq/${encodeURIComponent(topic)}${code ? `?code=${encodeURIComponent(code)}` : ''}`);
      const codes = $('dlq-code');
      const known = ['', ...Object.keys(list.codes)];
      if ([...codes.options].map((o) => o.value).join() !== known.join()) {
        codes.replaceChildren(...known.map((c) => Object.assign(document.createElement('option'), { value: c, textContent: c || 'all' })));
        codes.value = code;
      }
      tbody.replaceChildren(
        ...list.deadLetters.map((d) => {
          const tr = document.createElement('tr');
          tr.className = 'dl';
          tr.dataset.partition = d.partition;
          tr.dataset.offset = d.offset;
          tr.dataset.code = d.code;
          const box = Object.assign(document.createElement('input'), { type: 'checkbox', className: 'pick' });
          tr.insertCell().append(box);
          for (const v of [d.partition, d.offset, d.code, d.error, `${d.source.topic}/${d.source.partition}@${d.source.offset}`, d.key ?? '', d.value ?? '', d.replayed ? `→ ${d.replayed.to}@${d.replayed.offset}` : '']) {
            const td = tr.insertCell();
            td.textContent = String(v);
            if (v === d.value) td.className = 'value';
          }
          const b = Object.assign(document.createElement('button'), { textContent: 'Replay', className: 'replay-one' });
          b.addEventListener('click', () => replay({ offsets: [{ partition: d.partition, offset: d.offset }] }));
          tr.insertCell().append(b);
          return tr;
        }),
      );
    } catch (err) {
      $('replay-result').textContent = `dead letters: ${err.message}`;
    }
  }

  async function replay(selection) {
    const topic = $('dlq-topic').value;
    const to = $('dlq-to').value.trim();
    try {
      const r = await api(`/api/dlq/${encodeURIComponent(topic)}/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...selection, ...(to ? { to } : {}), force: $('dlq-force').checked }),
      });
      $('replay-result').textContent = `${r.replayed.length} replayed, ${r.skipped.length} skipped (already replayed)`;
    } catch (err) {
      $('replay-result').textContent = `replay refused: ${err.message}`;
    }
    loadDlq();
  }

  $('dlq-topic').addEventListener('change', loadDlq);
  $('dlq-code').addEventListener('change', loadDlq);
  $('replay-all').addEventListener('click', () => replay({ all: true }));
  $('replay-selected').addEventListener('click', () => {
    const offsets = [...document.querySelectorAll('tr.dl')].filter((tr) => tr.querySelector('input.pick').checked).map((tr) => ({ partition: Number(tr.dataset.partition), offset: Number(tr.dataset.offset) }));
    if (offsets.length === 0) $('replay-result').textContent = 'select dead letters first';
    else replay({ offsets });
  });
  setInterval(() => { if ($('dlq-topic').value) loadDlq(); }, 5000);

  const events = new EventSource(`/api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  events.onmessage = (m) => render(JSON.parse(m.data));
  events.onerror = () => { $('updated').textContent = 'connection lost; retrying…'; };
})();
