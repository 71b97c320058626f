// Archway dashboard: shared helpers and the SVG chart. No framework, no
// build step; every page script uses window.Archway.
'use strict';
(function () {
  const A = (window.Archway = {});
  const SVG = 'http://www.w3.org/2000/svg';

  A.$ = (sel, root) => (root || document).querySelector(sel);
  A.$$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // el builds an element; strings become text nodes (never HTML).
  A.el = function (tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids.flat()) {
      if (k === undefined || k === null || k === false) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  };

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }
  A.svg = svg;

  // status shows a message in the header; errors stay until the next success.
  A.status = function (msg, isError) {
    const s = A.$('#status');
    if (!s) return;
    s.textContent = msg || '';
    s.classList.toggle('error', !!isError);
  };

  // api fetches JSON from the admin API on this origin (the admin token
  // travels in its cookie). Errors carry the status and the server's message.
  A.api = async function (path, opts) {
    opts = opts || {};
    const init = { credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (opts.body !== undefined) {
      init.method = opts.method || 'POST';
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new Error('the admin API is unreachable (' + e.message + ')');
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!res.ok) {
      let msg = (data && (data.message || data.error)) || text || res.statusText;
      if (res.status === 401) msg = 'the admin API needs its token: open the dashboard once as /?token=TOKEN';
      if (res.status === 404 && /^\/api\/(stats|requests)(\?|$)/.test(path)) {
        msg = 'the request store is off on this server (store.driver: off in archway.yaml), so there is nothing to show';
      }
      const err = new Error(path.split('?')[0] + ': ' + res.status + ' ' + msg);
      err.status = res.status;
      throw err;
    }
    return data;
  };

  // query builds a query string from an object, skipping empty values.
  A.query = function (obj) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(obj)) {
      if (v !== undefined && v !== null && v !== '') p.set(k, v);
    }
    const s = p.toString();
    return s ? '?' + s : '';
  };

  A.fmtCount = (n) => (n === undefined || n === null || isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US'));
  A.fmtPct = (x) => (x === undefined || x === null || isNaN(x) ? '–' : (x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1) + '%');
  A.fmtMs = function (ms) {
    if (ms === undefined || ms === null || isNaN(ms)) return '–';
    if (ms >= 10000) return (ms / 1000).toFixed(1) + ' s';
    if (ms >= 1000) return (ms / 1000).toFixed(2) + ' s';
    if (ms >= 10) return Math.round(ms) + ' ms';
    return ms.toFixed(ms >= 1 ? 1 : 2) + ' ms';
  };
  const pad = (n, w) => String(n).padStart(w || 2, '0');
  A.fmtTime = function (t, withDate) {
    const d = t instanceof Date ? t : new Date(t);
    if (isNaN(d)) return '';
    const hms = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
    return withDate ? d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + hms : hms;
  };
  // parseTime reads an RFC 3339 time as milliseconds since the epoch,
  // keeping the microseconds Date.parse drops.
  A.parseTime = function (iso) {
    if (!iso) return NaN;
    const m = /\.(\d+)/.exec(iso);
    if (!m) return Date.parse(iso);
    return Date.parse(iso.replace(m[0], '')) + parseFloat('0.' + m[1]) * 1000;
  };
  A.statusClass = (s) => (s >= 200 && s < 600 ? 's' + Math.floor(s / 100) : '');

  // nanosToMs reads a Go time.Duration (nanoseconds in JSON) as milliseconds.
  A.nanosToMs = (n) => (typeof n === 'number' ? n / 1e6 : undefined);

  // md renders catalog text, turning Markdown `code` spans into <code>.
  A.md = function (text) {
    const parts = String(text || '').split('`');
    if (parts.length % 2 === 0) return [text];
    return parts.map((p, i) => (i % 2 ? A.el('code', { text: p }) : p));
  };

  A.causeLink = function (code) {
    if (!code) return A.el('span', { class: 'muted', text: '—' });
    return A.el('a', { href: '/causes/' + encodeURIComponent(code), class: 'cause' }, A.el('code', { text: code }));
  };

  let apisPromise = null;
  // apis lists the served APIs and their stages and methods (/api/apis).
  A.apis = function () {
    if (!apisPromise) {
      apisPromise = A.api('/api/apis').then((d) => A.normAPIs((d && d.apis) || d || [])).catch((e) => {
        apisPromise = null;
        throw e;
      });
    }
    return apisPromise;
  };

  let causesPromise = null;
  // causes returns the cause catalog keyed by code (/api/causes).
  A.causes = function () {
    if (!causesPromise) {
      causesPromise = A.api('/api/causes').then((d) => {
        const m = {};
        for (const c of d.causes || []) m[c.code] = c;
        return m;
      });
    }
    return causesPromise;
  };

  // poll runs fn now and then every ms while the checkbox (if any) is
  // checked and the page is visible; overlapping runs are skipped.
  A.poll = function (fn, ms, checkbox) {
    let busy = false;
    const run = async () => {
      if (busy) return;
      busy = true;
      try {
        await fn();
      } catch (e) {
        A.status(e.message, true);
      } finally {
        busy = false;
      }
    };
    run();
    setInterval(() => {
      if (document.hidden) return;
      if (checkbox && !checkbox.checked) return;
      run();
    }, ms);
    return run;
  };

  // niceStep rounds a raw tick step up to 1, 2, 2.5 or 5 times a power of
  // ten (no 2.5 for integer axes, and never below 1 there).
  function niceStep(raw, integer) {
    if (!(raw > 0)) return integer ? 1 : 0.25;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]) {
      if (raw <= m * p) return integer ? Math.max(1, m * p) : m * p;
    }
    return 10 * p;
  }

  function timeLabel(ms, span) {
    const d = new Date(ms);
    if (span > 2 * 86400e3) return pad(d.getMonth() + 1) + '-' + pad(d.getDate());
    if (span <= 120e3) return pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    return pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  // chart draws a time-series chart into box as SVG.
  //   o.from, o.to: the x range (ms since the epoch)
  //   o.step: bucket width in ms (bars are one bucket wide)
  //   o.series: [{name, color, points: [[t, v], ...]}]
  //   o.kind: 'bars' (stacked) or 'lines'
  //   o.fmt: formats a y value
  A.chart = function (box, o) {
    const W = Math.max(box.clientWidth, 240);
    const H = Math.max(box.clientHeight - 22, 100);
    const m = { l: 46, r: 10, t: 8, b: 18 };
    const iw = W - m.l - m.r, ih = H - m.t - m.b;
    const fmt = o.fmt || A.fmtCount;
    const span = Math.max(o.to - o.from, 1);
    const x = (t) => m.l + ((t - o.from) / span) * iw;
    let max = 0;
    const stackTop = new Map();
    for (const s of o.series) {
      for (const [t, v] of s.points) {
        if (!(v >= 0)) continue;
        if (o.kind === 'bars') {
          const top = (stackTop.get(t) || 0) + v;
          stackTop.set(t, top);
          max = Math.max(max, top);
        } else {
          max = Math.max(max, v);
        }
      }
    }
    const ymax = 4 * niceStep(max / 4, o.integer);
    const y = (v) => m.t + ih - (v / ymax) * ih;
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': o.label || 'chart', preserveAspectRatio: 'none' });
    for (let i = 0; i <= 4; i++) {
      const v = (ymax * i) / 4, yy = y(v);
      root.append(svg('line', { class: i ? 'grid' : 'axis', x1: m.l, x2: W - m.r, y1: yy, y2: yy }));
      const tx = svg('text', { class: 'tick', x: m.l - 4, y: yy + 3, 'text-anchor': 'end' });
      tx.textContent = fmt(v);
      root.append(tx);
    }
    for (let i = 0; i <= 4; i++) {
      const t = o.from + (span * i) / 4;
      const tx = svg('text', { class: 'tick', x: x(t), y: H - 4, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' });
      tx.textContent = timeLabel(t, span);
      root.append(tx);
    }
    if (max === 0) {
      const tx = svg('text', { class: 'empty', x: m.l + iw / 2, y: m.t + ih / 2, 'text-anchor': 'middle' });
      tx.textContent = 'no requests in this range';
      root.append(tx);
    }
    if (o.kind === 'bars') {
      const bw = Math.max(((o.step || span / 60) / span) * iw - 1, 1);
      const base = new Map();
      for (const s of o.series) {
        for (const [t, v] of s.points) {
          if (!(v > 0)) continue;
          const b0 = base.get(t) || 0;
          base.set(t, b0 + v);
          root.append(svg('rect', { x: x(t), y: y(b0 + v), width: bw, height: Math.max(y(b0) - y(b0 + v), 0.5), fill: s.color, 'data-series': s.name }));
        }
      }
    } else {
      for (const s of o.series) {
        const pts = s.points.filter(([, v]) => v !== null && v !== undefined && !isNaN(v));
        if (!pts.length) continue;
        const d = pts.map(([t, v], i) => (i ? 'L' : 'M') + x(t + (o.step || 0) / 2).toFixed(1) + ' ' + y(v).toFixed(1)).join(' ');
        root.append(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.8, 'stroke-linejoin': 'round', 'data-series': s.name }));
        if (pts.length === 1) {
          root.append(svg('circle', { cx: x(pts[0][0] + (o.step || 0) / 2), cy: y(pts[0][1]), r: 2.5, fill: s.color }));
        }
      }
    }
    const cursor = svg('line', { class: 'axis', x1: 0, x2: 0, y1: m.t, y2: m.t + ih, visibility: 'hidden' });
    root.append(cursor);
    const tip = A.el('div', { class: 'tip' });
    const legend = A.el('div', { class: 'legend' }, o.series.map((s) => {
      const swatch = A.el('i');
      swatch.style.background = s.color; // CSSOM: the CSP forbids style attributes
      return A.el('span', {}, swatch, s.name);
    }));
    root.addEventListener('mousemove', (ev) => {
      const r = root.getBoundingClientRect();
      const px = ((ev.clientX - r.left) / r.width) * W;
      const t = o.from + ((px - m.l) / iw) * span;
      const step = o.step || span / 60;
      const bucket = o.from + Math.floor((t - o.from) / step) * step;
      const lines = [timeLabel(bucket, 0) + (span > 86400e3 ? '' : '')];
      for (const s of o.series) {
        const p = s.points.find(([pt]) => Math.abs(pt - bucket) < step / 2);
        lines.push(s.name + ': ' + (p ? fmt(p[1]) : '–'));
      }
      tip.textContent = lines.join('\n');
      tip.style.display = 'block';
      tip.style.left = Math.min(ev.clientX - r.left + 12, r.width - 120) + 'px';
      tip.style.top = '4px';
      cursor.setAttribute('x1', px);
      cursor.setAttribute('x2', px);
      cursor.setAttribute('visibility', 'visible');
    });
    root.addEventListener('mouseleave', () => {
      tip.style.display = 'none';
      cursor.setAttribute('visibility', 'hidden');
    });
    box.replaceChildren(root, legend, tip);
  };

  // toISO reads a datetime-local input value (local time) as RFC 3339.
  A.toISO = function (local) {
    if (!local) return '';
    const d = new Date(local);
    return isNaN(d) ? '' : d.toISOString();
  };
  // toLocalInput renders an RFC 3339 time for a datetime-local input.
  A.toLocalInput = function (iso) {
    const d = new Date(iso);
    if (isNaN(d)) return '';
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  };
})();

// Normalisers: the one place that knows the JSON shapes of the admin API
// (docs/admin-api.md) and the request store (docs/store.md).
(function (A) {
  const pick = (o, ...keys) => {
    for (const k of keys) if (o && o[k] !== undefined && o[k] !== null) return o[k];
    return undefined;
  };
  A.pick = pick;
  // normRecord reads a store record (GET /api/requests, /api/requests/{id}).
  A.normRecord = function (r) {
    return {
      id: r.requestId,
      extendedId: r.extendedRequestId,
      time: r.time,
      apiId: r.apiId,
      apiName: r.apiName,
      stage: r.stage,
      method: r.method,
      resource: r.resource,
      path: r.path,
      status: r.status,
      integrationStatus: r.integrationStatus,
      latencyMs: r.latencyMs,
      integrationLatencyMs: r.integrationLatencyMs,
      cause: r.cause || '',
      error: r.error || '',
      responseType: r.responseType || '',
      sourceIp: r.sourceIp,
      userAgent: r.userAgent,
      weight: r.weight,
      log: (r.log || []).map((l) => ({ time: l.time, msg: l.message || '' })),
    };
  };
  // normPage reads a page of GET /api/requests: {requests, next}.
  A.normPage = function (d) {
    return { records: (d.requests || []).map(A.normRecord), next: d.next || '' };
  };
  const bucket = (b) => ({
    t: Date.parse(b.start),
    count: b.count || 0,
    c4xx: b['4xx'] || 0,
    c5xx: b['5xx'] || 0,
    p50: b.p50,
    p90: b.p90,
    p99: b.p99,
  });
  // normStats reads GET /api/stats: {series, total, topCauses}; counts are
  // weighted (sampled successes stand for 1/sampleRate requests) and the
  // percentiles are in milliseconds.
  A.normStats = function (d) {
    return {
      buckets: (d.series || []).map(bucket),
      total: bucket(d.total || {}),
      causes: (d.topCauses || []).map((c) => ({ cause: c.cause, count: c.count })),
    };
  };
  // normAPIs reads GET /api/apis: [{id, name, stages: [name], methods: [{method, resource}]}].
  A.normAPIs = function (list) {
    return (list || []).map((a) => {
      const methods = [];
      for (const r of a.resources || []) for (const m of r.methods || []) methods.push({ method: m, resource: r.path });
      return { id: a.id, name: a.name || '', stages: (a.stages || []).map((s) => s.name), methods };
    });
  };
})(window.Archway);

// normInvoke reads a POST /api/test-invoke answer.
window.Archway.normInvoke = function (r) {
  return {
    status: r.status,
    headers: r.multiValueHeaders || r.headers || {},
    body: r.isBase64Encoded ? '(base64) ' + r.body : r.body || '',
    latencyMs: r.latency,
    log: r.log || '',
    cause: r.cause || '',
    fix: r.fix || '',
    requestId: r.requestId || '',
  };
};
