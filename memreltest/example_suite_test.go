package memreltest_test

import (
	"os"
	"testing"

	"github.com/memrel/memrel"
	"github.com/memrel/memrel/memreltest"
)

// A repository under test: the code an application would have.

// feed returns each user's name with their posts' titles, loaded eagerly.
func feed(tx *memrel.Tx, b *blog) (map[string][]string, error) {
	posts := memrel.Many(b.author)
	users, res, err := memrel.EagerAll(tx, b.users, posts)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, u := range users {
		for _, p := range posts.Of(res, u) {
			out[u.Name] = append(out[u.Name], p.Title)
		}
	}
	return out, nil
}

// rename renames user id.
func rename(db *memrel.DB, b *blog, id int64, name string) error {
	return db.Update(func(tx *memrel.Tx) error {
		u, err := b.users.Get(tx, id)
		if err != nil {
			return err
		}
		u.Name = name
		return b.users.Update(tx, u)
	})
}

// The suite: one base store, seeded once from testdata/fixtures (labels,
// any order), forked by every test, in parallel.
var (
	shop = newBlog()
	base = memreltest.NewFixtureBase(shop.schema, memreltest.Files(os.DirFS("testdata/fixtures"), "*.json"))
)

func TestRepositorySuite(t *testing.T) {
	t.Run("feed loads in one batch", func(t *testing.T) {
		t.Parallel()
		db := base.Fork(t) // strict: a lazy load in feed would fail it
		memreltest.AssertLoads(t, db, func() {
			_ = db.View(func(tx *memrel.Tx) error {
				got, err := feed(tx, shop)
				if err != nil || len(got["Bob"]) != 2 {
					t.Errorf("feed: %v, %v", got, err)
				}
				return err
			})
		}, memreltest.Batches(shop.author, 1))
	})
	t.Run("rename touches one row", func(t *testing.T) {
		t.Parallel()
		db := base.Fork(t)
		ann, _ := memreltest.Key(base.Labels(t), shop.users, "ann")
		d := memreltest.Changes(t, db, func() {
			if err := rename(db, shop, ann, "Annie"); err != nil {
				t.Fatal(err)
			}
		})
		if users := d.Table("users"); len(d.Tables) != 1 || len(users.Changed) != 1 {
			t.Errorf("rename changed:\n%s", d)
		}
		_ = db.View(func(tx *memrel.Tx) error {
			memreltest.AssertRows(t, tx, shop.users, []User{
				{Name: "Annie", Email: "ann@example.com"},
				{Name: "Bob", Email: "bob@example.com"},
			}, memreltest.IgnoreKeys(), memreltest.IgnoreFields("Favorite"))
			return nil
		})
	})
	t.Run("the seed, as a golden file", func(t *testing.T) {
		t.Parallel()
		memreltest.Golden(t, base.Fork(t), "testdata/golden/seed.golden")
	})
}
