package store_test

import (
	"os"
	"testing"

	"fenlei/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) string { return storetest.SQLite(t) })
}

func TestPostgres(t *testing.T) {
	base := os.Getenv(storetest.PGEnv)
	storetest.Postgres(t, base, os.Getenv("CI") == "true") // skips (or fails in CI) without a server
	storetest.Run(t, func(t *testing.T) string { return storetest.Postgres(t, base, true) })
}
