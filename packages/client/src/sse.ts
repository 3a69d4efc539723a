/**
 * A server-sent events parser per the WHATWG HTML standard (§9.2 "Server-sent events",
 * the event stream interpretation): lines end in CRLF, LF or CR; `data` lines join with
 * LF; `:` starts a comment (heartbeats); `id` sets the last event id (kept across events,
 * ignored when it holds NUL); `retry` sets the reconnection time when it is all digits;
 * an event is dispatched at a blank line, and only when it has data; a final event
 * without its blank line is dropped.
 */

export interface SseMessage {
  /** `event:` field, `message` when absent. */
  event: string;
  data: string;
  /** The last event id when the message was dispatched ('' when none was ever set). */
  lastEventId: string;
  /** Whether this message itself carried an `id:` field. */
  hasId: boolean;
}

export class SseParser {
  /** The last event id, to send as `Last-Event-ID` on reconnect. */
  lastEventId = '';
  /** The reconnection time the server asked for (`retry:`), in ms. */
  retryMs: number | undefined;
  /** Comment lines seen (heartbeats). */
  comments = 0;

  private buffer = '';
  private started = false;
  private skipLeadingLF = false;
  private data: string[] = [];
  private eventType = '';
  private sawId = false;

  /** Feeds decoded text; returns the messages it completed. */
  push(text: string): SseMessage[] {
    if (this.skipLeadingLF && text.length > 0) {
      this.skipLeadingLF = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    this.buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      this.line(this.buffer.slice(start, i), out);
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          // A CR at the end of this chunk: a LF starting the next one belongs to it.
          this.skipLeadingLF = true;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === '') return this.dispatch(out);
    if (line.startsWith(':')) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.lastEventId = value;
          this.sawId = true;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  private dispatch(out: SseMessage[]): void {
    if (this.data.length > 0) {
      out.push({ event: this.eventType || 'message', data: this.data.join('\n'), lastEventId: this.lastEventId, hasId: this.sawId });
    }
    this.data = [];
    this.eventType = '';
    this.sawId = false;
  }
}

/** Reads an event stream body, yielding each message as it completes. Cancels the body when the loop stops early. */
export async function* readEventStream(body: ReadableStream<Uint8Array>, parser: SseParser): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  let done = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        yield* parser.push(decoder.decode());
        return;
      }
      yield* parser.push(decoder.decode(chunk.value, { stream: true }));
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
