import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A stand-in OTLP/HTTP collector for the traced gateway (the submit-traced case): a plain
 * HTTP server on loopback that reads each POST body, counts it, and answers 200 with an
 * empty body at once, as a collector that keeps up would. It also counts the spans in
 * each protobuf body (a walk over the wire format, no decoder): an export that arrives but
 * carries fewer spans than the requests made means the SDK dropped some (its queue full),
 * and the reader of the figures must know that.
 */
export interface OtlpStats {
  /** Export requests (POSTs) received. */
  requests: number;
  /** Their bodies' bytes, as sent (compressed, if the exporter compressed). */
  bytes: number;
  spans: number;
  /** SERVER spans: one per traced HTTP request to the gateway. */
  serverSpans: number;
  /** Bodies that were not OTLP protobuf, or did not parse as such. */
  undecoded: number;
}

export interface OtlpSink {
  /** The traces endpoint, for OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
  url: string;
  /** A copy of the counts so far. */
  stats(): OtlpStats;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const stats: OtlpStats = { requests: 0, bytes: 0, spans: 0, serverSpans: 0, undecoded: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      stats.requests++;
      stats.bytes += body.length;
      count(stats, body, req.headers['content-type'], req.headers['content-encoding']);
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
      res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function count(stats: OtlpStats, body: Buffer, contentType: string | undefined, encoding: string | undefined): void {
  if (!contentType?.startsWith('application/x-protobuf')) {
    stats.undecoded++;
    return;
  }
  try {
    const plain = encoding === 'gzip' ? gunzipSync(body) : body;
    const found = countSpans(plain);
    stats.spans += found.spans;
    stats.serverSpans += found.server;
  } catch {
    stats.undecoded++;
  }
}

// The field numbers of opentelemetry/proto/collector/trace/v1 and trace/v1 that lead to a span's kind.
const RESOURCE_SPANS = 1; // ExportTraceServiceRequest.resource_spans
const SCOPE_SPANS = 2; // ResourceSpans.scope_spans
const SPANS = 2; // ScopeSpans.spans
const KIND = 6; // Span.kind
const SPAN_KIND_SERVER = 2;

/** Spans, and SERVER spans among them, in an ExportTraceServiceRequest. */
export function countSpans(buf: Uint8Array): { spans: number; server: number } {
  let spans = 0;
  let server = 0;
  for (const rs of fields(buf, 0, buf.length)) {
    if (rs.field !== RESOURCE_SPANS || rs.end === undefined) continue;
    for (const ss of fields(buf, rs.start, rs.end)) {
      if (ss.field !== SCOPE_SPANS || ss.end === undefined) continue;
      for (const span of fields(buf, ss.start, ss.end)) {
        if (span.field !== SPANS || span.end === undefined) continue;
        spans++;
        for (const f of fields(buf, span.start, span.end)) if (f.field === KIND && f.value === SPAN_KIND_SERVER) server++;
      }
    }
  }
  return { spans, server };
}

/** One field of a protobuf message: a length-delimited one's bytes are [start, end); a varint's `value`. */
interface Field {
  field: number;
  start: number;
  end?: number;
  value?: number;
}

/** The fields of the message in buf[from, to), in order; throws on a truncated or unknown encoding. */
function* fields(buf: Uint8Array, from: number, to: number): Generator<Field> {
  let at = from;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= to) throw new Error('truncated varint');
      const b = buf[at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  };
  while (at < to) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        yield { field, start: at, value: varint() };
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const len = varint();
        const start = at;
        at += len;
        if (at > to) throw new Error('truncated field');
        yield { field, start, end: at };
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`wire type ${tag & 7} in field ${field}`);
    }
  }
  if (at !== to) throw new Error('truncated message');
}
