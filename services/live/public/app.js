// finsent live view: draws the overview or a ticker page from the path, then follows the server's event stream.
// Everything shown from the data (headlines, sources, names) goes in as text nodes, never as HTML: headlines come
// from the open web. Links out are plain http(s) only.
'use strict';

const view = document.getElementById('view');
const statusBadge = document.getElementById('status');
const clock = document.getElementById('clock');
const tickerPath = /^\/ticker\/([^/]+)$/.exec(location.pathname);
const ticker = tickerPath ? decodeURIComponent(tickerPath[1]).toUpperCase() : null;
/** uPlot instances by chart id, kept across updates so that a refresh redraws data instead of rebuilding charts. */
const charts = new Map();
/** What the server allows (GET /api/settings): corrections from the page, and whether they need a token. */
let settings = { corrections: false, token_required: false };
/** While an analyst fills in a correction, updates wait (a redraw would wipe the form); the newest is kept. */
let editing = false;
let pending = null;
const SENTIMENTS = ['negative', 'neutral', 'positive'];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat())
    if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

const safeHref = (url) => (typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null);
const link = (url, text) =>
  safeHref(url)
    ? el('a', { href: safeHref(url), target: '_blank', rel: 'noopener noreferrer' }, text)
    : el('span', {}, text);
const tickerLink = (t) => el('a', { href: `/ticker/${encodeURIComponent(t)}` }, t);
const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const at = (ms) => dateTimeFmt.format(new Date(ms));

function setStatus(state, text) {
  statusBadge.dataset.state = state;
  statusBadge.textContent = text;
}

function section(title, id, cls, ...body) {
  return el('section', { class: cls, 'data-testid': id }, el('h2', { text: title }), ...body);
}

// ---- charts -------------------------------------------------------------------------------------------------

function chartOptions(width, height, compact) {
  return {
    width,
    height,
    legend: { show: !compact },
    cursor: { points: { size: 6 } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.min(1, Math.max(0.2, (max || 0) * 1.15))] } },
    axes: [
      { stroke: '#8a96a3', grid: { stroke: '#2a323c' }, ticks: { stroke: '#2a323c' }, size: compact ? 28 : 40 },
      {
        stroke: '#8a96a3',
        grid: { stroke: '#2a323c' },
        ticks: { stroke: '#2a323c' },
        size: compact ? 48 : 56,
        values: (u, v) => v.map((x) => `${Math.round(x * 100)}%`),
      },
    ],
    series: [
      { label: 'time' },
      // A step without items is a gap in the line (drawing across it would invent a trend); points mark every step
      // with items, so a lone one still shows.
      {
        label: 'negative share',
        stroke: '#ff5c5c',
        width: 2,
        points: { show: true, size: compact ? 3 : 4 },
        value: (u, v) => pct(v),
      },
      {
        label: 'baseline (hour before)',
        stroke: '#9aa5b1',
        width: 1.5,
        dash: [6, 4],
        points: { show: false },
        value: (u, v) => pct(v),
      },
    ],
  };
}

/** Draws (or redraws) a share-vs-baseline chart into `container`. */
function drawChart(id, container, series, height, compact) {
  const data = [series.t, series.share, series.baseline];
  const width = Math.max(200, container.clientWidth || 600);
  let chart = charts.get(id);
  if (chart && chart.root.isConnected && chart.root.parentNode === container) {
    chart.setData(data);
    return;
  }
  if (chart) chart.destroy();
  chart = new uPlot(chartOptions(width, height, compact), data, container);
  charts.set(id, chart);
}

window.addEventListener('resize', () => {
  for (const chart of charts.values()) {
    const box = chart.root.parentNode;
    if (box) chart.setSize({ width: Math.max(200, box.clientWidth), height: chart.height });
  }
});

/** A chart's container, kept in the page across updates so that its uPlot instance survives the redraw. */
function chartBox(id) {
  const existing = charts.get(id);
  if (existing && existing.root.parentNode) return existing.root.parentNode;
  return el('div', { class: 'chart', 'data-chart': id });
}

// ---- parts ----------------------------------------------------------------------------------------------------

function figures(latest, extra) {
  const up = latest.share !== null && latest.baseline !== null && latest.share > latest.baseline;
  return el(
    'div',
    { class: 'figures' },
    el(
      'div',
      { class: `figure${up ? ' up' : ''}` },
      el('b', { text: pct(latest.share) }),
      el('span', { class: 'muted', text: 'negative, last 15 min' }),
    ),
    el(
      'div',
      { class: 'figure' },
      el('b', { text: pct(latest.baseline) }),
      el('span', { class: 'muted', text: 'baseline' }),
    ),
    el(
      'div',
      { class: 'figure' },
      el('b', { 'data-testid': 'items-count', text: String(latest.items) }),
      el('span', { class: 'muted', text: 'items, last 15 min' }),
    ),
    extra || [],
  );
}

function alertList(alerts) {
  if (!alerts.length) return el('p', { class: 'empty', text: 'No alert has fired.' });
  return el(
    'ul',
    { class: 'list' },
    alerts.map((a) => {
      const what =
        a.scope === 'market'
          ? 'market-wide'
          : a.scope === 'ticker'
            ? [tickerLink(a.key), a.name ? ` ${a.name}` : '']
            : `${a.scope} ${a.key}`;
      return el(
        'li',
        { class: 'alert', 'data-alert-id': a.id },
        el('span', { class: `badge ${a.severity}`, text: a.severity }),
        el('b', {}, what),
        el('div', {
          class: 'meta',
          text:
            `${pct(a.negative_share)} negative vs ${pct(a.baseline_share)} baseline · z ${a.z_score.toFixed(1)} · ` +
            `${timeFmt.format(new Date(a.window_start))}–${timeFmt.format(new Date(a.window_end))} · fired ${at(a.fired_at)} · ${a.delivery_state}`,
        }),
        el(
          'ul',
          {},
          a.headlines.slice(0, 3).map((h) => el('li', {}, link(h.url, h.title))),
        ),
      );
    }),
  );
}

function headlineList(rows, showSentiment) {
  if (!rows.length) return el('p', { class: 'empty', text: 'Nothing in this window.' });
  return el(
    'ul',
    { class: 'list' },
    rows.map((h) =>
      el(
        'li',
        { 'data-item-id': h.id },
        showSentiment
          ? el('span', { class: `badge ${h.sentiment}`, text: h.sentiment })
          : el('span', { class: 'badge negative', text: pct(h.p_negative) }),
        link(h.url, h.title),
        el(
          'div',
          { class: 'meta' },
          `${at(h.published_at)} · ${h.source} · ${h.topic}`,
          h.tickers.length ? ' · ' : '',
          h.tickers.flatMap((t, i) => (i ? [' ', tickerLink(t)] : [tickerLink(t)])),
          settings.corrections ? [' · ', correctButton(h)] : [],
        ),
      ),
    ),
  );
}

// ---- corrections ----------------------------------------------------------------------------------------------

/** "label wrong?": opens a small form for the item's sentiment (overview) or the ticker's own (ticker page). */
function correctButton(h) {
  const button = el('button', { class: 'link', type: 'button', 'data-action': 'correct', text: 'label wrong?' });
  button.addEventListener('click', () => {
    editing = true;
    button.replaceWith(correctionForm(h));
  });
  return button;
}

function correctionForm(h) {
  const choices = SENTIMENTS.filter((s) => s !== h.sentiment);
  const label = el(
    'select',
    { name: 'label' },
    choices.map((s) => el('option', { value: s, text: s })),
  );
  const name = el('input', {
    name: 'analyst',
    placeholder: 'your name',
    value: localStorage.getItem('finsent.analyst') || '',
    required: true,
    maxlength: 100,
  });
  const note = el('input', { name: 'note', placeholder: 'why (optional)', maxlength: 1000 });
  const status = el('span', { class: 'muted', 'data-role': 'status' });
  const form = el(
    'form',
    { class: 'correction' },
    ticker ? `${ticker}'s sentiment is ` : 'sentiment is ',
    label,
    ' ',
    name,
    ' ',
    note,
    ' ',
    el('button', { type: 'submit', text: 'record' }),
    ' ',
    el('button', { type: 'button', 'data-action': 'cancel', text: 'cancel' }),
    ' ',
    status,
  );
  const done = () => {
    editing = false;
    if (pending) render(pending);
  };
  form.querySelector('[data-action=cancel]').addEventListener('click', done);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    localStorage.setItem('finsent.analyst', name.value.trim());
    const body = {
      item_id: h.id,
      note: note.value.trim() || undefined,
      ...(ticker ? { entity: ticker, entity_sentiment: label.value } : { sentiment: label.value }),
    };
    status.textContent = 'recording…';
    const answer = await postCorrection(body, name.value.trim());
    status.textContent = answer.ok ? `recorded: ${answer.text}` : `not recorded: ${answer.text}`;
    if (answer.ok) setTimeout(done, 1500);
  });
  return form;
}

async function postCorrection(body, analyst) {
  const headers = { 'content-type': 'application/json', 'x-finsent-analyst': analyst };
  if (settings.token_required) {
    const token =
      sessionStorage.getItem('finsent.token') || window.prompt('Token for corrections (LIVE_CORRECTIONS_TOKEN):') || '';
    sessionStorage.setItem('finsent.token', token);
    headers.authorization = `Bearer ${token}`;
  }
  try {
    const res = await fetch('/api/corrections', { method: 'POST', headers, body: JSON.stringify(body) });
    const answer = await res.json();
    if (res.status === 401) sessionStorage.removeItem('finsent.token');
    return res.ok
      ? {
          ok: true,
          text: answer.corrections
            .map((c) => `${c.entity ? `${c.entity} ` : ''}${c.old_label} → ${c.new_label}`)
            .join(', '),
        }
      : { ok: false, text: answer.message };
  } catch (err) {
    return { ok: false, text: String(err) };
  }
}

function setClock(snapshot) {
  clock.textContent =
    snapshot.data_until === null
      ? 'no items stored yet'
      : `news through ${at(snapshot.data_until * 1000)} · ${snapshot.history_minutes / 60} h shown`;
}

// ---- pages ----------------------------------------------------------------------------------------------------

function renderOverview(s) {
  const market = chartBox('market');
  const topicCards = s.topics.map((t) => {
    const box = chartBox(`topic:${t.topic}`);
    return {
      t,
      box,
      card: el(
        'div',
        { class: 'topic', 'data-topic': t.topic },
        el(
          'h3',
          {},
          el('span', { text: t.topic }),
          el('span', { class: 'muted', text: `${pct(t.latest.share)} vs ${pct(t.latest.baseline)}` }),
        ),
        box,
      ),
    };
  });
  view.replaceChildren(
    section(
      'Market: negative share against its baseline',
      'market',
      '',
      figures(
        s.market.latest,
        el(
          'div',
          { class: 'figure' },
          el('b', { 'data-testid': 'items-in-window', text: String(s.items_in_window) }),
          el('span', { class: 'muted', text: 'items shown' }),
        ),
      ),
      market,
    ),
    section('Latest alerts', 'alerts', '', alertList(s.alerts)),
    section('Most negative headlines, last hour', 'negative-headlines', '', headlineList(s.negative_headlines, false)),
    section(
      'Tickers, last hour (most negative first)',
      'tickers',
      '',
      s.tickers.length
        ? el(
            'div',
            { class: 'chips' },
            s.tickers.map((t) =>
              el(
                'span',
                { class: 'chip', title: t.name || t.ticker },
                tickerLink(t.ticker),
                ' ',
                el('b', { text: String(t.negative) }),
                `/${t.items}`,
              ),
            ),
          )
        : el('p', { class: 'empty', text: 'No ticker named in the last hour.' }),
    ),
    section(
      'Topics: negative share against baseline (largest rise first)',
      'topic-charts',
      'wide',
      el(
        'div',
        { class: 'topics' },
        topicCards.map((c) => c.card),
      ),
    ),
  );
  drawChart('market', market, s.market.series, 260, false);
  for (const c of topicCards) drawChart(`topic:${c.t.topic}`, c.box, c.t.series, 130, true);
  // Charts of topics that left the window are not drawn again.
  for (const id of [...charts.keys()]) {
    if (id === 'market' || s.topics.some((t) => `topic:${t.topic}` === id)) continue;
    charts.get(id).destroy();
    charts.delete(id);
  }
}

function renderTicker(s) {
  document.title = `${s.ticker} · finsent live`;
  const box = chartBox('ticker');
  view.replaceChildren(
    el('h1', {}, s.ticker, s.name ? el('span', { class: 'muted', text: ` ${s.name}` }) : null),
    section(
      `${s.ticker}: negative share of items naming it, against its baseline`,
      'ticker-chart',
      '',
      figures(s.trend.latest),
      box,
    ),
    section(`Alerts on ${s.ticker}`, 'alerts', '', alertList(s.alerts)),
    section(
      `Latest headlines naming ${s.ticker} (its own sentiment)`,
      'ticker-headlines',
      'wide',
      headlineList(s.headlines, true),
    ),
  );
  drawChart('ticker', box, s.trend.series, 260, false);
}

function render(snapshot) {
  if (editing) {
    pending = snapshot;
    return;
  }
  pending = null;
  setClock(snapshot);
  if (snapshot.view === 'ticker') renderTicker(snapshot);
  else renderOverview(snapshot);
  view.dataset.updated = String(Date.now());
}

// ---- live updates ---------------------------------------------------------------------------------------------

function follow() {
  const source = new EventSource(ticker ? `/api/stream?ticker=${encodeURIComponent(ticker)}` : '/api/stream');
  source.addEventListener('view', (e) => {
    render(JSON.parse(e.data));
    setStatus('live', `live · updated ${timeFmt.format(new Date())}`);
  });
  source.addEventListener('failure', (e) => setStatus('stale', `stale: ${JSON.parse(e.data).message}`));
  // The browser reconnects by itself (the server's `retry`); the page keeps what it shows meanwhile.
  source.onerror = () => setStatus('stale', 'reconnecting…');
}

fetch('/api/settings')
  .then((r) => r.json())
  .then(
    (s) => (settings = s),
    () => undefined,
  )
  .finally(follow);
