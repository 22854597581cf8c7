/**
 * The database schema, as numbered migrations. `PRAGMA user_version` holds how many have run;
 * each runs in its own transaction together with the version bump, so a failing migration leaves
 * the database as it was. Never edit a released migration: add the next one.
 */
import type { Database } from 'node-sqlite3-wasm'

export const MIGRATIONS: readonly string[] = [
  // 1: nodes, run history, errors, console history.
  `
  CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    input TEXT NOT NULL
  );
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    grp TEXT,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    engines INTEGER NOT NULL,
    request TEXT NOT NULL,
    result TEXT,
    error TEXT,
    chunks TEXT NOT NULL DEFAULT '[]',
    points TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX runs_started ON runs (started_at);
  CREATE TABLE errors (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX errors_at ON errors (at);
  CREATE TABLE console (
    id TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    at INTEGER NOT NULL,
    status TEXT NOT NULL,
    entry TEXT NOT NULL
  );
  CREATE INDEX console_n ON console (n);
  `,
  // 2: a running run's chunk records, appended as they come (runs.chunks gets them all at its end).
  `
  CREATE TABLE run_chunks (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    chunk TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;
  `,
]

/** The database was written by a newer clusterdesk than this one. */
export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError'
}

export function schemaVersion(db: Database): number {
  return Number((db.get('PRAGMA user_version') as { user_version: number }).user_version)
}

/** Brings the database up to `migrations.length`; returns the version it had before. */
export function migrate(db: Database, migrations: readonly string[] = MIGRATIONS, file = 'the database'): number {
  const from = schemaVersion(db)
  if (from > migrations.length) {
    throw new SchemaVersionError(
      `${file} has schema version ${from}, but this clusterdesk knows only up to ${migrations.length}: it was written by a newer version. Update clusterdesk, or use another data directory.`,
    )
  }
  for (let v = from; v < migrations.length; v++) {
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(migrations[v])
      // PRAGMA takes no parameters; v is an integer we computed.
      db.exec(`PRAGMA user_version = ${v + 1}`)
      db.exec('COMMIT')
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK')
      throw new Error(`migrating ${file} to schema version ${v + 1} failed: ${(err as Error).message}`, { cause: err })
    }
  }
  return from
}
