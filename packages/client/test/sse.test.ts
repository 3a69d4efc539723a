import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readEventStream, SseParser, type SseMessage } from '../src/sse.js';

const parse = (...chunks: string[]) => {
  const p = new SseParser();
  const out: SseMessage[] = [];
  for (const c of chunks) out.push(...p.push(c));
  return { parser: p, out };
};

describe('SseParser (WHATWG event stream interpretation)', () => {
  it('joins multi-line data with LF and takes the event name', () => {
    const { out } = parse('event: status\ndata: {"a":\ndata: 1}\n\n');
    expect(out).toEqual([{ event: 'status', data: '{"a":\n1}', lastEventId: '', hasId: false }]);
  });

  it('skips comments (heartbeats) and counts them', () => {
    const { out, parser } = parse(': keep-alive\n\n:another\ndata: x\n\n: tail\n\n');
    expect(out.map((m) => m.data)).toEqual(['x']);
    expect(parser.comments).toBe(3);
  });

  it('keeps the last event id across events, and ignores an id holding NUL', () => {
    const { out, parser } = parse('id: 1\ndata: a\n\ndata: b\n\nid: 2\u0000\ndata: c\n\nid: 3\n\n');
    expect(out.map((m) => [m.data, m.lastEventId, m.hasId])).toEqual([
      ['a', '1', true],
      ['b', '1', false],
      ['c', '1', false],
    ]);
    // An id without data dispatches nothing but still moves the last event id.
    expect(parser.lastEventId).toBe('3');
  });

  it('sets retry only from digits', () => {
    expect(parse('retry: 2000\n\n').parser.retryMs).toBe(2000);
    expect(parse('retry: 2000\nretry: 1e3\n\n').parser.retryMs).toBe(2000);
    expect(parse('retry: soon\n\n').parser.retryMs).toBeUndefined();
  });

  it('accepts CRLF, CR and LF line ends, a BOM, fields without a colon or a space', () => {
    const { out } = parse('\uFEFFdata:one\r\n\r\ndata\rdata: two\r\rdata:  three\n\n');
    expect(out.map((m) => m.data)).toEqual(['one', '\ntwo', ' three']);
  });

  it('dispatches only at a blank line; drops a final event without one; the default name is message', () => {
    const { out } = parse('data: kept\n\n', 'data: dropped');
    expect(out).toHaveLength(1);
    expect(out[0]!.event).toBe('message');
  });

  it('gives the same messages however the stream is cut into chunks (CR LF split across chunks included)', () => {
    const stream =
      '\uFEFFretry: 500\r\n: hb\r\nid: 7\r\nevent: status\r\ndata: {"x":1}\r\ndata: line2\r\n\r\n' +
      'event: progress\rdata: 50\r\rid: 8\ndata: {"y":"\u00e9\u4e2d"}\n\n:c\n\ndata\n\n';
    const whole = parse(stream).out;
    expect(whole).toHaveLength(4);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = points.slice(1).map((end, i) => stream.slice(points[i], end));
        expect(parse(...chunks).out).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a byte stream, decoding UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('id: 1\nevent: status\ndata: "\u00e9\u4e2d\ud83d\ude00"\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 3) controller.enqueue(bytes.slice(i, i + 3));
        controller.close();
      },
    });
    const got: SseMessage[] = [];
    for await (const m of readEventStream(body, new SseParser())) got.push(m);
    expect(got).toEqual([{ event: 'status', data: '"\u00e9\u4e2d\ud83d\ude00"', lastEventId: '1', hasId: true }]);
  });

  it('cancels the body when the reader stops early', async () => {
    let canceled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: x\n\n'));
      },
      cancel() {
        canceled = true;
      },
    });
    for await (const _m of readEventStream(body, new SseParser())) break;
    expect(canceled).toBe(true);
  });
});
