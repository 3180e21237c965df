/**
 * One drive of a run at a time. Plain requests made during a drive share the one drive queued
 * after it: each drive goes as far as the run can, so a second would find nothing to do, and a
 * run of 900 parallel steps is called back by its limiter once per step. A request that skips
 * time (an operator's wake) is never merged into another.
 */

/** A drive, and whether it needs a watchdog alarm (it does unless an alarm already covers it). */
export interface DriveRequest {
  skipTo?: number;
  watchdog: boolean;
}

export class DriveQueue {
  private driving: Promise<void> | undefined;
  /** The drive waiting for the current one to end, which later plain requests join. */
  private queued: { request: DriveRequest; done: Promise<void> } | undefined;

  constructor(private readonly drive: (request: DriveRequest) => Promise<void>) {}

  /** Whether a drive is under way. */
  get busy(): boolean {
    return this.driving !== undefined;
  }

  /** Drives the run once no other drive is under way; resolves when that drive ends. */
  request(options: DriveRequest): Promise<void> {
    const queued = this.queued;
    if (queued && options.skipTo === undefined && queued.request.skipTo === undefined) {
      queued.request.watchdog ||= options.watchdog;
      return queued.done;
    }
    if (!this.driving) return this.start(options);
    const request = { ...options };
    const done = (async () => {
      // A drive that failed is the alarm's to resume; this one goes on regardless.
      while (this.driving) await this.driving.catch(() => undefined);
      if (this.queued?.request === request) this.queued = undefined;
      return this.start(request);
    })();
    this.queued ??= { request, done };
    return done;
  }

  private start(options: DriveRequest): Promise<void> {
    this.driving = this.drive(options).finally(() => (this.driving = undefined));
    return this.driving;
  }
}
