/**
 * Ids: ULIDs, so they sort by creation time and carry no coordination cost.
 */
import { monotonicFactory } from "ulid";

const next = monotonicFactory();

/** A new ULID. */
export const newId = (): string => next();

/** Run ids accepted by the API: ULIDs and the ids Stepwise derives from them (e.g. `<id>.failure`). */
export const RUN_ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._:-]{0,199}$/;
