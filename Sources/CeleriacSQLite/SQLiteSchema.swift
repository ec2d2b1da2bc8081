import GRDB

/// The tables of the SQLite broker and result backend, as GRDB migrations.
///
/// Times are `REAL` Unix timestamps. A task row is due when `eta <= now`; a task sent without
/// an ETA gets its publish time as `eta`, so that the claim index orders every queue by
/// priority (lower first), due time and then id (publish order), and a claim reads exactly the
/// rows it takes.
enum SQLiteSchema {
  /// The migrations in order: the name GRDB records once one is applied, and its SQL.
  static let migrations: [(name: String, sql: String)] = [
    // AUTOINCREMENT: a delivery tag (the id) is never reused, so that a late acknowledgement
    // from a consumer whose lease ran out cannot delete a newer task.
    (
      "v1",
      """
      CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT,
        queue TEXT NOT NULL,
        payload TEXT NOT NULL,
        eta REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'claimed')),
        consumer TEXT,
        lease_expires REAL,
        redeliveries INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL
      );
      CREATE INDEX tasks_due ON tasks (queue, eta, id) WHERE state = 'queued';
      CREATE INDEX tasks_claimed ON tasks (lease_expires) WHERE state = 'claimed';

      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT,
        queue TEXT NOT NULL,
        reason TEXT NOT NULL,
        payload TEXT NOT NULL,
        created REAL NOT NULL
      );

      CREATE TABLE results (
        task_id TEXT PRIMARY KEY NOT NULL,
        state TEXT NOT NULL,
        record TEXT NOT NULL,
        expires REAL
      );
      CREATE INDEX results_expires ON results (expires) WHERE expires IS NOT NULL;

      CREATE TABLE revoked (
        task_id TEXT PRIMARY KEY NOT NULL,
        expires REAL NOT NULL
      );
      CREATE INDEX revoked_expires ON revoked (expires);

      CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY NOT NULL,
        task_id TEXT NOT NULL,
        expires REAL NOT NULL
      );
      CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires);
      """
    ),
    (
      "v2-workers",
      """
      CREATE TABLE workers (
        hostname TEXT PRIMARY KEY NOT NULL,
        status TEXT NOT NULL,
        expires REAL NOT NULL
      );
      """
    ),
    // The remote-control mailbox (``SQLiteControlChannel``): a caller inserts a request,
    // every supervisor reads the rows past the last id it saw, and inserts its reply.
    (
      "v3-control",
      """
      CREATE TABLE control_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        request TEXT NOT NULL,
        expires REAL NOT NULL
      );
      CREATE TABLE control_replies (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket TEXT NOT NULL,
        hostname TEXT NOT NULL,
        reply TEXT NOT NULL,
        expires REAL NOT NULL
      );
      CREATE INDEX control_replies_ticket ON control_replies (ticket);
      """
    ),
    // Priorities: lower first (Celery's meaning on Redis), then due time, then publish order.
    // A claim seeks each priority's due rows in `tasks_priority` (so rows not yet due are never
    // read); `tasks_due` still answers "anything due?" and depths without regard to priority.
    (
      "v3-priority",
      """
      ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX tasks_priority ON tasks (queue, priority, eta, id) WHERE state = 'queued';
      """
    ),
    // Chords: the header size (set before the header is sent), the claim of whoever counted
    // the last part, and each part's outcome, counted in the commit that stores its result.
    (
      "v4-chords",
      """
      CREATE TABLE chords (
        group_id TEXT PRIMARY KEY NOT NULL,
        size INTEGER,
        body TEXT,
        token TEXT,
        claimed REAL,
        done INTEGER NOT NULL DEFAULT 0,
        expires REAL NOT NULL
      );
      CREATE INDEX chords_claimed ON chords (claimed) WHERE token IS NOT NULL AND done = 0;
      CREATE TABLE chord_parts (
        group_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        PRIMARY KEY (group_id, task_id, position)
      );
      """
    ),
    // Workers' events (`-E`) for `celeriac events`: a bounded log, the newest rows kept.
    (
      "v5-events",
      """
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        routing_key TEXT NOT NULL,
        fields TEXT NOT NULL,
        created REAL NOT NULL
      );
      """
    ),
    // The dashboard's listings: each result's time, name and queue beside its JSON, so that
    // a page of the newest results (filtered by state, name, queue, time) reads an index.
    (
      "v6-results-listing",
      """
      ALTER TABLE results ADD COLUMN done REAL;
      ALTER TABLE results ADD COLUMN name TEXT;
      ALTER TABLE results ADD COLUMN queue TEXT;
      UPDATE results SET
        done = (julianday(json_extract(record, '$.dateDone')) - 2440587.5) * 86400.0,
        name = json_extract(record, '$.name'),
        queue = json_extract(record, '$.queue')
      WHERE json_valid(record);
      CREATE INDEX results_done ON results (done, task_id);
      CREATE INDEX results_state_done ON results (state, done, task_id);
      """
    ),
    // The dashboard's samples of queue depths and pool sizes, the newest kept.
    (
      "v7-samples",
      """
      CREATE TABLE samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sample TEXT NOT NULL,
        created REAL NOT NULL
      );
      """
    ),
    // Global rate limits (``SQLiteBroker/takeRateSlot(_:)``): each task name's next free
    // start time, and the future slots reserved for deferred tasks.
    (
      "v8-rate-buckets",
      """
      CREATE TABLE rate_buckets (
        name TEXT PRIMARY KEY NOT NULL,
        next_free REAL NOT NULL,
        expires REAL NOT NULL
      );
      CREATE INDEX rate_buckets_expires ON rate_buckets (expires);
      CREATE TABLE rate_reservations (
        task_id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        slot REAL NOT NULL
      );
      CREATE INDEX rate_reservations_slot ON rate_reservations (slot);
      """
    ),
    // Groups saved for ``SQLiteResultBackend/restoreGroup(_:)``: the member ids in order.
    (
      "v9-task-groups",
      """
      CREATE TABLE task_groups (
        group_id TEXT PRIMARY KEY NOT NULL,
        members TEXT NOT NULL,
        expires REAL
      );
      CREATE INDEX task_groups_expires ON task_groups (expires) WHERE expires IS NOT NULL;
      """
    ),
  ]

  /// Every migration of ``migrations``, registered in order.
  static let migrator: DatabaseMigrator = {
    var migrator = DatabaseMigrator()
    for migration in migrations {
      migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
    }
    return migrator
  }()
}
