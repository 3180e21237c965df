/**
 * Accepting each signed request once. A signature stays valid for five minutes, so whoever
 * captures a request (a log, a proxy) could send it again in that window and run a step's side
 * effect twice; its receiver remembers each nonce until the signature goes stale.
 */

/** Remembers nonces: `claim` answers true the first time it sees `nonce`, false after. */
export interface ReplayGuard {
  claim(nonce: string, expiresAt: number): boolean | Promise<boolean>;
}

/** Most nonces {@link MemoryReplayGuard} keeps by default (about 330 requests/s over five minutes). */
const DEFAULT_MAX_NONCES = 100_000;

/**
 * Nonces in this process's memory. Exact for one process (a Node server); in Workers each
 * isolate has its own, so give `serve()` a shared guard (a Durable Object, KV) for a strict
 * once-only across isolates. Past `maxNonces` unexpired entries, the oldest are forgotten first.
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxNonces = DEFAULT_MAX_NONCES,
    private readonly now: () => number = Date.now,
  ) {}

  claim(nonce: string, expiresAt: number): boolean {
    if (this.seen.has(nonce)) return false;
    if (this.seen.size >= this.maxNonces) this.prune();
    this.seen.set(nonce, expiresAt);
    return true;
  }

  /** Drops expired nonces, then the oldest ones while still full (a Map iterates in insertion order). */
  private prune(): void {
    const now = this.now();
    for (const [nonce, expiresAt] of this.seen) if (expiresAt < now) this.seen.delete(nonce);
    for (const nonce of this.seen.keys()) {
      if (this.seen.size < this.maxNonces) break;
      this.seen.delete(nonce);
    }
  }
}
