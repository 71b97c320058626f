// Doctor: the static checks' findings on the definitions being served.
'use strict';
(function (A) {
  const body = A.$('#findings tbody'), summary = A.$('#summary');

  async function load() {
    summary.textContent = 'Running…';
    let d;
    try {
      d = await A.api('/api/doctor');
    } catch (e) {
      summary.textContent = e.message;
      return;
    }
    const fs = d.findings || [];
    const c = d.summary || {};
    summary.textContent = fs.length
      ? (c.errors || 0) + ' error(s), ' + (c.warnings || 0) + ' warning(s), ' + (c.info || 0) + ' info'
      : 'No findings: the doctor predicts no failure in these definitions.';
    summary.className = 'summary ' + (c.errors ? 's5' : c.warnings ? 's4' : 's2');
    body.replaceChildren(...fs.map((f) => {
      const aws = f.aws || {};
      const answer = aws.status ? aws.status + ' ' + (aws.body || '') + (aws.note ? ' ' + aws.note : '') : aws.note || '';
      return A.el('tr', { 'data-check': f.check, 'data-severity': f.severity },
        A.el('td', {}, A.el('span', { class: 'sev ' + f.severity, text: f.severity })),
        A.el('td', { text: f.object || '' }),
        A.el('td', { class: 'mono', text: f.position || '' }),
        A.el('td', {}, ...A.md(f.message)),
        A.el('td', {}, A.el('code', { text: answer }), aws.errorType ? A.el('div', { class: 'muted', text: 'x-amzn-ErrorType: ' + aws.errorType }) : ''),
        A.el('td', {}, f.cause ? A.causeLink(f.cause) : ''),
        A.el('td', {}, ...A.md(f.fix)));
    }));
    document.body.dataset.loaded = '1';
  }
  const again = A.$('#rerun');
  if (again) again.addEventListener('click', load);
  load();
})(window.Archway);
