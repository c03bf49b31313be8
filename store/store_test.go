package store_test

import (
	"os"
	"strings"
	"testing"

	"fenlei/decision"
	"fenlei/store"
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

// BenchmarkAddRecord measures one committed record (what an answer waits for before it is sent):
//
//	go test ./store -run X -bench AddRecord
func BenchmarkAddRecord(b *testing.B) {
	for _, tc := range []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return storetest.SQLite(b) }},
		{"postgres", func(b *testing.B) string { return storetest.Postgres(b, os.Getenv(storetest.PGEnv), false) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			db := storetest.Open(b, tc.dsn(b), store.Options{})
			r := store.Record{Channel: "api", Text: "为银行定制开发信贷管理系统", Decision: decision.Decision{Code: "I11", Name: "软件研发服务",
				Path: []string{"ITO", "I1", "I11"}, Answer: strings.Repeat("描述与 I11 软件研发服务 的典型业务相符。", 5), Engine: "offline"}}
			for b.Loop() {
				if _, err := db.AddRecord(b.Context(), r, "ip:203.0.113.1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
