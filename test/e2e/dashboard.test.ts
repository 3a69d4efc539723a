import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, bearer } from '../support/api-keys.js';
import { DEMO_TARGETS, eventually, startStack, testConfig, type TestStack } from '../support/test-stack.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const { tokens, auth } = apiKeys({ acme: 'client', ops: 'admin' });

/**
 * The operator dashboard in Debian's headless Chromium, driven by playwright-core: sign in
 * with an admin key, read targets, the chart, a target's jobs and one job's timeline, then
 * act (pause, replay, purge) and check the effect through the API. A screenshot of the
 * dashboard and the list of the browser's requests are kept in test-artifacts/ for a human to look at.
 *
 * Every request the browser makes is recorded (and any to another origin aborted, this
 * machine has no outside network): the last test asserts that none left the gateway's
 * origin, and that no page hit its Content-Security-Policy.
 */
describe('operator dashboard in a real browser', () => {
  let stack: TestStack;
  let upstream: Upstream;
  let server: Server;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ids: Record<string, string> = {};
  /** Every request the browser made or tried (a CSP-blocked one too), in order, from every page of the context. */
  const requests: Request[] = [];
  /** CSP violations seen by the pages (event and Chromium's own console report). */
  const violations: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium); npm test's pretest step does when it can`);
    upstream = await startUpstream();
    stack = await startStack({
      executor: false,
      config: testConfig({
        targets: {
          ...DEMO_TARGETS,
          api: { kind: 'http', url: upstream.url, attempts: 1 },
          idle: { kind: 'handler', handler: 'echo' },
          // A circuit breaker with the defaults, and no executor: only an operator changes it.
          guarded: { kind: 'handler', handler: 'echo', circuitBreaker: {} },
          // Adaptive concurrency up to 20, on a loopback port nothing listens on; no executor and no jobs.
          adaptive: { kind: 'http', url: 'http://127.0.0.1:9/', adaptiveConcurrency: true, concurrency: 20 },
          // Fairness between tenants, and no executor: a window of 4 in BullMQ, the rest in the tenant's lane.
          lanes: { kind: 'handler', handler: 'echo', concurrency: 1, fairness: 'tenant' },
        },
        routes: {
          'echo-or-fail': { switch: [{ when: 'fail = true', target: 'fail' }, { target: 'echo' }] },
          'echo-twice': { fanOut: [{ name: 'first', target: 'echo' }, { name: 'second', target: 'echo', input: '{ "again": n }' }] },
        },
        auth,
        // Loopback and a port nothing listens on: the link is only rendered, never followed.
        tracing: { viewerUrl: 'http://127.0.0.1:9/trace/{traceId}?from=dashboard' },
      }),
    });
    await stack.startExecutor(['echo', 'flaky', 'fail', 'api']);
    server = createServer(stack.gateway.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const submit = async (body: object) => {
      const res = await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).set('Prefer', 'wait=10').send(body);
      return res.body.id as string;
    };
    ids.ok = await submit({ target: 'echo', input: { hello: 'dashboard' } });
    ids.retried = await submit({ target: 'flaky', input: { failTimes: 1 } });
    ids.failed = await submit({ target: 'fail' });
    upstream.respondWith({ status: 500, body: 'upstream down' });
    ids.api = await submit({ target: 'api', input: { n: 1 } });
    ids.waiting = await submit({ target: 'idle' });
    ids.routed = await submit({ route: 'echo-or-fail', input: { n: 1 } });
    ids.fanOut = await submit({ route: 'echo-twice', input: { n: 2 } });
    for (let i = 0; i < 6; i++) expect((await stack.request.post('/v1/jobs').set(bearer(tokens.acme)).send({ target: 'lanes' })).status).toBe(202);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // This machine's network is closed: without these, Chromium keeps dialling Google.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
    context.on('request', (request) => void requests.push(request));
    await context.route('**', (route) => (new URL(route.request().url()).origin === base ? route.continue() : route.abort('blockedbyclient')));
    // Init scripts run outside the page's CSP; the report goes to the console listener below.
    await context.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error(`securitypolicyviolation: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`))",
    );
    context.on('console', (msg) => {
      if (/securitypolicyviolation|Content Security Policy/i.test(msg.text())) violations.push(`${msg.page()?.url()}: ${msg.text()}`);
    });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  }, 90_000); // Chromium's start and five finished jobs: under the whole suite's load this has taken over 30 s.

  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise((resolve) => server?.close(resolve));
    await stack?.close();
    await upstream?.close();
  });

  it('asks for a key, refuses a client key, and signs an admin in', async () => {
    await page.goto(`${base}/admin`);
    await page.locator('#sign-in').waitFor({ state: 'visible' });
    await page.fill('#api-key', tokens.acme);
    await page.click('#sign-in-form button[type=submit]');
    await expect.poll(() => page.textContent('#sign-in-error')).toContain('admin key');

    await page.fill('#api-key', tokens.ops);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('body[data-loaded=true]').waitFor();
    expect(await page.textContent('[data-testid=whoami]')).toBe('signed in as ops-key');
    // The key never lands in the page or in storage; only the HttpOnly cookie holds a session.
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.content()).not.toContain(tokens.ops);
  });

  it('shows every target with its depth and workers, and the chart of finished jobs', async () => {
    const row = (name: string) => page.locator(`[data-testid=targets] tr[data-target=${name}]`);
    await expect.poll(() => row('idle').textContent()).toContain('0 (none!)');
    expect(await row('idle').locator('td').nth(3).textContent()).toBe('1'); // waiting
    expect(await row('echo').locator('td').nth(2).textContent()).toBe('1'); // one executor
    // Bars for the first target's minute (echo succeeded once).
    expect(await page.locator('[data-testid=chart] rect.ok').count()).toBeGreaterThanOrEqual(1);
    expect(await page.textContent('[data-testid=chart-summary]')).toMatch(/\d+ finished/);
  });

  it("lists a target's finished jobs and shows one job's timeline with every attempt", async () => {
    await page.click('[data-testid=targets] tr[data-target=flaky] a');
    await page.click('.tabs button[data-view=recent]');
    const link = page.locator(`[data-testid=jobs] a:text("${ids.retried}")`);
    await link.waitFor();
    await link.click();
    const timeline = page.locator('[data-testid=timeline]');
    await expect.poll(() => timeline.textContent()).toContain('attempt 2: succeeded');
    const text = (await timeline.textContent())!;
    expect(text).toContain('accepted for target flaky (tenant acme');
    expect(text).toMatch(/attempt 1: failed — flaky_failure: .*retried after \d+ ms/);
    // The job's trace, in the configured viewer, opened apart from the dashboard.
    const { traceId } = (await stack.request.get(`/v1/jobs/${ids.retried}`).set(bearer(tokens.acme))).body as { traceId: string };
    const trace = page.locator('[data-testid=trace-link]');
    expect(await trace.getAttribute('href')).toBe(`http://127.0.0.1:9/trace/${traceId}?from=dashboard`);
    expect(await trace.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await trace.textContent()).toContain(traceId);
  });

  it("names the route that chose a job's target in its timeline", async () => {
    await page.goto(`${base}/admin#job=${ids.routed}`);
    const timeline = page.locator('[data-testid=timeline]');
    await expect.poll(() => timeline.textContent()).toContain('accepted for target echo by route echo-or-fail (tenant acme');
    // A job submitted to its target directly names no route.
    await page.goto(`${base}/admin#job=${ids.retried}`);
    await expect.poll(() => timeline.textContent()).toContain('accepted for target flaky (tenant acme');
  });

  it("shows a fanOut route's job with its steps, each linking to its own timeline", async () => {
    await page.goto(`${base}/admin#job=${ids.fanOut}`);
    const steps = page.locator('[data-testid=steps]');
    await expect.poll(() => steps.locator('tbody tr').count()).toBe(2);
    const { body } = await stack.request.get(`/v1/jobs/${ids.fanOut}`).set(bearer(tokens.acme));
    const second = (body.steps as { name: string; jobId: string }[]).find((s) => s.name === 'second')!;
    expect(await steps.locator('tr[data-step=first] td').allTextContents()).toEqual(['first', 'echo', 'succeeded', (body.steps as { jobId: string }[])[0]!.jobId]);
    await steps.locator(`tr[data-step=second] a:text("${second.jobId}")`).click();
    const timeline = page.locator('[data-testid=timeline]');
    await expect.poll(() => timeline.textContent()).toContain('accepted for target echo by route echo-twice (tenant acme');
    expect(await timeline.locator('strong').first().textContent()).toBe(second.jobId);
    // A step's own timeline is an ordinary job's: no steps table, but a link back to its route's job.
    expect(await page.locator('[data-testid=steps]').count()).toBe(0);
    const back = page.locator('[data-testid=route-job]');
    expect(await back.textContent()).toBe(`step of route echo-twice's job ${ids.fanOut}`);
    await back.locator('a').click();
    await expect.poll(() => timeline.locator('strong').first().textContent()).toBe(ids.fanOut);
    await expect.poll(() => steps.locator('tbody tr').count()).toBe(2);
    expect(await page.locator('[data-testid=route-job]').count()).toBe(0);
  });

  it('pauses a target from its button', async () => {
    await page.click('[data-testid=toggle-idle]');
    await expect.poll(async () => (await stack.request.get('/v1/admin/targets/idle').set(bearer(tokens.ops))).body.counts.paused).toBe(true);
    await expect.poll(() => page.locator('[data-testid=targets] tr[data-target=idle]').textContent()).toContain('paused');
  });

  it("shows a target's circuit breaker: quiet while closed, standing out once an operator holds it open", async () => {
    const badge = page.locator('[data-testid=circuit-guarded]');
    await expect.poll(() => badge.textContent()).toBe('circuit closed');
    expect(await badge.getAttribute('class')).toBe('badge circuit-closed');
    expect(await badge.getAttribute('title')).toBe('circuit closed, failure ratio 0 over 0 attempts in the window');
    // A target without a breaker has no badge.
    expect(await page.locator('[data-testid=targets] tr[data-target=echo] .badge').count()).toBe(0);

    const forced = await stack.request.post('/v1/admin/targets/guarded/circuit').set(bearer(tokens.ops)).send({ state: 'open' });
    expect(forced.status).toBe(200);
    const since = (forced.body as { circuit: { since: string } }).circuit.since;
    // The page's own refresh (every 5 s) brings it in.
    await expect.poll(() => badge.textContent(), { timeout: 15_000 }).toBe('circuit held open');
    expect(await badge.getAttribute('class')).toBe('badge circuit-open');
    const sinceOnPage = await page.evaluate((iso) => new Date(iso).toLocaleString(), since);
    expect(await badge.getAttribute('title')).toBe(`held open by an operator until one closes it, since ${sinceOnPage}`);
    expect(await page.locator('[data-testid=targets] tr[data-target=guarded] td').nth(7).textContent()).toBe('running circuit held open');
    // Left held open: the screenshot of the next test shows it.
  });

  it("shows an adaptive target's concurrency in its Running cell, and nothing for a fixed one", async () => {
    const badge = page.locator('[data-testid=concurrency-adaptive]');
    // No executor has reported: none in flight, and the limit reads as its min (1).
    await expect.poll(() => badge.textContent()).toBe('adaptive 0/1');
    expect(await badge.getAttribute('class')).toBe('badge concurrency');
    expect(await badge.getAttribute('title')).toBe('adaptive concurrency: 0 in flight across executors, limit 1 (min 1, max 20), no reference latency yet');
    expect(await page.locator('[data-testid=targets] tr[data-target=adaptive] td').nth(5).textContent()).toBe('0 adaptive 0/1');
    // The same numbers as the admin API's.
    const view = (await stack.request.get('/v1/admin/targets/adaptive').set(bearer(tokens.ops))).body as { concurrency: object };
    expect(view.concurrency).toEqual({ limit: 1, inFlight: 0, min: 1, max: 20, referenceLatencyMs: null });
    // Fixed targets (an http one too) have no such badge.
    for (const fixed of ['echo', 'api']) expect(await page.locator(`[data-testid=targets] tr[data-target=${fixed}] .badge.concurrency`).count()).toBe(0);
    expect(await page.locator('[data-testid=targets] tr[data-target=api] td').nth(5).textContent()).toBe('0');
  });

  it("shows a fair target's lanes in its Waiting cell, and nothing for a FIFO one", async () => {
    const badge = page.locator('[data-testid=fairness-lanes]');
    await expect.poll(() => badge.textContent()).toBe('fair: 1 tenant');
    expect(await badge.getAttribute('class')).toBe('badge fairness');
    expect(await badge.getAttribute('title')).toBe('fairness between tenants: 2 waiting in 1 tenant lane, up to 4 at a time in the queue; most waiting: acme 2');
    // Waiting counts the lanes' jobs with BullMQ's.
    expect(await page.locator('[data-testid=targets] tr[data-target=lanes] td').nth(3).textContent()).toBe('6 fair: 1 tenant');
    for (const fifo of ['echo', 'idle']) expect(await page.locator(`[data-testid=targets] tr[data-target=${fifo}] .badge.fairness`).count()).toBe(0);
  });

  it('replays a dead letter once its upstream is back, and purges another', async () => {
    const dl = (id: string) => page.locator(`[data-testid=dead-letters] tr[data-job=${id}]`);
    await dl(ids.api!).waitFor();
    await dl(ids.failed!).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });

    upstream.respondWith({ status: 200, body: 'back', headers: { 'content-type': 'text/plain' } });
    await dl(ids.api!).locator('button', { hasText: 'Replay' }).click();
    await eventually(async () => (await stack.request.get(`/v1/jobs/${ids.api}`).set(bearer(tokens.acme))).body.status === 'succeeded');

    await dl(ids.failed!).locator('button', { hasText: 'Purge' }).click();
    await dl(ids.failed!).waitFor({ state: 'detached' });
    expect((await stack.request.get(`/v1/jobs/${ids.failed}`).set(bearer(tokens.acme))).status).toBe(404);
  });

  it('opens the raw queue view (bull-board) with the same session, without Google Fonts or X-Powered-By', async () => {
    const board = await context.newPage();
    const res = (await board.goto(`${base}/admin/queues`, { waitUntil: 'domcontentloaded' }))!;
    const headers = await res.allHeaders();
    expect(headers['x-powered-by']).toBeUndefined();
    const csp = headers['content-security-policy']!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:|\*/);
    expect(await res.text()).not.toMatch(/fonts\.(googleapis|gstatic)\.com/);
    expect(await board.title()).toBe('async-gateway queues');
    await expect.poll(() => board.locator('body').textContent(), { timeout: 15_000 }).toContain('target echo');
    // One queue's page with a job card in it (the paused target's waiting job, queued with
    // a priority): more of bull-board's code and styles.
    await board.getByText('target idle').first().click();
    await board.waitForURL(/\/admin\/queues\/queue\//);
    await board.getByRole('link', { name: /prioritized/i }).click();
    await expect.poll(() => board.locator('body').textContent(), { timeout: 15_000 }).toContain(ids.waiting);
    await board.close();
  });

  it('signs out, after which the API refuses the old session', async () => {
    await page.click('#sign-out');
    await page.locator('#sign-in').waitFor({ state: 'visible' });
    const status = await page.evaluate("fetch('/v1/admin/targets', { credentials: 'same-origin' }).then((r) => r.status)");
    expect(status).toBe(401);
  });

  it('made no request outside the gateway, and broke no rule of its Content-Security-Policy', async () => {
    const made = requests.map((r) => `${r.method()} ${r.url()}${r.failure() ? ` (failed: ${r.failure()!.errorText})` : ''}`);
    writeFileSync(`${ARTIFACTS}/dashboard-requests.txt`, `${made.join('\n')}\n`);
    expect(made.length).toBeGreaterThan(10);
    expect(requests.filter((r) => new URL(r.url()).origin !== base).map((r) => r.url())).toEqual([]);
    // The list did see bull-board's page and assets, not only our own.
    expect(made).toContainEqual(expect.stringMatching(/^GET .*\/admin\/queues\/static\/js\/main\./));
    expect(violations).toEqual([]);
    // Sign-in and sign-out went through the gateway's Origin check, with the browser's own Origin.
    const session = requests.filter((r) => r.url() === `${base}/admin/session` && r.method() !== 'GET');
    expect(session.map((r) => r.method())).toEqual(['POST', 'POST', 'DELETE']);
    for (const r of session) expect((await r.allHeaders()).origin).toBe(base);
  });
});

mkdirSync(ARTIFACTS, { recursive: true });
