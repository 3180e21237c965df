/**
 * Cron expressions and time zones, read by croner (which uses only `Intl`, so it runs in workerd).
 * Checked when a function is defined; used by the scheduler to find each next tick.
 *
 * Daylight saving time, as croner handles it (and tests pin): a local time that does not exist
 * (02:30 on a spring-forward night in Europe/Paris) fires at the first instant after the gap
 * (03:00 local), so the tick is not lost; a local time that happens twice (02:30 on a fall-back
 * night) fires once, at its first occurrence.
 */
import { Cron } from "croner";

function schedule(cron: string, timezone: string | undefined): Cron {
  return new Cron(cron, { paused: true, ...(timezone ? { timezone } : {}) });
}

/** Why `cron` (in `timezone`, an IANA name; UTC when absent) cannot be scheduled, or undefined. */
export function cronError(cron: string, timezone?: string): string | undefined {
  try {
    schedule(cron, timezone).nextRun(new Date(0));
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (timezone && /timezone/i.test(message)) return `"${timezone}" is not an IANA time zone (like "Europe/Paris")`;
    return `Invalid cron expression "${cron}": ${message}`;
  }
}

/** The first tick of `cron` strictly after `afterMs` (epoch ms), or undefined if it never fires again. */
export function nextCronTick(cron: string, timezone: string | undefined, afterMs: number): number | undefined {
  return schedule(cron, timezone).nextRun(new Date(afterMs))?.getTime();
}
