// Overview: per API and stage, requests, 4XX/5XX rates and latency
// percentiles over time from /api/stats, refreshed every 5 s.
'use strict';
(function (A) {
  const scopeSel = A.$('#scope'), rangeSel = A.$('#range'), live = A.$('#live');
  const color = { ok: 'var(--c2xx)', c4: 'var(--c4xx)', c5: 'var(--c5xx)' };
  let scopes = [];

  // bucketFor picks a bucket giving about 60 points over the range.
  function bucketFor(rangeSec) {
    for (const b of [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]) if (rangeSec / b <= 90) return b;
    return 3600;
  }

  function scope() {
    const v = scopeSel.value;
    if (!v) return { apiId: '', stage: '' };
    const [apiId, stage] = v.split('\u0000');
    return { apiId, stage };
  }

  function window_() {
    const range = Number(rangeSel.value);
    const bucket = bucketFor(range);
    const to = Math.ceil(Date.now() / (bucket * 1000)) * bucket * 1000;
    const from = to - range * 1000;
    return { from, to, bucket };
  }

  async function stats(w, sc, bucket) {
    const d = await A.api('/api/stats' + A.query({
      from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString(),
      bucket: bucket + 's', apiId: sc.apiId, stage: sc.stage,
    }));
    return A.normStats(d);
  }

  function tiles(total) {
    const rate = (n) => (total.count ? n / total.count : undefined);
    A.$('#t-count').textContent = A.fmtCount(total.count);
    A.$('#t-4xx').textContent = A.fmtPct(rate(total.c4xx));
    A.$('#t-5xx').textContent = A.fmtPct(rate(total.c5xx));
    A.$('#t-p50').textContent = A.fmtMs(total.p50);
    A.$('#t-p90').textContent = A.fmtMs(total.p90);
    A.$('#t-p99').textContent = A.fmtMs(total.p99);
  }

  function charts(s, w) {
    const step = w.bucket * 1000;
    const b = s.buckets;
    A.chart(A.$('#c-count'), {
      label: 'requests per bucket', kind: 'bars', integer: true, from: w.from, to: w.to, step,
      series: [
        { name: '2XX/3XX', color: color.ok, points: b.map((x) => [x.t, x.count - x.c4xx - x.c5xx]) },
        { name: '4XX', color: color.c4, points: b.map((x) => [x.t, x.c4xx]) },
        { name: '5XX', color: color.c5, points: b.map((x) => [x.t, x.c5xx]) },
      ],
    });
    const withReq = b.filter((x) => x.count > 0);
    A.chart(A.$('#c-errors'), {
      label: 'error rates', kind: 'lines', from: w.from, to: w.to, step, fmt: A.fmtPct,
      series: [
        { name: '4XX rate', color: color.c4, points: withReq.map((x) => [x.t, x.c4xx / x.count]) },
        { name: '5XX rate', color: color.c5, points: withReq.map((x) => [x.t, x.c5xx / x.count]) },
      ],
    });
    A.chart(A.$('#c-latency'), {
      label: 'latency percentiles', kind: 'lines', from: w.from, to: w.to, step, fmt: A.fmtMs,
      series: [
        { name: 'p50', color: '#4f8bc9', points: withReq.map((x) => [x.t, x.p50]) },
        { name: 'p90', color: '#8e5cc4', points: withReq.map((x) => [x.t, x.p90]) },
        { name: 'p99', color: '#d64545', points: withReq.map((x) => [x.t, x.p99]) },
      ],
    });
  }

  async function topCauses(s, w, sc) {
    const body = A.$('#causes tbody');
    if (!s.causes.length) {
      body.replaceChildren(A.el('tr', { class: 'empty' }, A.el('td', { colspan: 3, text: 'No errors in this range.' })));
      return;
    }
    let catalog = {};
    try { catalog = await A.causes(); } catch (e) { /* links still work */ }
    body.replaceChildren(...s.causes.map((c) => {
      const q = A.query({ cause: c.cause, apiId: sc.apiId, stage: sc.stage, from: new Date(w.from).toISOString() });
      const info = catalog[c.cause];
      return A.el('tr', { 'data-cause': c.cause },
        A.el('td', {}, A.causeLink(c.cause)),
        A.el('td', { class: 'num' }, A.el('a', { href: '/requests' + q, class: 'requests-link', title: 'requests with this cause' }, A.fmtCount(c.count))),
        A.el('td', {}, info ? A.md(info.fix) : '', ' ', A.el('a', { href: '/causes/' + encodeURIComponent(c.cause), text: 'more' })));
    }));
  }

  async function perScope(w) {
    const body = A.$('#scopes tbody');
    if (!scopes.length) return;
    const range = (w.to - w.from) / 1000;
    const rows = await Promise.all(scopes.slice(0, 24).map(async (sc) => {
      let t = null;
      try { t = (await stats(w, sc, range)).total; } catch (e) { t = null; }
      const cls = t && t.c5xx ? 's5' : '';
      const q = A.query({ apiId: sc.apiId, stage: sc.stage });
      return A.el('tr', {},
        A.el('td', {}, A.el('a', { href: '/requests' + q }, sc.name || sc.apiId), ' ', A.el('span', { class: 'muted', text: sc.name ? '(' + sc.apiId + ')' : '' })),
        A.el('td', { text: sc.stage }),
        A.el('td', { class: 'num', text: t ? A.fmtCount(t.count) : '–' }),
        A.el('td', { class: 'num', text: t && t.count ? A.fmtPct(t.c4xx / t.count) : '–' }),
        A.el('td', { class: 'num ' + cls, text: t && t.count ? A.fmtPct(t.c5xx / t.count) : '–' }),
        A.el('td', { class: 'num', text: t ? A.fmtMs(t.p99) : '–' }));
    }));
    body.replaceChildren(...rows);
  }

  // reloads lists the last start and reload attempts (/api/reloads).
  async function reloads() {
    const d = await A.api('/api/reloads');
    const list = (d.reloads || []).slice().sort((a, b) => Date.parse(b.time) - Date.parse(a.time)).slice(0, 8);
    if (!list.length) return;
    A.$('#reloads tbody').replaceChildren(...list.map((r) => A.el('tr', {},
      A.el('td', { class: 'mono', text: A.fmtTime(r.time, true) }),
      A.el('td', { text: r.trigger }),
      A.el('td', { class: r.success ? 's2' : 's5', text: r.success ? 'serving' : 'failed: ' + (r.error || '') }),
      A.el('td', { class: 'num', text: A.fmtMs(r.durationMs) }))));
  }

  // store shows the request store's counters (/api/stats/store).
  async function store() {
    let d;
    try {
      d = await A.api('/api/stats/store');
    } catch (e) {
      return; // not every admin listener serves it
    }
    const dl = A.$('#store');
    const row = (k, v) => [A.el('dt', { text: k }), A.el('dd', { text: v })];
    dl.replaceChildren(
      ...row('Backend', d.driver),
      ...row('Successes kept', A.fmtPct(d.sampleRate)),
      ...row('Written', A.fmtCount(d.written)),
      ...row('Sampled out', A.fmtCount(d.sampledOut)),
      ...row('Dropped', A.fmtCount(d.dropped) + (d.dropped ? ' (queue full ' + A.fmtCount(d.droppedQueueFull) + ', write failed ' + A.fmtCount(d.droppedWriteFailed) + ')' : '')),
      ...row('Pending', A.fmtCount(d.pending) + ' of ' + A.fmtCount(d.queueSize)));
    A.$('#store-card').hidden = false;
  }

  let tick = 0;
  async function refresh() {
    const w = window_();
    const sc = scope();
    const s = await stats(w, sc, w.bucket);
    tiles(s.total);
    charts(s, w);
    await topCauses(s, w, sc);
    if (tick++ % 3 === 0) await Promise.all([perScope(w), reloads().catch((e) => A.status(e.message, true)), store()]);
    A.status('updated ' + A.fmtTime(new Date()).slice(0, 8));
    document.body.dataset.loaded = String(tick);
  }

  async function init() {
    const saved = new URLSearchParams(location.search);
    try {
      const apis = await A.apis();
      for (const a of apis) {
        for (const st of a.stages) {
          scopes.push({ apiId: a.id, name: a.name, stage: st });
          scopeSel.append(A.el('option', { value: a.id + '\u0000' + st, text: (a.name || a.id) + ' / ' + st }));
        }
      }
    } catch (e) {
      A.status(e.message, true);
    }
    if (saved.get('apiId')) scopeSel.value = saved.get('apiId') + '\u0000' + (saved.get('stage') || '');
    if (saved.get('range')) rangeSel.value = saved.get('range');
    const run = A.poll(refresh, 5000, live);
    const changed = () => {
      const sc = scope();
      history.replaceState(null, '', location.pathname + A.query({ apiId: sc.apiId, stage: sc.stage, range: rangeSel.value === '3600' ? '' : rangeSel.value }));
      tick = 0;
      run();
    };
    scopeSel.addEventListener('change', changed);
    rangeSel.addEventListener('change', changed);
    let resize;
    window.addEventListener('resize', () => { clearTimeout(resize); resize = setTimeout(run, 200); });
  }
  init();
})(window.Archway);
