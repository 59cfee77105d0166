package memreltest_test

import (
	"encoding/json"
	"testing"

	"github.com/memrel/memrel"
)

func mustUpdate(tb testing.TB, db *memrel.DB, fn func(tx *memrel.Tx) error) {
	tb.Helper()
	if err := db.Update(fn); err != nil {
		tb.Fatal(err)
	}
}

func jsonRoundTrip(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
