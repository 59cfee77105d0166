package memreltest

import (
	"context"
	"strings"
	"testing"

	"github.com/memrel/memrel"
)

// AssertSQLSchema fails the test unless db, a live database of dialect d
// (production's schema, migrated into a test database), declares what
// schema does, as memrel.CompareSQL compares them: tables, columns with
// their types and NULLs, primary keys, unique keys, and foreign keys with
// their actions and deferral. The failure lists every difference, so that
// the day production's schema and the memrel fake drift apart, a test
// says where. opts are CompareSQL's: ColumnNames, and IgnoreTables for a
// migration tool's own tables.
func AssertSQLSchema(tb testing.TB, db memrel.Querier, schema *memrel.Schema, d memrel.Dialect, opts ...memrel.SQLOption) {
	tb.Helper()
	diffs, err := memrel.CompareSQL(context.Background(), db, schema, d, opts...)
	if err != nil {
		tb.Fatalf("memreltest: AssertSQLSchema: %v", err)
		return
	}
	if len(diffs) > 0 {
		lines := make([]string, len(diffs))
		for i, df := range diffs {
			lines[i] = "\t" + df.String()
		}
		ways := "ways"
		if len(diffs) == 1 {
			ways = "way"
		}
		tb.Errorf("memreltest: the %s schema differs from memrel's in %d %s:\n%s", d, len(diffs), ways, strings.Join(lines, "\n"))
	}
}
