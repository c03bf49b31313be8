// Package storetest is the contract test every store backend passes, and the helpers that give a
// test a fresh database: SQLite in a temporary directory, or a new schema of the PostgreSQL server
// whose URL CI exports (FENLEI_TEST_PG_URL, read by the calling test, never here).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create and drop test schemas

	"fenlei/store"
)

// PGEnv is the variable that holds the URL of a PostgreSQL server for tests.
const PGEnv = "FENLEI_TEST_PG_URL"

// SQLite returns the path of a new SQLite database in a temporary directory.
func SQLite(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "fenlei.db")
}

// Postgres returns the URL of a new, empty schema on the server at base (the value of PGEnv),
// dropped when the test ends. With base empty the test is skipped, except when ci is true
// (CI=true), where a missing server is a failure: CI must start one (.ci/run does).
func Postgres(t testing.TB, base string, ci bool) string {
	t.Helper()
	if base == "" {
		if ci {
			t.Fatalf("%s is not set: CI=true needs a PostgreSQL server (.ci/run starts one)", PGEnv)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL test (run .ci/run, or set it to a postgres:// URL)", PGEnv)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	schema := "t_" + strings.ToLower(rand.Text())
	if _, err := db.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema on %s: %v", PGEnv, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens dsn with opts for the test and closes it when the test ends.
func Open(t testing.TB, dsn string, opts store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
