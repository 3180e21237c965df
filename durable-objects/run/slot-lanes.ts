/**
 * The concurrency slots one drive holds. A slot is taken when a step (or the function body) is
 * about to execute and kept for the rest of the drive, so a run's consecutive steps ask the
 * limiter once per drive, not twice per step. The drive gives its slots back when it ends (a
 * sleep, a wait, the end of the run, or its time budget), which is when waiting runs get a turn.
 *
 * Slots are named by lane, not by step: lane i is the i-th step executing at once. The names are
 * the same in every drive, so a lane granted while the run waited is found held by the next drive.
 */

/** What the lanes need from the limiters (every limit of the function, one call each). */
export interface LanePorts {
  /** Takes slots for these names; returns the ones held (the rest wait, and the run is called back). */
  acquireSlots(names: string[]): Promise<string[]>;
  /** Gives back every slot the run holds and stops every wait it has. */
  releaseSlots(): Promise<void>;
  /**
   * Most lanes that could ever be held at once (the smallest limit): a fan-out of 10,000 steps
   * under a limit of 100 asks for 100 lanes, not 10,000 (9,900 of them waiting on itself).
   */
  maxLanes?: number;
}

/**
 * How often held slots renew their lease (the limiter's is 5 minutes), so a drive running one
 * step longer than the lease keeps its slot while a crashed run's still expires.
 */
export const SLOT_RENEW_MS = 60_000;

/** The name of lane `index`. */
const laneName = (index: number): string => `~lane-${index}`;

export class SlotLanes {
  private readonly held = new Set<string>();
  private asked = false;
  private renewal: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly ports: LanePorts) {}

  /** How many lanes the drive holds now. */
  get size(): number {
    return this.held.size;
  }

  /** Makes up to `wanted` lanes ready, asking the limiters only for what is not held yet; returns how many are. */
  async take(wanted: number): Promise<number> {
    const useful = Math.min(wanted, this.ports.maxLanes ?? wanted);
    if (useful > this.held.size) {
      const missing: string[] = [];
      for (let index = 0; missing.length < useful - this.held.size; index++) {
        if (!this.held.has(laneName(index))) missing.push(laneName(index));
      }
      this.asked = true;
      for (const name of await this.ports.acquireSlots(missing)) this.held.add(name);
      if (this.held.size > 0)
        this.renewal ??= setInterval(
          () => void this.ports.acquireSlots([...this.held]).catch(() => undefined),
          SLOT_RENEW_MS,
        );
    }
    return Math.min(wanted, this.held.size);
  }

  /**
   * The drive is over. A run left waiting for a slot keeps its place in line (it holds none: a held
   * lane would have let it go on); any other gives back what it holds and what it waits for, and an
   * ended run (`ended`) does so even if this drive asked for nothing.
   */
  async release(how: { waiting: boolean; ended: boolean }): Promise<void> {
    if (this.renewal !== undefined) clearInterval(this.renewal);
    this.renewal = undefined;
    if (how.waiting || !(this.asked || how.ended)) return;
    this.held.clear();
    this.asked = false;
    await this.ports.releaseSlots();
  }
}
