package memreltest_test

import (
	"errors"
	"os"
	"testing"
	"testing/fstest"

	"github.com/memrel/memrel"
	"github.com/memrel/memrel/memreltest"
)

// FuzzFixtures feeds arbitrary bytes to the fixture parser, as one file of
// all tables and as the users table's file: a load either fails with a
// *FixtureError and leaves the store as it was, or commits a sound store.
func FuzzFixtures(f *testing.F) {
	for _, name := range []string{"testdata/fixtures/blog.json", "testdata/fixtures/users.json", "testdata/broken/posts.json", "testdata/broken/users.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte(`{"users": {"a": {"Favorite": "@p"}}, "posts": {"p": {"author": "@a", "Editor": "@a"}}}`), false)
	f.Add([]byte(`[{"Name": "@@x", "_label": 7}]`), true)
	b := newBlog()
	f.Fuzz(func(t *testing.T, data []byte, asUsers bool) {
		db, err := memrel.Open(b.schema)
		if err != nil {
			t.Fatal(err)
		}
		name := "all.json"
		if asUsers {
			name = "users.json"
		}
		fsys := fstest.MapFS{name: {Data: data}}
		err = db.Update(func(tx *memrel.Tx) error {
			_, err := memreltest.LoadTx(tx, memreltest.Files(fsys, name))
			return err
		})
		var ferr *memreltest.FixtureError
		if err != nil && !errors.As(err, &ferr) {
			t.Fatalf("a load failed with %v, not a *FixtureError", err)
		}
		if err := db.Verify(); err != nil {
			t.Fatalf("the store is not sound: %v", err)
		}
		if err != nil {
			dump, _ := memreltest.Dump(db)
			if string(dump) != "{\n  \"users\": [],\n  \"posts\": [],\n  \"comments\": []\n}\n" {
				t.Fatalf("a failed load left rows:\n%s", dump)
			}
		}
	})
}
