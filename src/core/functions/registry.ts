/**
 * The functions this Stepwise Worker runs in-process ("embedded"), by id. Filled once at module
 * load by the Worker's entry point; read by the API and by every run.
 */
import type { StepwiseFunction } from "../../../sdk/function.ts";
import { failureFunction } from "../../../sdk/failure.ts";

/** Functions known to this Worker, looked up by id. */
class FunctionRegistry {
  private readonly byId = new Map<string, StepwiseFunction>();

  /** Adds functions (and their `onFailure` companions); a repeated id is a configuration error. */
  register(...functions: StepwiseFunction[]): this {
    for (const fn of functions) {
      this.add(fn);
      if (fn.onFailure) this.add(failureFunction(fn));
    }
    return this;
  }

  private add(fn: StepwiseFunction): void {
    if (this.byId.has(fn.id)) throw new Error(`Two functions have the id "${fn.id}"; ids must be unique`);
    this.byId.set(fn.id, fn);
  }

  get(id: string): StepwiseFunction | undefined {
    return this.byId.get(id);
  }

  list(): StepwiseFunction[] {
    return [...this.byId.values()];
  }
}

/** The Worker's registry. */
export const registry = new FunctionRegistry();
