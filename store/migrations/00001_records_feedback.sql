-- Records of answers and the feedback on them. Portable SQL: the same file runs on SQLite and
-- PostgreSQL. Times are microseconds since 1970 UTC; a Decision is its JSON text.

-- +goose Up
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE records (
  id                TEXT PRIMARY KEY,
  at                BIGINT NOT NULL,
  channel           TEXT NOT NULL,
  conversation      TEXT NOT NULL,
  user_hash         TEXT NOT NULL,
  text              TEXT NOT NULL,
  decision          TEXT NOT NULL,
  code              TEXT NOT NULL,
  engine            TEXT NOT NULL,
  model             TEXT NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  latency_us        BIGINT NOT NULL
);
CREATE INDEX records_at ON records (at);

CREATE TABLE feedback (
  id        TEXT PRIMARY KEY,
  at        BIGINT NOT NULL,
  record_id TEXT NOT NULL REFERENCES records (id),
  user_hash TEXT NOT NULL,
  vote      TEXT NOT NULL,
  correct   TEXT NOT NULL,
  comment   TEXT NOT NULL
);
CREATE UNIQUE INDEX feedback_record_user ON feedback (record_id, user_hash);
CREATE INDEX feedback_user_at ON feedback (user_hash, at);

-- +goose Down
DROP TABLE feedback;
DROP TABLE records;
DROP TABLE settings;
