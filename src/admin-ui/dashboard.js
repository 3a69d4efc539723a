// The operator dashboard: a page of plain DOM code over the admin API (/v1/admin/*).
// No framework and no build step; data only ever reaches the page through textContent,
// never as HTML, so a hostile job id or error message cannot run script here.

const REFRESH_MS = 5_000;
const state = { target: null, view: 'live', jobId: null, timer: null };
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
  }
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Builds an element: el('td', { className: 'x' }, 'text', childNode). */
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return node;
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');
const seconds = (s) => (s >= 120 ? `${Math.round(s / 60)} min` : `${s.toFixed(1)} s`);

function jobLink(id) {
  return el('a', { href: `#job=${id}`, className: 'job', onclick: (e) => { e.preventDefault(); showJob(id); } }, id);
}

/**
 * A target's circuit breaker as a badge in its State cell: a quiet "circuit closed", a
 * standing-out half-open or open one ("held open" while an operator holds it), and the
 * details (since, until, the window's failure ratio) in its title. Nothing without a breaker.
 */
function circuitBadge(name, c) {
  if (!c) return [];
  const text =
    c.state === 'open' ? (c.forced ? 'circuit held open' : `circuit open until ${time(c.until)}`) : c.state === 'half_open' ? 'circuit half-open (probing)' : 'circuit closed';
  const details = [c.forced ? 'held open by an operator until one closes it' : `circuit ${c.state.replace('_', '-')}`];
  if (c.since) details.push(`since ${new Date(c.since).toLocaleString()}`);
  if (c.until) details.push(`probes from ${new Date(c.until).toLocaleString()}`);
  if (c.state !== 'closed' && !c.forced) details.push(`opened at failure ratio ${c.failureRatio}`);
  if (c.state === 'closed') details.push(`failure ratio ${c.failureRatio} over ${c.attempts} attempt${c.attempts === 1 ? '' : 's'} in the window`);
  const badge = el('span', { className: `badge circuit-${c.state}`, title: details.join(', ') }, text);
  badge.dataset.testid = `circuit-${name}`;
  return [' ', badge];
}

/**
 * An adaptive target's concurrency as a badge in its Running cell: "adaptive 7/8", the
 * attempts in flight across its executors over the limit they share, with the bounds and the
 * reference latency in its title. Nothing for a target whose concurrency is fixed.
 */
function concurrencyBadge(name, c) {
  if (!c) return [];
  const reference = c.referenceLatencyMs === null ? 'no reference latency yet' : `reference latency ${c.referenceLatencyMs} ms`;
  const title = `adaptive concurrency: ${c.inFlight} in flight across executors, limit ${c.limit} (min ${c.min}, max ${c.max}), ${reference}`;
  const badge = el('span', { className: 'badge concurrency', title }, `adaptive ${c.inFlight}/${c.limit}`);
  badge.dataset.testid = `concurrency-${name}`;
  return [' ', badge];
}

/**
 * A fair target's lanes as a badge in its Waiting cell: "fair: 3 tenants", the tenants with
 * jobs in their lanes, and in its title how many wait there and who has the most (with each
 * one's weight, and its running jobs against its cap when it has one). Nothing for a FIFO target.
 */
function fairnessBadge(name, f) {
  if (!f) return [];
  const who = f.tenants.map((t) => {
    const notes = [...(t.weight === 1 ? [] : [`weight ${t.weight}`]), ...(t.maxRunning === null ? [] : [`running ${t.running}/${t.maxRunning}`])];
    return `${t.tenant} ${t.waiting}${notes.length ? ` (${notes.join(', ')})` : ''}`;
  });
  const scheduled = f.scheduled ? `, ${f.scheduled} scheduled` : '';
  const title = `fairness between tenants: ${f.waiting} waiting in ${f.activeTenants} tenant lane${f.activeTenants === 1 ? '' : 's'}${scheduled}, up to ${f.window} at a time in the queue${who.length ? `; most waiting: ${who.join(', ')}` : ''}`;
  const badge = el('span', { className: 'badge fairness', title }, `fair: ${f.activeTenants} tenant${f.activeTenants === 1 ? '' : 's'}`);
  badge.dataset.testid = `fairness-${name}`;
  return [' ', badge];
}

function replaceRows(table, rows, empty) {
  const body = table.querySelector('tbody');
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 9, className: 'empty' }, empty))]));
}

async function act(button, fn) {
  button.disabled = true;
  try {
    await fn();
    $('error').textContent = '';
  } catch (err) {
    $('error').textContent = err.message;
  } finally {
    button.disabled = false;
    await refresh();
  }
}

async function renderTargets() {
  const { items } = await api('GET', '/v1/admin/targets');
  if (!state.target && items.length) state.target = items[0].name;
  replaceRows(
    $('targets'),
    items.map((t) => {
      const toggle = el('button', { textContent: t.counts.paused ? 'Resume' : 'Pause' });
      toggle.dataset.testid = `toggle-${t.name}`;
      toggle.onclick = () => act(toggle, () => api('POST', `/v1/admin/targets/${encodeURIComponent(t.name)}/${t.counts.paused ? 'resume' : 'pause'}`));
      const name = el('a', { href: `#target=${t.name}`, onclick: (e) => { e.preventDefault(); state.target = t.name; refresh(); } }, t.name);
      const row = el(
        'tr',
        { className: t.name === state.target ? 'selected' : '' },
        el('td', {}, name),
        el('td', {}, t.kind),
        el('td', { className: t.workers === 0 ? 'status-failed' : '' }, t.workers === 0 ? '0 (none!)' : t.workers),
        el('td', {}, t.counts.waiting, ...fairnessBadge(t.name, t.fairness)),
        el('td', {}, t.counts.delayed),
        el('td', {}, t.counts.active, ...concurrencyBadge(t.name, t.concurrency)),
        el('td', {}, seconds(t.oldestWaitingSeconds)),
        el('td', {}, t.counts.paused ? 'paused' : 'running', ...circuitBadge(t.name, t.circuit)),
        el('td', {}, toggle),
      );
      row.dataset.target = t.name;
      return row;
    }),
    'No targets configured.',
  );
}

async function renderChart() {
  const { targets } = await api('GET', '/v1/admin/activity?minutes=60');
  const series = targets[state.target] ?? [];
  $('chart-target').textContent = state.target ? `(${state.target})` : '';
  const ok = series.map((m) => m.counts.succeeded ?? 0);
  const bad = series.map((m) => (m.counts.failed ?? 0) + (m.counts.expired ?? 0));
  const max = Math.max(1, ...ok.map((v, i) => v + bad[i]));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${series.length * 10} 100`);
  svg.setAttribute('preserveAspectRatio', 'none');
  series.forEach((m, i) => {
    const hOk = (ok[i] / max) * 100;
    const hBad = (bad[i] / max) * 100;
    for (const [cls, h, y] of [['ok', hOk, 100 - hOk], ['bad', hBad, 100 - hOk - hBad]]) {
      if (h === 0) continue;
      const rect = document.createElementNS(ns, 'rect');
      Object.entries({ x: i * 10 + 1, y, width: 8, height: h, class: cls }).forEach(([k, v]) => rect.setAttribute(k, String(v)));
      const title = document.createElementNS(ns, 'title');
      title.textContent = `${new Date(m.t).toLocaleTimeString()}: ${ok[i]} succeeded, ${bad[i]} failed`;
      rect.append(title);
      svg.append(rect);
    }
  });
  $('chart').replaceChildren(svg);
  const total = ok.reduce((a, b) => a + b, 0) + bad.reduce((a, b) => a + b, 0);
  const failed = bad.reduce((a, b) => a + b, 0);
  $('chart-summary').textContent = `· ${total} finished, ${failed} failed${total ? ` (${((failed / total) * 100).toFixed(1)}%)` : ''}`;
}

async function renderJobs() {
  $('jobs-target').textContent = state.target ?? '…';
  if (!state.target) return;
  const { items } = await api('GET', `/v1/admin/targets/${encodeURIComponent(state.target)}/jobs?view=${state.view}&limit=50`);
  replaceRows(
    $('jobs'),
    items.map((j) =>
      el(
        'tr',
        {},
        el('td', {}, jobLink(j.id)),
        el('td', { className: `status-${j.status}` }, j.status),
        el('td', {}, `${j.attempts}/${j.maxAttempts}`),
        el('td', {}, time(j.createdAt)),
        el('td', {}, time(j.finishedAt)),
        el('td', {}, j.error ? `${j.error.code}: ${j.error.message}` : ''),
      ),
    ),
    state.view === 'live' ? 'Nothing waiting or running.' : 'No finished jobs yet.',
  );
}

async function showJob(id) {
  state.jobId = id;
  $('job-id').value = id;
  await renderTimeline();
  $('timeline-section').scrollIntoView({ behavior: 'smooth' });
}

async function renderTimeline() {
  if (!state.jobId) return;
  let data;
  try {
    data = await api('GET', `/v1/admin/jobs/${encodeURIComponent(state.jobId)}`);
  } catch (err) {
    $('timeline').replaceChildren(el('p', { className: 'error' }, err.message));
    return;
  }
  const { job, tenant, attempts, deliveries, traceUrl } = data;
  const routed = job.route ? ` by route ${job.route}` : '';
  const steps = [{ at: job.createdAt, text: `accepted for target ${job.target}${routed} (tenant ${tenant}, request ${job.correlationId})` }];
  for (const a of attempts) {
    const err = a.error ? ` — ${a.error.code}: ${a.error.message}` : '';
    const retry = a.retryDelayMs !== undefined ? `, retried after ${a.retryDelayMs} ms` : '';
    steps.push({ at: a.startedAt ?? a.finishedAt, text: `attempt ${a.attempt}: ${a.outcome}${err}${retry}` });
  }
  if (job.finishedAt) steps.push({ at: job.finishedAt, text: `${job.status}${job.deadLettered ? ' (dead-lettered)' : ''}` });
  for (const d of deliveries) {
    steps.push({ at: d.at, text: `webhook ${d.event} attempt ${d.attempt}: ${d.outcome}${d.statusCode ? ` (HTTP ${d.statusCode})` : ''}${d.error ? ` — ${d.error}` : ''}` });
  }
  steps.sort((a, b) => String(a.at).localeCompare(String(b.at)));
  // The trace viewer is another site: a new tab, told nothing of the dashboard.
  const trace = [];
  if (traceUrl) {
    const link = el('a', { href: traceUrl, target: '_blank', rel: 'noopener noreferrer', textContent: `trace ${job.traceId}` });
    link.dataset.testid = 'trace-link';
    trace.push(' · ', link);
  }
  $('timeline').replaceChildren(
    el('p', {}, el('strong', {}, job.id), ` · ${job.status} · attempts ${job.attempts}/${job.maxAttempts}`, ...trace),
    ...routeJob(job),
    ...routeSteps(job),
    el('ol', { className: 'timeline' }, ...steps.map((s) => el('li', {}, el('span', { className: 'mono' }, time(s.at)), ' ', s.text))),
  );
}

/** A fanOut or chain route's step: a link to its route's job's timeline. Nothing for any other job. */
function routeJob(job) {
  if (!job.routeJobId) return [];
  const p = el('p', {}, `step of route ${job.route}'s job `, jobLink(job.routeJobId));
  p.dataset.testid = 'route-job';
  return [p];
}

/**
 * A fanOut or chain route's job: its steps in the route's order, each with its status as
 * the route last heard it and a link to its own job's timeline (none for a chain step not
 * created yet or a skipped branch). Nothing for any other job.
 */
function routeSteps(job) {
  if (!job.steps) return [];
  const table = el(
    'table',
    { className: 'steps' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Step'), el('th', {}, 'Target'), el('th', {}, 'Status'), el('th', {}, 'Job'))),
    el(
      'tbody',
      {},
      ...job.steps.map((s) => {
        const row = el('tr', {}, el('td', {}, s.name), el('td', {}, s.target), el('td', { className: `status-${s.status}` }, s.status), el('td', {}, s.jobId ? jobLink(s.jobId) : '—'));
        row.dataset.step = s.name;
        return row;
      }),
    ),
  );
  table.dataset.testid = 'steps';
  return [el('p', {}, `${job.steps.length} steps of route ${job.route}:`), table];
}

async function renderDeadLetters() {
  const { items, total } = await api('GET', '/v1/admin/dead-letters?limit=50');
  $('dl-total').textContent = `(${total})`;
  replaceRows(
    $('dead-letters'),
    items.map((j) => {
      const replay = el('button', { textContent: 'Replay' });
      replay.onclick = () => act(replay, () => api('POST', `/v1/admin/dead-letters/${j.id}/replay`));
      const purge = el('button', { textContent: 'Purge', className: 'danger' });
      purge.onclick = () => confirm(`Purge ${j.id} for good?`) && act(purge, () => api('DELETE', `/v1/admin/dead-letters/${j.id}`));
      const row = el(
        'tr',
        {},
        el('td', {}, jobLink(j.id)),
        el('td', {}, j.target),
        el('td', {}, j.error ? `${j.error.code}: ${j.error.message}` : ''),
        el('td', {}, j.attempts),
        el('td', {}, time(j.finishedAt)),
        el('td', {}, replay, ' ', purge),
      );
      row.dataset.job = j.id;
      return row;
    }),
    'No dead letters.',
  );
  const wdl = await api('GET', '/v1/admin/webhook-dead-letters?limit=50');
  $('wdl-total').textContent = `(${wdl.total})`;
  replaceRows(
    $('webhook-dead-letters'),
    wdl.items.map((j) => {
      const again = el('button', { textContent: 'Redeliver' });
      again.onclick = () => act(again, () => api('POST', `/v1/admin/webhook-dead-letters/${j.id}/redeliver`));
      return el('tr', {}, el('td', {}, jobLink(j.id)), el('td', {}, j.target), el('td', {}, j.callback?.url ?? ''), el('td', {}, time(j.finishedAt)), el('td', {}, again));
    }),
    'No webhook dead letters.',
  );
}

async function refresh() {
  clearTimeout(state.timer);
  try {
    await renderTargets();
    await Promise.all([renderChart(), renderJobs(), renderDeadLetters(), renderTimeline()]);
    document.body.dataset.loaded = 'true';
  } catch (err) {
    if (err.status === 401) return showSignIn();
    $('error').textContent = err.message;
  }
  state.timer = setTimeout(refresh, REFRESH_MS);
}

function showSignIn(message = '') {
  clearTimeout(state.timer);
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
}

async function start() {
  let who;
  try {
    who = await api('GET', '/admin/session');
  } catch (err) {
    return showSignIn(err.status === 401 ? '' : err.message);
  }
  $('whoami').textContent = who.keyId === 'open' ? 'open mode (no API keys configured)' : `signed in as ${who.keyId}`;
  $('sign-out').hidden = who.keyId === 'open';
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  const fromHash = /^#job=(job_[A-Za-z0-9_-]+)$/.exec(location.hash);
  if (fromHash) state.jobId = fromHash[1];
  await refresh();
}

$('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await api('POST', '/admin/session', { apiKey: $('api-key').value.trim() });
    $('api-key').value = '';
    await start();
  } catch (err) {
    showSignIn(err.message);
  }
});
$('sign-out').addEventListener('click', async () => {
  await api('DELETE', '/admin/session').catch(() => undefined);
  showSignIn('Signed out.');
});
$('find-job').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $('job-id').value.trim();
  if (id) showJob(id);
});
for (const tab of document.querySelectorAll('.tabs button')) {
  tab.addEventListener('click', () => {
    state.view = tab.dataset.view;
    document.querySelectorAll('.tabs button').forEach((b) => b.classList.toggle('active', b === tab));
    renderJobs().catch((err) => ($('error').textContent = err.message));
  });
}
for (const [id, action] of [['replay-all', 'replay'], ['purge-all', 'purge']]) {
  const button = $(id);
  button.addEventListener('click', () => {
    if (action === 'purge' && !confirm('Purge every dead letter for good?')) return;
    act(button, () => api('POST', `/v1/admin/dead-letters/${action}`, { all: true }));
  });
}
start();
