// Request explorer: filters (kept in the URL so links such as
// /requests?cause=X work), newest first, live while on the first page.
'use strict';
(function (A) {
  const form = A.$('#filters'), body = A.$('#results tbody'), more = A.$('#more'), live = A.$('#live');
  const fields = ['apiId', 'stage', 'method', 'resource', 'status', 'cause', 'from', 'to'];
  let next = '';
  let paged = false;
  let current = {}; // the filters of the last search: live refreshes reuse them

  function filters() {
    const f = {};
    for (const k of fields) {
      const v = form.elements[k].value.trim();
      f[k] = k === 'from' || k === 'to' ? A.toISO(v) : v;
    }
    return f;
  }

  function fromURL() {
    const p = new URLSearchParams(location.search);
    for (const k of fields) {
      const v = p.get(k);
      if (v === null) continue;
      const input = form.elements[k];
      if (k === 'from' || k === 'to') input.value = A.toLocalInput(v);
      else if (input.tagName === 'SELECT' && !Array.from(input.options).some((o) => o.value === v)) {
        input.append(A.el('option', { value: v, text: v }));
        input.value = v;
      } else input.value = v;
    }
  }

  function row(r) {
    const href = '/requests/' + encodeURIComponent(r.id);
    return A.el('tr', { class: 'row', 'data-id': r.id, 'data-status': r.status, 'data-cause': r.cause, onclick: (ev) => {
      if (ev.target.closest('a')) return;
      location.href = href;
    } },
      A.el('td', { class: 'mono', title: A.fmtTime(r.time, true) }, A.el('a', { href, text: A.fmtTime(r.time) })),
      A.el('td', { text: r.method || '' }),
      A.el('td', { class: 'mono', text: r.path || '' }),
      A.el('td', { class: 'mono', text: r.resource || '' }),
      A.el('td', { text: (r.apiName || r.apiId || '') + ' / ' + (r.stage || '') }),
      A.el('td', { class: 'num ' + A.statusClass(r.status), text: r.status }),
      A.el('td', {}, A.causeLink(r.cause)),
      A.el('td', { class: 'num', text: A.fmtMs(r.latencyMs) }));
  }

  async function load(append) {
    const q = Object.assign({}, current, { limit: 100 });
    if (append) q.cursor = next;
    const page = A.normPage(await A.api('/api/requests' + A.query(q)));
    const rows = page.records.map(row);
    if (append) body.append(...rows);
    else if (rows.length) body.replaceChildren(...rows);
    else body.replaceChildren(A.el('tr', { class: 'empty' }, A.el('td', { colspan: 8, text: 'No requests match.' })));
    next = page.next;
    more.hidden = !next;
    A.status('updated ' + A.fmtTime(new Date()).slice(0, 8));
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
  }

  async function init() {
    try {
      const apis = await A.apis();
      const sel = form.elements.apiId;
      for (const a of apis) sel.append(A.el('option', { value: a.id, text: a.name ? a.name + ' (' + a.id + ')' : a.id }));
      const resources = new Set();
      for (const a of apis) for (const m of a.methods) resources.add(m.resource);
      A.$('#resource-list').replaceChildren(...[...resources].sort().map((r) => A.el('option', { value: r })));
    } catch (e) {
      A.status(e.message, true);
    }
    try {
      const causes = await A.causes();
      A.$('#cause-list').replaceChildren(...Object.keys(causes).map((c) => A.el('option', { value: c })));
    } catch (e) { /* the field still takes any code */ }
    fromURL();
    current = filters();
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = filters();
      current = f;
      history.replaceState(null, '', location.pathname + A.query(f));
      paged = false;
      load(false).catch((e) => A.status(e.message, true));
    });
    form.addEventListener('reset', () => {
      setTimeout(() => form.requestSubmit(), 0);
    });
    more.addEventListener('click', () => {
      paged = true;
      load(true).catch((e) => A.status(e.message, true));
    });
    A.poll(() => (paged ? Promise.resolve() : load(false)), 5000, live);
  }
  init();
})(window.Archway);
