/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date, as seconds from now. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1_000));
}

/**
 * A signal that aborts when any of `signals` does (AbortSignal.any, which some runtimes
 * still lack). `dispose` removes the listeners once the operation is over.
 */
export function linkSignals(...signals: (AbortSignal | undefined)[]): { signal: AbortSignal; abort(reason?: unknown): void; dispose(): void } {
  const controller = new AbortController();
  const cleanups: (() => void)[] = [];
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    const onAbort = () => controller.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => s.removeEventListener('abort', onAbort));
  }
  return {
    signal: controller.signal,
    abort: (reason?: unknown) => controller.abort(reason),
    dispose: () => cleanups.forEach((c) => c()),
  };
}

/** Exponential backoff with equal jitter: a random delay in [d/2, d], d = min(cap, base · 2^attempt). */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const d = Math.min(capMs, baseMs * 2 ** attempt);
  return d / 2 + (Math.random() * d) / 2;
}
