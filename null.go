package memrel

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Null is a foreign key or indexed value that may be NULL, in the manner of
// database/sql's Null[T]. A Null with Valid false is never checked against its
// parent table, never indexed, and never touched by a cascade.
type Null[K Key] struct {
	V     K
	Valid bool
}

// NullFrom returns the Null holding k, Valid (as guregu/null's IntFrom
// does). K is inferred from k, so give an untyped constant its type:
// NullFrom(int64(7)), or NullFrom[int64](7).
func NullFrom[K Key](k K) Null[K] { return Null[K]{V: k, Valid: true} }

// MarshalJSON writes n as plain JSON: its value as K's own JSON, or null.
func (n Null[K]) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(n.V)
}

// UnmarshalJSON reads null as NULL, and anything else as a value of K.
func (n *Null[K]) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*n = Null[K]{}
		return nil
	}
	var v K
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = Null[K]{V: v, Valid: true}
	return nil
}

// String formats n as its value, or as NULL.
func (n Null[K]) String() string {
	if !n.Valid {
		return "NULL"
	}
	return fmt.Sprint(n.V)
}
