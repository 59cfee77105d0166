package memrel

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The deferral SQLite's pragmas do not report is read from CREATE TABLE:
// column and table constraints, quoted names, comments, and NOT
// DEFERRABLE or INITIALLY IMMEDIATE clauses that do not defer.
func TestDeferredKeys(t *testing.T) {
	ddl := `CREATE TABLE "order items" (
  id INTEGER PRIMARY KEY, -- a comment, REFERENCES nothing
  "order id" INTEGER REFERENCES [orders] (id) DEFERRABLE INITIALLY DEFERRED,
  product INTEGER REFERENCES products NOT DEFERRABLE INITIALLY DEFERRED,
  note TEXT DEFAULT 'REFERENCES x DEFERRABLE INITIALLY DEFERRED',
  a INTEGER, b INTEGER, c INTEGER,
  /* a block comment */
  CONSTRAINT pair FOREIGN KEY (b, a) REFERENCES pairs (x, y) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  FOREIGN KEY (c) REFERENCES cs DEFERRABLE INITIALLY IMMEDIATE,
  "key" INTEGER,
  FOREIGN KEY ("key") REFERENCES keys DEFERRABLE INITIALLY DEFERRED,
  CHECK (a IN (1, 2))
)`
	want := map[string]bool{"order id -> orders": true, "a, b -> pairs": true, "key -> keys": true}
	if diff := cmp.Diff(want, deferredKeys(ddl)); diff != "" {
		t.Errorf("deferred keys (-want +got):\n%s", diff)
	}
	if got := deferredKeys("CREATE TABLE t (x"); len(got) != 0 {
		t.Errorf("an unfinished statement: %v", got)
	}
}
