/** The app that owns the example functions. */
import { Stepwise } from "../sdk/index.ts";

export const stepwise = new Stepwise({ id: "examples" });
