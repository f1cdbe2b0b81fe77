/**
 * A raw HTTP/1.1 client connection that pipelines: requests are written when they are due,
 * without waiting for earlier answers, and answers are matched to requests in send order (an
 * HTTP/1.1 server answers pipelined requests in the order it received them). node:http's client
 * cannot pipeline, and a flood from 1,000 sockets must cost the generator little CPU per
 * request, so the parser reads only what the overload report needs: the status, the framing
 * (Content-Length or chunked), whether Retry-After is present, and a non-2xx body's error code.
 */
import { connect, type Socket } from 'node:net';

export interface Answer {
  status: number;
  /** `error.code` of a non-2xx JSON body; null for 2xx or a body without one. */
  code: string | null;
  retryAfter: boolean;
}

export interface ConnectionEvents {
  /** `tag` is what the request was sent with (the flood uses the request's index). */
  answer(tag: number, answer: Answer): void;
  /** The connection ended with this request unanswered. */
  lost(tag: number, reason: string): void;
  closed(conn: PipelinedConnection): void;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

export class PipelinedConnection {
  private readonly socket: Socket;
  /** Tags of requests written and not yet answered, oldest first (from `head`). */
  private pending: number[] = [];
  private head = 0;
  private buf: Buffer = Buffer.alloc(0);
  private closeReason = 'NET_CLOSED';
  open = false;
  ended = false;

  constructor(port: number, host: string, private readonly events: ConnectionEvents) {
    this.socket = connect({ port, host, noDelay: true });
    this.socket.on('connect', () => {
      this.open = true;
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (e: NodeJS.ErrnoException) => {
      this.closeReason = `NET_${e.code ?? e.name}`;
    });
    this.socket.on('close', () => {
      this.open = false;
      this.ended = true;
      for (let i = this.head; i < this.pending.length; i++) this.events.lost(this.pending[i] ?? -1, this.closeReason);
      this.pending = [];
      this.head = 0;
      this.events.closed(this);
    });
  }

  /** Resolves once connected; false if the connection failed or closed first. */
  connected(): Promise<boolean> {
    if (this.open || this.ended) return Promise.resolve(this.open);
    return new Promise((resolve) => {
      this.socket.once('connect', () => resolve(true));
      this.socket.once('close', () => resolve(false));
    });
  }

  get inFlight(): number {
    return this.pending.length - this.head;
  }

  /** Queues the bytes whatever the socket's backpressure: an open-loop flood does not wait. */
  send(tag: number, request: string): void {
    this.pending.push(tag);
    this.socket.write(request);
  }

  /** Between cork() and uncork(), sends are gathered into one write (one syscall). */
  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  /** A graceful end once every answer is in (the client is done), or at once with `destroy`. */
  end(destroy = false): void {
    if (destroy) {
      this.closeReason = 'UNANSWERED';
      this.socket.destroy();
    } else this.socket.end();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    for (;;) {
      const parsed = parseAnswer(this.buf, pos);
      if (parsed === null) break;
      pos = parsed.next;
      const tag = this.pending[this.head++];
      if (this.head > 4096 && this.head * 2 > this.pending.length) {
        this.pending = this.pending.slice(this.head);
        this.head = 0;
      }
      if (tag !== undefined) this.events.answer(tag, parsed.answer);
      else this.closeReason = 'UNSOLICITED_ANSWER';
    }
    this.buf = pos === 0 ? this.buf : this.buf.subarray(pos);
  }
}

/** One complete answer starting at `from`, or null when more bytes are needed. Exported for tests. */
export function parseAnswer(buf: Buffer, from: number): { answer: Answer; next: number } | null {
  const headerEnd = buf.indexOf(HEADER_END, from);
  if (headerEnd < 0) return null;
  const head = buf.toString('latin1', from, headerEnd);
  const status = Number(head.slice(9, 12));
  const bodyStart = headerEnd + 4;
  let body: { start: number; end: number; next: number; chunks?: Buffer[] } | null;
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) body = dechunk(buf, bodyStart);
  else {
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? '0');
    body = bodyStart + length <= buf.length ? { start: bodyStart, end: bodyStart + length, next: bodyStart + length } : null;
  }
  if (body === null) return null;
  let code: string | null = null;
  if (status < 200 || status >= 300) {
    const text = body.chunks ? Buffer.concat(body.chunks).toString('utf8') : buf.toString('utf8', body.start, body.end);
    code = /"code"\s*:\s*"([^"]+)"/.exec(text)?.[1] ?? null;
  }
  return { answer: { status, code, retryAfter: /\r\nretry-after:/i.test(head) }, next: body.next };
}

function dechunk(buf: Buffer, from: number): { start: number; end: number; next: number; chunks: Buffer[] } | null {
  const chunks: Buffer[] = [];
  let pos = from;
  for (;;) {
    const lineEnd = buf.indexOf(CRLF, pos);
    if (lineEnd < 0) return null;
    const size = parseInt(buf.toString('latin1', pos, lineEnd), 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size at byte ${pos}`);
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // No trailers expected: the last chunk is followed by one empty line.
      if (buf.length < dataStart + 2) return null;
      return { start: from, end: dataStart, next: dataStart + 2, chunks };
    }
    if (buf.length < dataStart + size + 2) return null;
    chunks.push(buf.subarray(dataStart, dataStart + size));
    pos = dataStart + size + 2;
  }
}
