// One request: its facts, cause and fix, a timeline of its phases (from the
// execution log's timestamps and the record's latencies) and the log.
'use strict';
(function (A) {
  const id = A.$('#rid').dataset.id;

  function fact(dl, k, v) {
    if (v === undefined || v === null || v === '') return;
    dl.append(A.el('dt', { text: k }), A.el('dd', {}, v));
  }

  // phases splits the request into method request, integration and
  // response, using the log lines AWS writes at the integration's start and end.
  function phases(r) {
    const t0 = A.parseTime(r.time);
    const end = t0 + (r.latencyMs || 0);
    const at = (re) => {
      const l = r.log.find((x) => re.test(x.msg) && x.time);
      return l ? A.parseTime(l.time) : NaN;
    };
    let is = at(/^Endpoint request URI:/);
    let ie = at(/^Received response\./);
    if (!isNaN(is) && isNaN(ie) && r.integrationLatencyMs > 0) ie = is + r.integrationLatencyMs;
    if (!isNaN(is) && isNaN(ie)) ie = at(/^Execution failed|^Lambda execution failed|^Method completed/);
    const out = [];
    if (!isNaN(is) && !isNaN(ie) && ie >= is) {
      out.push({ name: 'Method request', from: t0, to: is, color: '#4f8bc9' });
      out.push({ name: 'Integration', from: is, to: ie, color: r.cause && /UPSTREAM|INTEGRATION|LAMBDA/.test(r.cause) ? '#d64545' : '#8e5cc4' });
      out.push({ name: 'Response', from: ie, to: Math.max(end, ie), color: '#2e7d32' });
    } else {
      out.push({ name: 'Request', from: t0, to: Math.max(end, t0), color: r.status >= 500 ? '#d64545' : '#4f8bc9' });
    }
    return { t0, end: Math.max(end, ...out.map((p) => p.to)), phases: out };
  }

  function timeline(r) {
    const box = A.$('#timeline');
    const { t0, end, phases: ps } = phases(r);
    const W = Math.max(box.clientWidth, 400), rowH = 26, top = 6;
    const H = top + ps.length * rowH + 34;
    const span = Math.max(end - t0, 0.001);
    const l = 150, rpad = 70, iw = W - l - rpad;
    const x = (t) => l + ((t - t0) / span) * iw;
    const root = A.svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'request timeline' });
    ps.forEach((p, i) => {
      const y = top + i * rowH;
      const name = A.svg('text', { class: 'label', x: 4, y: y + 15 });
      name.textContent = p.name;
      root.append(name);
      root.append(A.svg('rect', { x: x(p.from), y: y + 3, width: Math.max(x(p.to) - x(p.from), 2), height: rowH - 8, rx: 2, fill: p.color, 'data-phase': p.name }));
      const d = A.svg('text', { class: 'sub', x: Math.min(x(p.to) + 4, W - rpad + 4), y: y + 15 });
      d.textContent = A.fmtMs(p.to - p.from);
      root.append(d);
    });
    const axisY = top + ps.length * rowH + 4;
    root.append(A.svg('line', { class: 'axis', x1: l, x2: l + iw, y1: axisY, y2: axisY, stroke: '#dde1e6' }));
    for (const line of r.log) {
      if (!line.time) continue;
      const t = A.parseTime(line.time);
      const tick = A.svg('line', { x1: x(t), x2: x(t), y1: axisY - 4, y2: axisY + 4, stroke: '#5f6b7a' });
      const title = A.svg('title', {});
      title.textContent = '+' + A.fmtMs(t - t0) + '  ' + line.msg;
      tick.append(title);
      root.append(tick);
    }
    for (let i = 0; i <= 4; i++) {
      const t = A.svg('text', { class: 'sub', x: l + (iw * i) / 4, y: axisY + 18, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' });
      t.textContent = '+' + A.fmtMs((span * i) / 4);
      root.append(t);
    }
    box.replaceChildren(root);
  }

  function logText(r) {
    return r.log.map((l) => (l.time ? A.fmtTime(l.time, true) + ' : ' : '') + l.msg).join('\n');
  }

  async function load() {
    let raw;
    try {
      raw = await A.api('/api/requests/' + encodeURIComponent(id));
    } catch (e) {
      const m = A.$('#missing');
      m.hidden = false;
      m.textContent = e.status === 404
        ? 'No stored record has this request id: it was sampled out (successes are sampled; errors are always kept), pruned by retention, or never existed.'
        : e.message;
      return;
    }
    const r = A.normRecord(raw.record || raw);
    const dl = A.$('#facts');
    fact(dl, 'Status', A.el('span', { class: 'badge ' + A.statusClass(r.status), text: r.status }));
    fact(dl, 'Time', A.fmtTime(r.time, true));
    fact(dl, 'API', (r.apiName ? r.apiName + ' ' : '') + '(' + r.apiId + ')');
    fact(dl, 'Stage', r.stage);
    fact(dl, 'Method', r.method);
    fact(dl, 'Path', A.el('code', { text: r.path || '' }));
    fact(dl, 'Resource', A.el('code', { text: r.resource || '(no resource matched)' }));
    fact(dl, 'Latency', A.fmtMs(r.latencyMs));
    if (r.integrationLatencyMs) fact(dl, 'Integration latency', A.fmtMs(r.integrationLatencyMs));
    if (r.integrationStatus) fact(dl, 'Integration status', String(r.integrationStatus));
    if (r.responseType) fact(dl, 'Gateway response', r.responseType);
    if (r.error) fact(dl, 'Error', A.el('code', { text: r.error }));
    fact(dl, 'Extended request id', r.extendedId);
    fact(dl, 'Source IP', r.sourceIp);
    fact(dl, 'User agent', r.userAgent);
    if (r.cause) {
      A.$('#cause-card').hidden = false;
      const link = A.$('#cause-link');
      link.href = '/causes/' + encodeURIComponent(r.cause);
      link.replaceChildren(A.el('code', { text: r.cause }));
      try {
        const info = (await A.causes())[r.cause];
        if (info) {
          A.$('#cause-meaning').replaceChildren(...A.md(info.meaning));
          A.$('#cause-fix').replaceChildren(...A.md(info.fix));
        }
      } catch (e) { /* the link still says where */ }
    }
    A.$('#log').textContent = logText(r) || '(no execution log was kept for this request)';
    A.$('#record').hidden = false;
    timeline(r);
    if (r.resource && r.method) {
      const re = A.$('#rerun');
      re.href = '/invoke' + A.query({ apiId: r.apiId, stage: r.stage, method: r.method, resource: r.resource, path: r.path });
      re.hidden = false;
    }
    document.body.dataset.loaded = '1';
  }
  load();
})(window.Archway);
