/**
 * Counting, without changing Stepwise: an `env` whose Durable Object stubs, D1 database and queue
 * count every call made through them, by who made it (the Worker or an object class). Each object
 * class is subclassed (./worker.ts) to get such an env, so every call any part of Stepwise makes
 * is counted. The vitest pool runs the Worker and its objects in one isolate, so the counters are
 * plain module state, read and cleared through the Worker (./worker.ts).
 */

/** Calls to one object (class and name), by method. */
export interface ObjectCalls {
  cls: string;
  name: string;
  calls: number;
  methods: Record<string, number>;
}

interface Counters {
  objects: Map<string, ObjectCalls>;
  /** Index deliveries made to fail (./worker.ts), and all of them. */
  indexFaults: number;
  indexDeliveries: number;
  /** D1 statements by the first words of their SQL, and by origin. */
  d1: Map<string, number>;
  d1ByOrigin: Map<string, number>;
  queueMessages: number;
}

const counters: Counters = {
  objects: new Map(),
  indexFaults: 0,
  indexDeliveries: 0,
  d1: new Map(),
  d1ByOrigin: new Map(),
  queueMessages: 0,
};

/** The newest index row each run sent (delivered or made to fail), never cleared: what the index must hold. */
const sentRows = new Map<string, { status: string; updatedAt: number }>();

/** Notes the rows of one index delivery, before it may be made to fail. */
export function noteSentRows(rows: { id: string; status: string; updatedAt: number }[]): void {
  for (const row of rows) {
    const known = sentRows.get(row.id);
    if (!known || known.updatedAt <= row.updatedAt)
      sentRows.set(row.id, { status: row.status, updatedAt: row.updatedAt });
  }
}

/** The newest row each run sent, by run id. */
export const sentIndexRows = (): Record<string, { status: string; updatedAt: number }> => Object.fromEntries(sentRows);

/** Whether this index delivery is one of the 1 in 20 made to fail (deterministic: every 20th). */
export function indexFault(): boolean {
  counters.indexDeliveries++;
  const fault = counters.indexDeliveries % 20 === 0;
  if (fault) counters.indexFaults++;
  return fault;
}

/** Clears every counter (between phases). */
export function resetCounts(): void {
  counters.objects.clear();
  counters.indexFaults = 0;
  counters.indexDeliveries = 0;
  counters.d1.clear();
  counters.d1ByOrigin.clear();
  counters.queueMessages = 0;
}

/** A copy of the counters now. */
export function snapshot() {
  return {
    objects: [...counters.objects.values()].map((o) => ({ ...o, methods: { ...o.methods } })),
    indexFaults: counters.indexFaults,
    indexDeliveries: counters.indexDeliveries,
    d1: Object.fromEntries(counters.d1),
    d1ByOrigin: Object.fromEntries(counters.d1ByOrigin),
    queueMessages: counters.queueMessages,
  };
}
export type Counts = ReturnType<typeof snapshot>;

/** The class each binding holds (as wrangler.toml binds them). */
export const CLASSES: Record<string, string> = {
  RUN: "RunObject",
  RUN_INDEX: "RunIndexBuffer",
  SWEEPER: "EventSweeper",
  EVENT_SHARDS: "EventShard",
  IDEMPOTENCY: "IdempotencyShard",
  CRON: "CronScheduler",
  WAITS: "WaitIndex",
  BULK: "BulkJob",
  LIMITS: "ConcurrencyLimiter",
  GATES: "FlowGate",
  COLLECTORS: "EventCollector",
};

/** Names behind ids, as `idFromName` saw them (ids made otherwise show as their hex). */
const names = new Map<string, string>();

function countCall(cls: string, name: string, method: string): void {
  const key = `${cls}\u0000${name}`;
  const entry = counters.objects.get(key) ?? { cls, name, calls: 0, methods: {} };
  entry.calls++;
  entry.methods[method] = (entry.methods[method] ?? 0) + 1;
  counters.objects.set(key, entry);
}

function countedStub<T extends object>(stub: T, cls: string, name: string): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof prop !== "string" || prop === "then" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        countCall(cls, name, prop);
        // Called on the stub itself, as Stepwise calls it (a method taken off an RPC stub and
        // applied is not the same call).
        return (target as Record<string, (...a: unknown[]) => unknown>)[prop]!(...args);
      };
    },
  });
}

function countedNamespace(namespace: DurableObjectNamespace, cls: string): DurableObjectNamespace {
  return new Proxy(namespace, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (prop === "idFromName")
        return (name: string) => {
          const id = target.idFromName(name);
          names.set(id.toString(), name);
          return id;
        };
      if (prop === "get")
        return (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) =>
          countedStub(target.get(id, options), cls, names.get(id.toString()) ?? id.toString());
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The statement class of some SQL: its first few words, enough to tell the queries apart. */
function statementClass(sql: string): string {
  return sql.replace(/\s+/g, " ").trim().split(" ").slice(0, 4).join(" ");
}

function countStatement(origin: string, sql: string): void {
  const cls = statementClass(sql);
  counters.d1.set(cls, (counters.d1.get(cls) ?? 0) + 1);
  counters.d1ByOrigin.set(origin, (counters.d1ByOrigin.get(origin) ?? 0) + 1);
}

const sqlOf = new WeakMap<object, string>();

function countedStatement(statement: D1PreparedStatement, origin: string, sql: string): D1PreparedStatement {
  const wrapped: D1PreparedStatement = new Proxy(statement, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "bind") return (...args: unknown[]) => countedStatement(target.bind(...args), origin, sql);
      if (prop === "run" || prop === "all" || prop === "first" || prop === "raw")
        return (...args: unknown[]) => {
          countStatement(origin, sql);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return value.bind(target);
    },
  });
  sqlOf.set(wrapped, sql);
  unwrap.set(wrapped, statement);
  return wrapped;
}

const unwrap = new WeakMap<object, D1PreparedStatement>();

function countedDatabase(db: D1Database, origin: string): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (prop === "prepare") return (sql: string) => countedStatement(target.prepare(sql), origin, sql);
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) => {
          for (const statement of statements) countStatement(origin, sqlOf.get(statement) ?? "?");
          return target.batch(statements.map((statement) => unwrap.get(statement) ?? statement));
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function countedQueue<Body>(queue: Queue<Body>): Queue<Body> {
  return new Proxy(queue, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (prop === "send")
        return (body: Body, options?: QueueSendOptions) => {
          counters.queueMessages++;
          return target.send(body, options);
        };
      if (prop === "sendBatch")
        return (messages: Iterable<MessageSendRequest<Body>>, options?: QueueSendBatchOptions) => {
          const all = [...messages];
          counters.queueMessages += all.length;
          return target.sendBatch(all, options);
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** `env` with every object namespace, the database and the events queues counted, calls made by `origin`. */
export function counted<E extends object>(env: E, origin: string): E {
  const source = env as Record<string, unknown>;
  const out: Record<string, unknown> = { ...source };
  for (const [binding, value] of Object.entries(source)) {
    if (binding in CLASSES) out[binding] = countedNamespace(value as DurableObjectNamespace, CLASSES[binding]!);
    else if (binding === "DB") out[binding] = countedDatabase(value as D1Database, origin);
    else if (/^EVENTS(_\d+)?$/.test(binding)) out[binding] = countedQueue(value as Queue<unknown>);
  }
  return out as E;
}
