package memrel

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A record packs every key of a row into one buffer addressed by offsets
// (see rec). This test covers what the common tables do not: more index
// slots than the inline offsets hold, NULL slots between others, unique and
// non-unique slots mixed, and keys long enough to need both offset bytes.
func TestRecordLayout(t *testing.T) {
	type Wide struct {
		Key                          string
		A, B, C, D, E, F, G, H, I, J string
		Owner                        Null[string]
	}
	s := NewSchema()
	wide := NewTable(s, "wide", func(w *Wide) *string { return &w.Key })
	fields := []func(*Wide) *string{
		func(w *Wide) *string { return &w.A }, func(w *Wide) *string { return &w.B },
		func(w *Wide) *string { return &w.C }, func(w *Wide) *string { return &w.D },
		func(w *Wide) *string { return &w.E }, func(w *Wide) *string { return &w.F },
		func(w *Wide) *string { return &w.G }, func(w *Wide) *string { return &w.H },
		func(w *Wide) *string { return &w.I }, func(w *Wide) *string { return &w.J },
	}
	var ixs []*Index[Wide, string, string]
	for i, f := range fields {
		name := string(rune('a' + i))
		if i%3 == 0 {
			ixs = append(ixs, NewUniqueIndex(wide, name, f))
		} else {
			ixs = append(ixs, NewIndex(wide, name, f))
		}
	}
	owner := NullableForeignKey(wide, "owner", func(w *Wide) *Null[string] { return &w.Owner }, wide)
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}

	long := func(c string, n int) string { return strings.Repeat(c, n) }
	rows := []Wide{
		{Key: "root", A: "a1", B: "b", C: "c", D: "d1", E: "e", F: "f", G: "g1", H: "h", I: "i", J: "j1"},
		{Key: long("k", 3000), A: long("a", 3000), B: "b", C: long("c", 3000), D: "d2", E: "e", F: long("f", 3000),
			G: "g2", H: "h", I: long("i", 3000), J: long("j", 3000), Owner: NullFrom("root")},
		{Key: "leaf", A: "a3", B: "b", C: "c", D: "d3", E: "e", F: "f", G: "g3", H: "h", I: "i", J: "j3", Owner: NullFrom(long("k", 3000))},
	}
	err = db.Update(func(tx *Tx) error {
		for _, w := range rows {
			if _, err := wide.Insert(tx, w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(); err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		for _, w := range rows {
			for i, ix := range ixs {
				got, err := ix.First(tx, *fields[i](&w))
				if err != nil {
					t.Fatalf("index %d, row %.10q: %v", i, w.Key, err)
				}
				if i%3 == 0 && got.Key != w.Key {
					t.Errorf("unique index %d: %.10q, want %.10q", i, got.Key, w.Key)
				}
			}
			var n int
			for range ixs[1].List(tx, w.B) {
				n++
			}
			if n != 3 {
				t.Errorf("index b has %d rows for %q, want 3", n, w.B)
			}
		}
		var children []string
		for c := range owner.Children(tx, long("k", 3000)) {
			children = append(children, c.Key)
		}
		if diff := cmp.Diff([]string{"leaf"}, children); diff != "" {
			t.Errorf("children of the long key (-want +got):\n%s", diff)
		}
		if ok, _ := owner.Exists(tx, "leaf"); ok {
			t.Error("leaf has no children")
		}
		return nil
	})

	// The keys of a row, all together, are bounded.
	over := Wide{Key: long("x", maxKeyLen/2), A: long("y", maxKeyLen/2)}
	err = db.Update(func(tx *Tx) error { _, err := wide.Insert(tx, over); return err })
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("keys of %d bytes: %v, want ErrInvalid", 2*(maxKeyLen/2), err)
	}
}
