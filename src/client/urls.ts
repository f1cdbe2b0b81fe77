/**
 * Control-plane addresses as users give them: one URL, a comma-separated list
 * (`HANDOFF_URL=http://a,http://b,http://c`) or an array.
 */

/**
 * Splits and checks a list of http(s) URLs, dropping trailing slashes and repeats. Throws
 * RangeError naming the first bad entry.
 */
export function parseUrlList(input: string | readonly string[]): string[] {
  const parts = (typeof input === 'string' ? input.split(',') : input.flatMap((s) => s.split(','))).map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new RangeError('no control-plane URL given');
  const urls: string[] = [];
  for (const raw of parts) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new RangeError(`"${raw}" is not a URL (e.g. http://127.0.0.1:7350)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`"${raw}" must be an http:// or https:// URL`);
    const clean = raw.replace(/\/+$/, '');
    if (!urls.includes(clean)) urls.push(clean);
  }
  return urls;
}
