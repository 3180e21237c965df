/**
 * Durations as users write them: `"30s"`, `"3 days"`, `"1h30m"`, `"1 year"` or milliseconds.
 * Shared by the SDK (sleeps, timeouts) and the engine (backoff policies).
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  s: 1_000,
  sec: 1_000,
  second: 1_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  y: 31_536_000_000,
  year: 31_536_000_000,
};

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;

/** A duration in milliseconds or as text such as `"30s"`, `"3 days"` or `"1h30m"`. */
export type Duration = number | string;

/** Thrown for a duration that cannot be read; says what was given. */
export class InvalidDurationError extends Error {
  override name = "InvalidDurationError";
  constructor(readonly input: unknown) {
    super(
      `Invalid duration ${JSON.stringify(input)}: use milliseconds or text like "30s", "5m", "3 days", "1h30m", "1 year"`,
    );
  }
}

function unitMs(unit: string): number | undefined {
  return UNIT_MS[unit] ?? (unit.endsWith("s") ? UNIT_MS[unit.slice(0, -1)] : undefined);
}

/** Converts a duration to milliseconds; throws {@link InvalidDurationError} when it cannot. */
export function toMs(duration: Duration): number {
  if (typeof duration === "number") {
    if (!Number.isFinite(duration) || duration < 0) throw new InvalidDurationError(duration);
    return Math.round(duration);
  }
  if (typeof duration !== "string") throw new InvalidDurationError(duration);
  const text = duration.trim().toLowerCase();
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    const ms = unitMs(match[2] ?? "");
    if (ms === undefined) throw new InvalidDurationError(duration);
    total += Number(match[1]) * ms;
    consumed = PART.lastIndex;
    while (text[consumed] === " " || text[consumed] === ",") consumed++;
    PART.lastIndex = consumed;
  }
  if (consumed === 0 || consumed !== text.length) throw new InvalidDurationError(duration);
  return Math.round(total);
}

/** True when the value can be read as a duration. */
export function isDuration(value: unknown): value is Duration {
  try {
    toMs(value as Duration);
    return true;
  } catch {
    return false;
  }
}
