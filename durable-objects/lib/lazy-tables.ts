/**
 * An object's SQLite tables, made on first use and made again after `deleteAll()`. Objects that
 * keep nothing while idle delete their storage, and the same instance may be asked again before
 * the runtime evicts it: its tables must come back then, without a `CREATE` on every call.
 */
export class LazyTables {
  private made = false;

  constructor(
    private readonly storage: SqlStorage,
    private readonly make: (sql: SqlStorage) => void,
  ) {}

  /** The SQL handle, with the tables there. */
  get sql(): SqlStorage {
    if (!this.made) this.make(this.storage);
    this.made = true;
    return this.storage;
  }

  /** The storage was deleted: the tables are made again when next used. */
  forget(): void {
    this.made = false;
  }
}
