/**
 * Which client headers transparent mode may carry upstream. Shared by the config check
 * (start-up refuses a target that asks for the impossible) and the capture itself
 * (which drops these whatever the config says, as a second line).
 */

/**
 * The gateway's own credentials: the client's API key (`Authorization: Bearer agk_…`), the
 * dashboard's session cookie, a proxy's credentials. Never forwarded upstream and never
 * stored with a job. An upstream that needs per-request credentials gets them from a
 * dedicated client header mapped with `forwardHeadersAs`.
 */
export const GATEWAY_CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * Never replayed: they describe this hop's connection and framing (the worker's HTTP client
 * sets its own), the gateway's own host, or an encoding the body parser has already undone
 * (a gzip body is captured inflated).
 */
export const HOP_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'content-encoding',
]);

export interface ForwardingProblem {
  /** Path below the target, e.g. ["forwardHeaders", 2]. */
  path: (string | number)[];
  message: string;
}

/** What is wrong with a target's forwarding settings; empty when nothing is. */
export function forwardingProblems(target: {
  forwardHeaders: readonly string[];
  forwardHeadersAs: Readonly<Record<string, string>>;
  headers: Readonly<Record<string, string>>;
}): ForwardingProblem[] {
  const problems: ForwardingProblem[] = [];
  const configured = new Set(Object.keys(target.headers).map((h) => h.toLowerCase()));
  target.forwardHeaders.forEach((name, i) => {
    if (GATEWAY_CREDENTIAL_HEADERS.has(name)) {
      problems.push({
        path: ['forwardHeaders', i],
        message: `"${name}" carries the gateway's own credentials and is never forwarded; map a dedicated client header instead (forwardHeadersAs: {"x-upstream-${name}": "${name}"})`,
      });
    }
  });
  for (const [from, to] of Object.entries(target.forwardHeadersAs)) {
    if (GATEWAY_CREDENTIAL_HEADERS.has(from)) {
      problems.push({ path: ['forwardHeadersAs', from], message: `"${from}" carries the gateway's own credentials; clients send upstream credentials in a header of their own` });
    }
    if (HOP_HEADERS.has(from) || HOP_HEADERS.has(to)) {
      problems.push({ path: ['forwardHeadersAs', from], message: `hop-by-hop and framing headers (${[...HOP_HEADERS].join(', ')}) cannot be mapped` });
    }
    if (target.forwardHeaders.includes(from) || target.forwardHeaders.includes(to)) {
      problems.push({ path: ['forwardHeadersAs', from], message: `"${target.forwardHeaders.includes(from) ? from : to}" is also in forwardHeaders; list it in one place` });
    }
    if (configured.has(to)) {
      problems.push({ path: ['forwardHeadersAs', from], message: `"${to}" is also set in headers; a configured header and a client's value cannot both win` });
    }
  }
  const targets = Object.values(target.forwardHeadersAs);
  const twice = targets.find((to, i) => targets.indexOf(to) !== i);
  if (twice) problems.push({ path: ['forwardHeadersAs'], message: `two client headers map to "${twice}"` });
  return problems;
}
