-- The blog's production schema, as its migrations declare it.
CREATE TABLE schema_migrations (version TEXT PRIMARY KEY);
CREATE TABLE users (
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  name  TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE
);
