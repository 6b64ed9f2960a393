/**
 * rosbag2 sqlite3 storage (`.db3`, Humble's default) read with sql.js (SQLite compiled to wasm, no native
 * build). Older bags have no `message_definitions` table: their topics carry no definition and the decoder
 * falls back to Tether's built-in definitions.
 */
import { readFile } from "node:fs/promises";
import initSqlJs, { type Database, type SqlJsStatic } from "sql.js";
import { DatasetFormatError } from "../../core/errors.js";
import { serviceTypeOf } from "./service-events.js";
import type { StorageFile, StorageTopic } from "./storage.js";

let sqlJs: Promise<SqlJsStatic> | undefined;
function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= initSqlJs();
  return sqlJs;
}

const SQLITE_MAGIC = "SQLite format 3\0";

/** A truncated copy is the common corruption: SQLite's header states the page size and page count. */
function checkSqliteHeader(path: string, bytes: Uint8Array): void {
  if (bytes.length < 100 || new TextDecoder().decode(bytes.subarray(0, 16)) !== SQLITE_MAGIC) {
    throw new DatasetFormatError(
      path,
      0,
      `not a sqlite3 database (${bytes.length} bytes, no "SQLite format 3" header)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPage = view.getUint16(16);
  const pageSize = rawPage === 1 ? 65536 : rawPage;
  const pageCount = view.getUint32(28);
  const expected = pageSize * pageCount;
  if (pageCount > 0 && bytes.length < expected) {
    throw new DatasetFormatError(
      path,
      bytes.length,
      `truncated sqlite3 bag: the header declares ${pageCount} pages of ${pageSize} bytes (${expected} bytes) but the file ends at byte ${bytes.length}`,
    );
  }
}

function query(path: string, db: Database, sql: string): unknown[][] {
  try {
    return db.exec(sql)[0]?.values ?? [];
  } catch (err) {
    throw new DatasetFormatError(
      path,
      undefined,
      `cannot read sqlite3 bag (${sql.split(" ").slice(0, 4).join(" ")}...): ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** `bytes`: the file's content when it is already in memory (decompressed from `path`). */
export async function openSqliteStorage(path: string, content?: Uint8Array): Promise<StorageFile> {
  const bytes = content ?? (await readFile(path));
  checkSqliteHeader(path, bytes);
  const SQL = await loadSqlJs();
  const db = new SQL.Database(bytes);
  try {
    const tables = new Set(
      query(path, db, "SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => String(r[0])),
    );
    for (const t of ["topics", "messages"])
      if (!tables.has(t))
        throw new DatasetFormatError(path, undefined, `not a rosbag2 sqlite3 bag: no "${t}" table`);
    const definitions = new Map<string, { encoding: string; text: string }>();
    if (tables.has("message_definitions")) {
      for (const [type, encoding, text] of query(
        path,
        db,
        "SELECT topic_type, encoding, encoded_message_definition FROM message_definitions",
      )) {
        if (String(text).length > 0)
          definitions.set(String(type), { encoding: String(encoding), text: String(text) });
      }
    }
    const counts = new Map<number, number>();
    for (const [id, n] of query(path, db, "SELECT topic_id, COUNT(*) FROM messages GROUP BY topic_id"))
      counts.set(Number(id), Number(n));
    const hasQos = query(path, db, "PRAGMA table_info(topics)").some((r) => r[1] === "offered_qos_profiles");
    const topicRows = query(
      path,
      db,
      `SELECT id, name, type, serialization_format${hasQos ? ", offered_qos_profiles" : ""} FROM topics ORDER BY id`,
    );
    const byId = new Map<number, StorageTopic>();
    for (const [id, name, type, format, qos] of topicRows) {
      byId.set(Number(id), {
        name: String(name),
        type: String(type),
        serializationFormat: String(format),
        offeredQosProfiles: qos === undefined ? undefined : String(qos),
        messageCount: counts.get(Number(id)) ?? 0,
        // rosbag2 keys a service event topic's definition by its service type (the `.srv` text).
        definition: definitions.get(String(type)) ?? definitions.get(serviceTypeOf(String(type)) ?? ""),
      });
    }
    const rosDistro = tables.has("schema")
      ? String(query(path, db, "SELECT ros_distro FROM schema LIMIT 1")[0]?.[0] ?? "") || undefined
      : undefined;
    const [range] = query(
      path,
      db,
      "SELECT COUNT(*), CAST(MIN(timestamp) AS TEXT), CAST(MAX(timestamp) AS TEXT) FROM messages",
    );
    const messageCount = Number(range?.[0] ?? 0);
    return {
      path,
      storage: "sqlite3",
      topics: [...byId.values()],
      messageCount,
      rosDistro,
      startNs: messageCount > 0 ? BigInt(String(range[1])) : 0n,
      endNs: messageCount > 0 ? BigInt(String(range[2])) : 0n,
      async *messages(only) {
        // Timestamps are read as text: sql.js would round int64 nanoseconds through a double.
        const stmt = db.prepare(
          "SELECT topic_id, CAST(timestamp AS TEXT), data FROM messages ORDER BY timestamp, id",
        );
        try {
          while (stmt.step()) {
            const [topicId, stamp, data] = stmt.get();
            const topic = byId.get(Number(topicId));
            if (!topic)
              throw new DatasetFormatError(
                path,
                undefined,
                `message refers to unknown topic id ${String(topicId)}`,
              );
            if (only && !only.has(topic.name)) continue;
            yield { topic: topic.name, logTimeNs: BigInt(String(stamp)), data: data as Uint8Array };
          }
        } finally {
          stmt.free();
        }
      },
      close: async () => db.close(),
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
