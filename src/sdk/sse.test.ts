import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse.js';

function parseAll(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return chunks.flatMap((c) => parser.push(c));
}

/** Every way of cutting `text` into two chunks, plus one chunk per character. */
function splits(text: string): string[][] {
  const out: string[][] = [[...text]];
  for (let i = 0; i <= text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

describe('SseParser', () => {
  it('emits one event per blank-line-terminated block', () => {
    expect(parseAll(['data: {"a":1}\n\ndata: two\n\n'])).toEqual([
      { event: 'message', data: '{"a":1}', id: '' },
      { event: 'message', data: 'two', id: '' },
    ]);
  });

  it('yields the same events wherever the chunk boundaries fall', () => {
    const text = 'data: first\r\n\r\n: ping\n\nevent: x\ndata: a\ndata: b\r\rdata: last\n\n';
    const expected = [
      { event: 'message', data: 'first', id: '' },
      { event: 'x', data: 'a\nb', id: '' },
      { event: 'message', data: 'last', id: '' },
    ];
    for (const chunks of splits(text)) expect(parseAll(chunks)).toEqual(expected);
  });

  it('holds back an event until its terminating blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.push('data: half')).toEqual([]);
    expect(parser.push('\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: 'half', id: '' }]);
  });

  it('ignores comments, including a block made only of comments', () => {
    expect(parseAll([': connected\n\n: ping\n\ndata: x\n: inline comment\n\n'])).toEqual([
      { event: 'message', data: 'x', id: '' },
    ]);
  });

  it('joins multi-line data with newlines and keeps empty data lines', () => {
    expect(parseAll(['data: one\ndata\ndata:  two\n\n'])).toEqual([{ event: 'message', data: 'one\n\n two', id: '' }]);
  });

  it('treats a split CRLF as one line end, not as an empty line', () => {
    expect(parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([{ event: 'message', data: 'a\nb', id: '' }]);
  });

  it('does not lose a pending CR across an empty chunk', () => {
    expect(parseAll(['data: a\r', '', '\ndata: b\n\n'])).toEqual([{ event: 'message', data: 'a\nb', id: '' }]);
  });

  it('strips a leading byte-order mark only at the start of the stream', () => {
    expect(parseAll(['\uFEFFdata: x\n\n'])).toEqual([{ event: 'message', data: 'x', id: '' }]);
    expect(parseAll(['data: x\n\n', '\uFEFFdata: y\n\n'])).toEqual([{ event: 'message', data: 'x', id: '' }]);
  });

  it('remembers the last id and ignores retry and unknown fields', () => {
    expect(parseAll(['id: 7\nretry: 10\nfoo: bar\ndata: x\n\ndata: y\n\n'])).toEqual([
      { event: 'message', data: 'x', id: '7' },
      { event: 'message', data: 'y', id: '7' },
    ]);
  });

  it('drops an unterminated event at end of stream', () => {
    const parser = new SseParser();
    expect(parser.push('data: never finished\n')).toEqual([]);
  });
});
