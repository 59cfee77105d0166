package memrel

import "testing"

// A violation of a whole index (not of one row) names no key.
func TestTableViolationNamesNoKey(t *testing.T) {
	e := &ConstraintError{Op: "verify", Table: "users", Constraint: "users.email", Other: "3 index entries for 2 rows with a value", Err: ErrCorrupt}
	if got, want := e.Error(), "memrel: verify users: store corrupt (users.email): 3 index entries for 2 rows with a value"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
