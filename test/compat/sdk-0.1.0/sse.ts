/**
 * An incremental Server-Sent Events parser (the WHATWG "event stream" format). Text arrives in
 * arbitrary chunks; events come out whole. Handles LF, CRLF and CR line ends (a CRLF may be
 * split across chunks), `:` comments, multi-line `data`, and a leading byte-order mark.
 */

export interface SseEvent {
  /** `event:` field; `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** Last `id:` seen on the stream, or '' when none. */
  id: string;
}

export class SseParser {
  private buffer = '';
  private started = false;
  /** The previous chunk ended in CR: a LF at the start of the next one belongs to it. */
  private afterCR = false;
  private data: string[] = [];
  private eventType = '';
  private lastId = '';

  /** Feeds decoded text; returns the events it completed, in order. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (text.length === 0) return [];
    if (!this.started) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1);
    }
    if (this.afterCR && text.startsWith('\n')) text = text.slice(1);
    this.afterCR = false;
    this.buffer += text;

    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const end = nextLineEnd(this.buffer, start);
      if (end === -1) break;
      const event = this.line(this.buffer.slice(start, end));
      if (event) events.push(event);
      start = end + 1;
      if (this.buffer[end] === '\r') {
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (start === this.buffer.length) this.afterCR = true;
        else if (this.buffer[start] === '\n') start += 1;
      }
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    // `retry` and unknown fields are ignored: the client owns its reconnect policy.
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const event = this.eventType || 'message';
    this.data = [];
    this.eventType = '';
    // Per the spec, a block without data lines (e.g. only comments) dispatches nothing.
    if (data.length === 0) return undefined;
    return { event, data: data.join('\n'), id: this.lastId };
  }
}

function nextLineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10 || ch === 13) return i;
  }
  return -1;
}
