/**
 * The MMORPG demo's payments caller: what a game's shop does. It follows the payments fleet's
 * endpoints with a long poll (`If-None-Match` + `?wait=`), and sends charges round-robin to the
 * servers listed. A charge that fails on one server is retried once on a fresh list (charges
 * carry an id, so a retry is safe); only a charge that fails twice counts as failed.
 */
export interface PaymentsStats {
  ok: number;
  retried: number;
  failed: number;
  /** Charges answered, by the version of the service that answered. */
  byVersion: Record<string, number>;
  /** How many endpoint lists the long poll received. */
  endpointVersions: number;
}

interface Endpoint {
  address: string;
  ports: Record<string, number>;
  build: string;
}

export class PaymentsClient {
  private endpoints: Endpoint[] = [];
  private etag: string | null = null;
  private next = 0;
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  readonly stats: PaymentsStats = { ok: 0, retried: 0, failed: 0, byVersion: {}, endpointVersions: 0 };

  constructor(private readonly opts: { apiUrl: string; fleet: string; intervalMs: number; sleep: (ms: number) => Promise<void> }) {}

  /** Loads the first list, then keeps following it and charging until `stop`. */
  async start(): Promise<void> {
    await this.poll(0);
    this.loops.push(this.follow(), this.charge());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      // A short wait, so `stop` never hangs on a held request for long.
      await this.poll(2_000).catch(() => this.opts.sleep(500));
    }
  }

  private async poll(waitMs: number): Promise<void> {
    const headers: Record<string, string> = this.etag ? { 'if-none-match': this.etag } : {};
    const res = await fetch(`${this.opts.apiUrl}/v1/fleets/${this.opts.fleet}/endpoints?wait=${waitMs}ms`, { headers });
    if (res.status === 304) return;
    if (!res.ok) throw new Error(`endpoints: HTTP ${res.status}`);
    const body = (await res.json()) as { endpoints: Endpoint[] };
    this.endpoints = body.endpoints;
    this.etag = res.headers.get('etag');
    this.stats.endpointVersions += 1;
  }

  private async charge(): Promise<void> {
    let id = 0;
    while (!this.stopped) {
      id += 1;
      if (!(await this.once(id))) {
        this.stats.retried += 1;
        await this.poll(0).catch(() => undefined);
        if (!(await this.once(id))) this.stats.failed += 1;
      }
      await this.opts.sleep(this.opts.intervalMs);
    }
  }

  private async once(id: number): Promise<boolean> {
    const list = this.endpoints;
    const target = list[this.next++ % Math.max(list.length, 1)];
    if (!target) return false;
    try {
      const res = await fetch(`http://${target.address}:${target.ports['http'] ?? 0}/charge`, {
        method: 'POST', body: JSON.stringify({ id, player: `shopper-${id % 7}`, amount: 5 }), signal: AbortSignal.timeout(3_000),
      });
      if (!res.ok) return false;
      const body = (await res.json()) as { version?: string };
      this.stats.ok += 1;
      const v = body.version ?? 'unknown';
      this.stats.byVersion[v] = (this.stats.byVersion[v] ?? 0) + 1;
      return true;
    } catch {
      return false;
    }
  }
}
