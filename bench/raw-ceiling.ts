/**
 * The raw ceiling: a bare Durable Object doing, per "step", one SQLite write and one
 * `storage.sync()`, the least any durable step engine on Durable Objects can do.
 */
import { DurableObject } from "cloudflare:workers";

export class RawCeiling extends DurableObject {
  /** Writes `steps` rows, each made durable before the next. */
  async run(steps: number): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS steps (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    for (let i = 0; i < steps; i++) {
      sql.exec("INSERT INTO steps (body) VALUES (?)", JSON.stringify({ step: i, output: Date.now() }));
      await this.ctx.storage.sync();
    }
  }
}
