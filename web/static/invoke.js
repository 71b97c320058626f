// Test invoke: runs one method of a stage through POST /api/test-invoke
// and shows the status, headers, body, latency and execution log.
'use strict';
(function (A) {
  const form = A.$('#invoke');
  const el = form.elements;
  let apis = [];

  function fill(sel, items, keep, first) {
    const old = keep !== undefined ? keep : sel.value;
    sel.replaceChildren(...(first ? [first] : []), ...items.map(([v, t]) => A.el('option', { value: v, text: t })));
    if (items.some(([v]) => v === old)) sel.value = old;
  }

  function onAPI(keepStage) {
    const a = apis.find((x) => x.id === el.apiId.value) || { stages: [], methods: [] };
    fill(el.stage, a.stages.map((s) => [s, s]), keepStage);
    fill(el.route, a.methods.map((m) => [m.method + ' ' + m.resource, m.method + ' ' + m.resource]), '',
      A.el('option', { value: '', text: '(choose to fill the method and path)' }));
  }

  function onRoute() {
    if (!el.route.value) return;
    const [method, resource] = el.route.value.split(' ');
    if (method !== 'ANY') el.method.value = method;
    el.path.value = resource;
  }

  // parseHeaders reads "Name: value" lines.
  function parseHeaders(text) {
    const h = {};
    for (const line of text.split('\n')) {
      const i = line.indexOf(':');
      if (i <= 0) continue;
      h[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return h;
  }

  function show(res) {
    const r = A.normInvoke(res);
    A.$('#result').hidden = false;
    const st = A.$('#r-status');
    st.textContent = r.status;
    st.className = 'badge ' + A.statusClass(r.status);
    A.$('#r-latency').textContent = r.latencyMs === undefined ? '' : r.latencyMs + ' ms'; // whole ms, as AWS reports it
    const c = A.$('#r-cause');
    c.hidden = !r.cause;
    c.replaceChildren('Cause: ', A.causeLink(r.cause));
    const f = A.$('#r-fix');
    f.hidden = !r.fix;
    f.replaceChildren(A.el('strong', { text: 'Fix: ' }), ...A.md(r.fix));
    A.$('#r-rid').textContent = r.requestId ? 'Request id ' + r.requestId : '';
    A.$('#r-headers').textContent = Object.entries(r.headers).map(([k, v]) => k + ': ' + (Array.isArray(v) ? v.join(', ') : v)).join('\n');
    A.$('#r-body').textContent = r.body;
    A.$('#r-log').textContent = r.log;
    document.body.dataset.invoked = String(Number(document.body.dataset.invoked || 0) + 1);
  }

  async function submit(ev) {
    ev.preventDefault();
    const path = el.path.value.trim();
    const req = {
      apiId: el.apiId.value, stage: el.stage.value, method: el.method.value,
      queryString: el.query.value.trim().replace(/^\?/, ''),
      headers: parseHeaders(el.headers.value), body: el.body.value,
    };
    // A resource template (/pets/{petId}) names the resource; a concrete
    // path is routed like a request.
    if (path.includes('{')) req.resourcePath = path;
    else req.path = path;
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      show(await A.api('/api/test-invoke', { body: req }));
      A.status('invoked ' + req.method + ' ' + path);
    } catch (e) {
      A.status(e.message, true);
    } finally {
      btn.disabled = false;
    }
  }

  async function init() {
    try {
      apis = await A.apis();
    } catch (e) {
      A.status(e.message, true);
      return;
    }
    fill(el.apiId, apis.map((a) => [a.id, a.name ? a.name + ' (' + a.id + ')' : a.id]));
    const p = new URLSearchParams(location.search);
    if (p.get('apiId')) el.apiId.value = p.get('apiId');
    onAPI(p.get('stage') || undefined);
    if (p.get('method')) el.method.value = p.get('method');
    if (p.get('path') || p.get('resource')) el.path.value = p.get('path') || p.get('resource');
    el.apiId.addEventListener('change', () => onAPI());
    el.route.addEventListener('change', onRoute);
    form.addEventListener('submit', submit);
    document.body.dataset.ready = '1';
  }
  init();
})(window.Archway);
