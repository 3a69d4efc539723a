import type { Request } from 'express';

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The origins a browser request to this gateway may come from: its own as received (the
 * scheme, a trusted proxy's when `trustProxy` says so, and the Host header), and
 * `server.publicUrl`'s when one is configured (behind a proxy that rewrites Host).
 */
export function ownOrigins(req: Request, publicUrl: string | undefined): string[] {
  return [originOf(`${req.protocol}://${req.get('host') ?? ''}`), publicUrl ? originOf(publicUrl) : undefined].filter((o): o is string => o !== undefined);
}

/** True when the request's Origin header is one of ours. */
export function fromOwnOrigin(req: Request, publicUrl: string | undefined): boolean {
  const origin = req.get('origin');
  return origin !== undefined && ownOrigins(req, publicUrl).includes(origin);
}
