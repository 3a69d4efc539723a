import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../workers/handlers/index.js';
import { upstreamUrl } from '../../workers/executor/call-upstream.js';

const BASE = 'http://127.0.0.1:9/api';

describe('upstreamUrl', () => {
  it.each([
    ['appends the suffix to the base path', BASE, '/orders/7', '', `${BASE}/orders/7`],
    ['ignores a trailing slash on the base', `${BASE}/`, '/orders/7', '', `${BASE}/orders/7`],
    ['keeps a trailing slash of the suffix', BASE, '/orders/', '', `${BASE}/orders/`],
    ['uses the base as is with no suffix', BASE, '', '', BASE],
    ['keeps the base trailing slash with no suffix', `${BASE}/`, '', '', `${BASE}/`],
    ['works below a root base', 'http://127.0.0.1:9', '/a/b', '', 'http://127.0.0.1:9/a/b'],
    ['keeps percent-encoded bytes of the suffix', BASE, '/a%20b/%C3%A9', '', `${BASE}/a%20b/%C3%A9`],
    ['allows a dot segment that stays inside', BASE, '/a/../b', '', `${BASE}/b`],
    ['keeps the query verbatim', BASE, '/x', 'a=1&b=%20x&c=%2F&d=&e&f=a+b&g=%E2%82%AC&h=x,y;z', `${BASE}/x?a=1&b=%20x&c=%2F&d=&e&f=a+b&g=%E2%82%AC&h=x,y;z`],
    ['keeps a repeated key in order', BASE, '', 'k=2&k=1', `${BASE}?k=2&k=1`],
    ['keeps a query that starts with "?"', BASE, '', '?odd', `${BASE}??odd`],
    ['appends the query to the base query', `${BASE}?api-version=2`, '/x', 'a=1', `${BASE}/x?api-version=2&a=1`],
    ['keeps the base query with no captured one', `${BASE}?api-version=2`, '/x', '', `${BASE}/x?api-version=2`],
  ])('%s', (_name, base, suffix, query, expected) => {
    expect(upstreamUrl(base, suffix, query)).toBe(expected);
  });

  it.each([
    ['a parent segment', '/../admin'],
    ['an encoded parent segment', '/%2e%2e/admin'],
    ['a mixed-case encoded parent segment', '/.%2E/admin'],
    ['a parent segment deeper in', '/a/../../admin'],
    ['the sibling that shares a prefix', '/../api2/x'],
    ['a backslash parent segment', '/..\\admin'],
    ['a suffix glued to the base name', 'x/y'],
    ['a suffix with no leading slash', '2'],
  ])('refuses %s, permanently', (_name, suffix) => {
    let thrown: unknown;
    try {
      upstreamUrl(BASE, suffix, '');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PermanentError);
    expect(thrown).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/escapes/) });
  });
});
