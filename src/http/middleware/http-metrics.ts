import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../../observability/metrics.js';

/**
 * Times every request into `asyncgw_http_request_duration_seconds`, labelled by the
 * route *template* (`/v1/jobs/:id`), never the raw path: ids in labels would give
 * Prometheus one series per job.
 */
export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => end({ method: req.method, route: routeTemplate(req), status: String(res.statusCode) }));
    // A client that hangs up before the answer is counted as 499, as nginx does.
    res.once('close', () => {
      if (!res.writableFinished) end({ method: req.method, route: routeTemplate(req), status: '499' });
    });
    next();
  };
}

function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return req.baseUrl + path;
  if (Array.isArray(path)) return req.baseUrl + String(path[path.length - 1]);
  return 'unmatched';
}
