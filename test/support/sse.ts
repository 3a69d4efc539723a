import { request as httpRequest } from 'node:http';

export interface SseEvent {
  id?: string;
  event?: string;
  data: Record<string, unknown>;
}

/** Reads a whole event stream (until the server ends it) as parsed events. */
export function readEvents(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; events: SseEvent[] }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const events: SseEvent[] = [];
        for (const block of text.split('\n\n')) {
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => l && !l.startsWith(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
          ) as Record<string, string>;
          if (fields.data) events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) as Record<string, unknown> });
        }
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), events });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
