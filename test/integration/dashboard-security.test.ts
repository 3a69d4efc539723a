import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../support/api-keys.js';
import { DEMO_TARGETS, startStack, testConfig, type TestStack } from '../support/test-stack.js';

const { tokens, auth } = apiKeys({ ops: 'admin' });
/** The Host every request here names, so the gateway's own origin is known: http://gateway.test. */
const HOST = 'gateway.test';

const stackWith = (server: Record<string, unknown> = {}) => startStack({ executor: false, config: testConfig({ targets: DEMO_TARGETS, auth, server }) });
const setCookieOf = (res: Response): string | undefined => (res.headers['set-cookie'] as unknown as string[] | undefined)?.[0];
const cookieOf = (res: Response): string => setCookieOf(res)?.split(';')[0] ?? '';
const sessionsIn = async (stack: TestStack) => (await stack.keys(`${stack.config.server.keyPrefix}:admin-session:*`)).sort();

/** A CSP header as directive → sources. */
function directives(csp: string | undefined): Map<string, string[]> {
  expect(csp, 'Content-Security-Policy header').toBeTypeOf('string');
  const map = new Map<string, string[]>();
  for (const part of csp!.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) map.set(name, sources);
  }
  return map;
}

/**
 * The dashboard's browser-facing security: a CSP under /admin that lets nothing but the
 * gateway itself in (bull-board's Google Fonts link is dropped), no X-Powered-By from
 * bull-board's inner express app, an Origin check on sign-in and sign-out, and the session
 * cookie's Secure flag when the request came over https through a trusted proxy.
 */
describe('dashboard security', () => {
  let plain: TestStack;
  let proxied: TestStack;
  let published: TestStack;

  beforeAll(async () => {
    [plain, proxied, published] = await Promise.all([
      stackWith(),
      stackWith({ trustProxy: 'loopback' }),
      // A proxy is trusted, but not the peer these requests come from (127.0.0.1).
      stackWith({ publicUrl: 'https://ops.example.com/', trustProxy: '10.0.0.1' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), proxied?.close(), published?.close()]);
  });

  const signIn = (stack: TestStack, headers: Record<string, string> = {}) => stack.request.post('/admin/session').set('Host', HOST).set(headers).send({ apiKey: tokens.ops });
  const signOut = (stack: TestStack, cookie: string, headers: Record<string, string> = {}) => stack.request.delete('/admin/session').set('Host', HOST).set('Cookie', cookie).set(headers);
  const whoAmI = (stack: TestStack, cookie: string) => stack.request.get('/admin/session').set('Cookie', cookie);

  describe('Content-Security-Policy and headers', () => {
    it('gives every /admin response a CSP that admits the gateway alone, forbids framing, and no X-Powered-By', async () => {
      const cookie = cookieOf(await signIn(plain));
      const page = await plain.request.get('/admin/');
      const board = await plain.request.get('/admin/queues').set('Cookie', cookie);
      const css = /href="(static\/css\/main\.[^"]+\.css)"/.exec(board.text)?.[1];
      const js = /src="(static\/js\/main\.[^"]+\.js)"/.exec(board.text)?.[1];
      expect(css && js, "bull-board's own assets are still linked").toBeTruthy();
      const responses: [string, Response, number][] = [
        ['/admin/', page, 200],
        ['/admin/dashboard.js', await plain.request.get('/admin/dashboard.js'), 200],
        ['/admin/dashboard.css', await plain.request.get('/admin/dashboard.css'), 200],
        ['/admin/queues (signed out)', await plain.request.get('/admin/queues'), 401],
        ['/admin/queues', board, 200],
        ['/admin/queues/queue/x', await plain.request.get('/admin/queues/queue/x').set('Cookie', cookie), 200],
        [`/admin/queues/${css}`, await plain.request.get(`/admin/queues/${css}`).set('Cookie', cookie), 200],
        [`/admin/queues/${js}`, await plain.request.get(`/admin/queues/${js}`).set('Cookie', cookie), 200],
        ['/admin/queues/api/queues', await plain.request.get('/admin/queues/api/queues').set('Cookie', cookie), 200],
      ];
      for (const [what, res, status] of responses) {
        expect(res.status, what).toBe(status);
        expect(res.headers['x-powered-by'], what).toBeUndefined();
        expect(res.headers['x-frame-options'], what).toBe('DENY');
        const csp = directives(res.headers['content-security-policy']);
        expect(csp.get('default-src'), what).toEqual(["'self'"]);
        expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
        expect(csp.get('script-src'), what).toEqual(["'self'"]);
        expect(csp.get('object-src'), what).toEqual(["'none'"]);
        // No host, scheme (https:, data:) or wildcard in any directive: nothing but the gateway.
        for (const [name, sources] of csp) for (const source of sources) expect(["'self'", "'none'", "'unsafe-inline'"], `${what}: ${name} ${source}`).toContain(source);
        // Inline styles only for bull-board's views (its template and React need them), never for script.
        const bullBoard = what.startsWith('/admin/queues');
        expect(csp.get('style-src'), what).toEqual(bullBoard ? ["'self'", "'unsafe-inline'"] : ["'self'"]);
        expect([...csp].filter(([name, sources]) => name !== 'style-src' && sources.includes("'unsafe-inline'")), what).toEqual([]);
      }
    });

    it("serves bull-board's page without Google Fonts or any other link off the gateway", async () => {
      const board = await plain.request.get('/admin/queues').set('Cookie', cookieOf(await signIn(plain)));
      expect(board.status).toBe(200);
      expect(board.text).toContain('<title>async-gateway queues</title>');
      expect(board.text).not.toMatch(/fonts\.(googleapis|gstatic)\.com/);
      expect(board.text).not.toMatch(/\b(?:href|src)\s*=\s*["']?(?:[a-z][a-z0-9+.-]*:)?\/\//i);
      expect(board.text).toMatch(/<link href="static\/css\/main\.[^"]+\.css" rel="stylesheet">/);
    });
  });

  describe('Origin check on sign-in and sign-out', () => {
    const foreign = ['http://evil.example', 'null', `http://${HOST}:8080`, `https://${HOST}`, `http://${HOST}.evil.example`];

    it('refuses a sign-in from another origin with 403 forbidden, and opens no session', async () => {
      const before = await sessionsIn(plain);
      for (const origin of foreign) {
        const res = await signIn(plain, { Origin: origin });
        expect(res.status, origin).toBe(403);
        expect(res.headers['content-type'], origin).toMatch(/^application\/problem\+json/);
        expect(res.body, origin).toMatchObject({ code: 'forbidden', status: 403 });
        expect(res.body.detail, origin).toBe(
          `cross-origin request refused: Origin ${JSON.stringify(origin)} is not this gateway's origin (http://${HOST}); behind a TLS proxy, set server.trustProxy or server.publicUrl`,
        );
        expect(setCookieOf(res), origin).toBeUndefined();
      }
      // Refused before the body is read: a bad body from elsewhere is still a 403.
      expect((await plain.request.post('/admin/session').set('Host', HOST).set('Origin', 'http://evil.example').send({})).status).toBe(403);
      expect(await sessionsIn(plain)).toEqual(before);
    });

    it('signs in from its own origin, and without an Origin (a script, curl)', async () => {
      for (const headers of [{ Origin: `http://${HOST}` }, {}] as Record<string, string>[]) {
        const res = await signIn(plain, headers);
        expect(res.status, JSON.stringify(headers)).toBe(204);
        expect((await whoAmI(plain, cookieOf(res))).status).toBe(200);
      }
    });

    it('refuses a sign-out from another origin and keeps the session; signs out from its own origin or none', async () => {
      const cookie = cookieOf(await signIn(plain));
      for (const origin of foreign) {
        const res = await signOut(plain, cookie, { Origin: origin });
        expect(res.status, origin).toBe(403);
        expect(res.body, origin).toMatchObject({ code: 'forbidden' });
        expect(res.body.detail, origin).toMatch(/^cross-origin request refused/);
        expect(setCookieOf(res), origin).toBeUndefined();
      }
      expect((await whoAmI(plain, cookie)).status).toBe(200);

      const out = await signOut(plain, cookie, { Origin: `http://${HOST}` });
      expect(out.status).toBe(204);
      expect(setCookieOf(out)).toMatch(/^agw_admin=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
      expect((await whoAmI(plain, cookie)).status).toBe(401);

      const other = cookieOf(await signIn(plain));
      expect((await signOut(plain, other)).status).toBe(204);
      expect((await whoAmI(plain, other)).status).toBe(401);
    });

    it('accepts server.publicUrl as the origin too, and names both in its refusal', async () => {
      const res = await published.request.post('/admin/session').set('Host', 'gateway-7.internal:3000').set('Origin', 'https://ops.example.com').send({ apiKey: tokens.ops });
      expect(res.status).toBe(204);
      const cookie = cookieOf(res);
      const refused = await published.request.delete('/admin/session').set('Host', 'gateway-7.internal:3000').set('Cookie', cookie).set('Origin', 'https://evil.example');
      expect(refused.status).toBe(403);
      expect(refused.body.detail).toContain("is not this gateway's origin (http://gateway-7.internal:3000 or https://ops.example.com)");
      // The dashboard's own state changes (cookie-authenticated) accept the public origin too.
      const pause = (origin: string) => published.request.post('/v1/admin/targets/echo/pause').set('Host', 'gateway-7.internal:3000').set('Cookie', cookie).set('Origin', origin);
      expect((await pause('https://evil.example')).status).toBe(403);
      expect((await pause('https://ops.example.com')).status).toBe(200);
      await published.request.post('/v1/admin/targets/echo/resume').set('Cookie', cookie).set('Origin', 'https://ops.example.com');
      expect((await published.request.delete('/admin/session').set('Cookie', cookie).set('Origin', 'https://ops.example.com')).status).toBe(204);
    });
  });

  describe('Secure cookie flag', () => {
    it('marks both cookies Secure when a trusted proxy says the request came over https', async () => {
      const https = { 'X-Forwarded-Proto': 'https' };
      const res = await signIn(proxied, { ...https, Origin: `https://${HOST}` });
      expect(res.status).toBe(204);
      expect(setCookieOf(res)).toMatch(/^agw_admin=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800; Secure$/);
      // The origin it came from is now the https one.
      expect((await signIn(proxied, { ...https, Origin: `http://${HOST}` })).status).toBe(403);

      const out = await signOut(proxied, cookieOf(res), { ...https, Origin: `https://${HOST}` });
      expect(out.status).toBe(204);
      expect(setCookieOf(out)).toBe('agw_admin=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure');

      // The same proxy, plain http: no Secure.
      const overHttp = await signIn(proxied, { 'X-Forwarded-Proto': 'http' });
      expect(setCookieOf(overHttp)).not.toContain('Secure');
      expect(setCookieOf(await signOut(proxied, cookieOf(overHttp)))).not.toContain('Secure');
    });

    it('ignores a forged X-Forwarded-Proto from a peer it does not trust', async () => {
      for (const stack of [plain, published]) {
        const forged = { 'X-Forwarded-Proto': 'https' };
        const res = await signIn(stack, forged);
        expect(res.status).toBe(204);
        expect(setCookieOf(res)).toMatch(/^agw_admin=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
        const out = await signOut(stack, cookieOf(res), forged);
        expect(setCookieOf(out)).toBe('agw_admin=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
        // Nor does it make an https Origin the gateway's own.
        expect((await signIn(stack, { ...forged, Origin: `https://${HOST}` })).status).toBe(403);
      }
    });
  });
});
