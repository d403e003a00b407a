// The lab's live page: polls /api/live once a second and redraws what changed. DOM APIs only
// (textContent, never innerHTML): ids and labels come from the topics and are shown as text.
'use strict';

(function () {
  const POLL_MS = 1000;
  let lastVersion = -1;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function pct(x) {
    return (100 * x).toFixed(x >= 0.995 || x < 0.005 ? 0 : 1) + '%';
  }

  function time(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString();
  }

  function bars(cls, rows, max, fmt, mark) {
    const ul = el('ul', 'bars ' + cls);
    for (const r of rows) {
      const li = el('li');
      if (mark && mark(r)) li.classList.add('call');
      li.append(el('span', 'label', r.label));
      const track = el('span', 'track');
      const fill = el('span', 'fill');
      fill.style.width = (max > 0 ? Math.min(100, (100 * r.value) / max) : 0) + '%';
      track.append(fill);
      li.append(track, el('span', 'value', fmt(r.value)));
      for (const [k, v] of Object.entries(r.data || {})) li.dataset[k] = v;
      ul.append(li);
    }
    return ul;
  }

  function specimenCard(s) {
    const card = el('article', 'specimen');
    card.dataset.specimenId = s.id;
    card.dataset.phase = s.phase;
    if (s.alerts.length) card.classList.add('alerted');

    const h = el('h3');
    h.append(el('span', 'id', s.id), el('span', 'phase ' + s.phase, s.phase.replace('_', ' ')));
    card.append(h);
    const meta = [];
    if (s.scanId) meta.push('scan ' + s.scanId);
    if (s.scannerId) meta.push('scanner ' + s.scannerId);
    if (s.startedAt) meta.push('started ' + time(s.startedAt));
    if (s.reportedAt) meta.push('reported ' + time(s.reportedAt) + ' (' + s.closeReason + ')');
    card.append(el('div', 'meta', meta.join(' · ')));

    const progress = el('div', 'progress');
    const bar = el('div', 'bar');
    progress.append(bar);
    let label;
    if (s.progress === null) {
      card.dataset.progress = '';
      bar.style.width = '0%';
      label = s.cells + ' cells classified · total not known until the scan finishes';
    } else {
      card.dataset.progress = String(s.progress);
      bar.style.width = (100 * s.progress) + '%';
      label = s.cells + ' of ' + s.expected + ' cells classified';
      if (s.deadLettered) label += ', ' + s.deadLettered + ' dead-lettered';
      label += ' · ' + pct(s.progress);
    }
    card.append(progress, el('div', 'progress-label', label));

    const cols = el('div', 'cols');
    const diffCol = el('div', 'differential-col');
    diffCol.append(el('h4', null, 'Differential'));
    const total = s.differential.reduce((a, d) => a + d.count, 0);
    diffCol.append(bars('differential',
      s.differential.map(d => ({ label: d.type, value: d.count, data: { type: d.type, count: d.count } })),
      total, v => (total ? pct(v / total) : '0%')));
    const probCol = el('div', 'probabilities-col');
    const ph = el('h4', null, 'Subtype probabilities');
    if (s.provisional) ph.append(' ', el('span', 'provisional', '(provisional: under ' + s.minCells + ' cells)'));
    probCol.append(ph);
    probCol.append(bars('probabilities',
      s.probabilities.map(p => ({ label: p.label, value: p.p, data: { label: p.label, p: p.p } })),
      1, pct, r => r.label === s.call));
    cols.append(diffCol, probCol);
    card.append(cols);

    if (s.alerts.length) {
      const a = s.alerts[s.alerts.length - 1];
      card.append(el('p', 'specimen-alerts',
        'ALERT ' + a.subtype + ' p=' + a.probability.toFixed(3) + ' after ' + a.cellCount + ' cells'));
    }

    if (s.topAttended.length) {
      const att = el('div', 'attended');
      att.append(el('h4', null, 'Most attended cells'));
      for (const g of s.topAttended) {
        const row = el('div', 'group');
        const cells = el('div', 'cells');
        for (const c of g.cells) cells.append(thumb(s.id, c));
        row.append(el('span', 'group-label', g.label), cells);
        att.append(row);
      }
      card.append(att);
    }
    return card;
  }

  function thumb(specimenId, c) {
    if (!c.thumbnail) {
      const t = el('span', 'no-thumb', c.id);
      t.title = c.id + ' (no thumbnail: its crop is no longer held)';
      return t;
    }
    const img = el('img', 'thumb');
    img.alt = c.id;
    img.title = c.id;
    img.dataset.cellId = c.id;
    img.addEventListener('error', () => img.replaceWith(el('span', 'no-thumb', c.id)));
    img.src = 'api/thumbnail?specimen=' + encodeURIComponent(specimenId) +
      '&cell=' + encodeURIComponent(c.id);
    return img;
  }

  function render(data) {
    document.body.dataset.version = data.version;
    const c = data.counts;
    document.getElementById('counts').textContent =
      c.open + ' open · ' + c.reported + ' reported · ' + c.alerts + ' alerts · ' +
      c.cellsClassified + ' cells classified' +
      (c.skippedRecords ? ' · ' + c.skippedRecords + ' unreadable records skipped' : '');
    if (data.version === lastVersion) return;
    lastVersion = data.version;

    const list = document.getElementById('specimens');
    list.replaceChildren(...data.specimens.map(specimenCard));
    document.getElementById('empty').hidden = data.specimens.length > 0;

    const scanners = data.scanners || [];
    document.getElementById('no-scanners').hidden = scanners.length > 0;
    document.getElementById('scanners').replaceChildren(...scanners.map(scannerRow));

    const alerts = document.getElementById('alerts');
    alerts.replaceChildren(...data.alerts.map(a => {
      const li = el('li');
      li.dataset.alertId = a.alertId;
      li.append(el('strong', null, a.subtype), ' ' + a.specimenId + ' p=' + a.probability.toFixed(3) +
        ' after ' + a.cellCount + ' cells', el('div', 'when', time(a.alertTime)));
      return li;
    }));
  }

  // One scanner's batch-effect signal: MMD^2 of its last window against the head's fitting cells,
  // as a bar scaled to twice the alert threshold (the threshold is the bar's middle mark).
  function scannerRow(d) {
    const li = el('li', d.alert ? 'scanner drifting' : 'scanner');
    li.dataset.scannerId = d.scannerId;
    li.dataset.alert = d.alert ? 'true' : 'false';
    const head = el('div', 'scanner-head');
    head.append(el('strong', null, d.scannerId),
      el('span', d.alert ? 'drift-flag' : 'drift-ok', d.alert ? 'DRIFT' : 'steady'));
    li.append(head);
    const track = el('span', 'track');
    const fill = el('span', 'fill');
    fill.style.width = Math.max(0, Math.min(100, 50 * d.mmd2 / d.threshold)) + '%';
    track.append(fill, el('span', 'mark'));
    li.append(track);
    const sim = d.similarityDrop === undefined ? '' : ' · similarity drop ' + d.similarityDrop.toFixed(3);
    li.append(el('div', 'when', 'MMD² ' + d.mmd2.toFixed(4) + ' (alert > ' + d.threshold +
      ')' + sim + ' · unknown ' + pct(d.unknownRate) + ' (ref ' + pct(d.referenceUnknownRate) +
      ') · ' + d.windowCells + ' cells'));
    return li;
  }

  function source(ok, message) {
    const s = document.getElementById('source');
    s.classList.toggle('error', !ok);
    s.textContent = message;
    document.body.dataset.connected = ok ? 'true' : 'false';
  }

  async function poll() {
    try {
      const r = await fetch('api/live', { cache: 'no-store' });
      if (!r.ok) {
        let msg = 'HTTP ' + r.status;
        try { msg += ': ' + (await r.json()).error; } catch (e) { /* not JSON */ }
        throw new Error(msg);
      }
      const data = await r.json();
      render(data);
      if (data.source && data.source.error) source(false, data.source.error);
      else if (data.source && !data.source.connected) source(false, 'connecting to Kafka ...');
      else source(true, 'live · updated ' + time(data.generatedAt));
    } catch (e) {
      source(false, 'cannot reach the live view: ' + e.message);
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  poll();
})();
