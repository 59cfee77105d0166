package memrel_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

// The same data in an ID-keyed and a pair-keyed association table reads
// the same, lazily and eagerly, both ways, and cascades the same.
func TestPairKeyedAssociationMatchesIDKeyed(t *testing.T) {
	pairRules := memrel.DefaultRules()
	pairRules.PairTags = true
	byID := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 20, 5, 9, 3)
	byPair := memrel.NewBlog(t, pairRules).Fill(t, 20, 5, 9, 3)
	type view struct {
		Rights, Lefts  map[int64][]int64
		EagerR, EagerL map[int64][]int64
		BatchR         map[int64][]int64
		Counts         map[int64]int
		Links          [][2]int64
	}
	read := func(b *memrel.Blog) view {
		v := view{map[int64][]int64{}, map[int64][]int64{}, map[int64][]int64{}, map[int64][]int64{}, map[int64][]int64{}, map[int64]int{}, nil}
		err := b.DB.View(func(tx *memrel.Tx) error {
			var posts []memrel.Post
			for p := range b.Posts.All(tx) {
				posts = append(posts, p)
				v.Rights[p.ID] = tagIDs(b.Tagging.Rights(tx, p.ID))
				v.Counts[p.ID], _ = b.Tagging.Count(tx, p.ID)
			}
			for tg := range b.Tags.All(tx) {
				v.Lefts[tg.ID] = postIDs(b.Tagging.Lefts(tx, tg.ID))
			}
			rights := b.Tagging.LoadRights()
			r, res, err := memrel.EagerAll(tx, b.Posts, rights)
			if err != nil {
				return err
			}
			for _, w := range memrel.ZipLoaded(r, memrel.BindOf(res, rights.Of)) {
				v.EagerR[w.Row.ID] = tagIDs(func(y func(memrel.Tag) bool) {
					for _, tg := range w.Loaded {
						y(tg)
					}
				})
			}
			lefts := b.Tagging.LoadLefts()
			l, res, err := memrel.EagerAll(tx, b.Tags, lefts)
			if err != nil {
				return err
			}
			for _, w := range memrel.ZipLoaded(l, memrel.BindOf(res, lefts.Of)) {
				v.EagerL[w.Row.ID] = postIDs(func(y func(memrel.Post) bool) {
					for _, p := range w.Loaded {
						y(p)
					}
				})
			}
			batch := []memrel.Post{posts[7], posts[2], posts[7]}
			res, err = memrel.Eager(tx, batch, rights)
			if err != nil {
				return err
			}
			for _, w := range memrel.ZipLoaded(batch, memrel.BindOf(res, rights.Of)) {
				v.BatchR[w.Row.ID] = tagIDs(func(y func(memrel.Tag) bool) {
					for _, tg := range w.Loaded {
						y(tg)
					}
				})
			}
			for _, pt := range b.Links(tx) {
				v.Links = append(v.Links, [2]int64{pt.PostID, pt.TagID})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	sortLinks := cmp.Transformer("sorted", func(in [][2]int64) map[[2]int64]bool {
		m := map[[2]int64]bool{}
		for _, l := range in {
			m[l] = true
		}
		return m
	})
	// Rights differ in order only: the ID layout keeps link order, the pair
	// layout tag order. Compare them as sets.
	asSets := cmp.Transformer("set", func(in []int64) map[int64]bool {
		m := map[int64]bool{}
		for _, x := range in {
			m[x] = true
		}
		return m
	})
	compare := func(when string) {
		t.Helper()
		if diff := cmp.Diff(read(byID), read(byPair), sortLinks, asSets); diff != "" {
			t.Errorf("%s: the layouts differ (-ID +pair):\n%s", when, diff)
		}
		for _, b := range []*memrel.Blog{byID, byPair} {
			if err := b.DB.Verify(); err != nil {
				t.Fatalf("%s: %v", when, err)
			}
		}
	}
	compare("loaded")
	for _, b := range []*memrel.Blog{byID, byPair} {
		memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error {
			if err := b.Tagging.Replace(tx, 3, []int64{9, 1}); err != nil {
				return err
			}
			if _, err := b.Tagging.Unlink(tx, 4, 5); err != nil {
				return err
			}
			if _, err := b.Tagging.Clear(tx, 6); err != nil {
				return err
			}
			if err := b.Tags.Delete(tx, 2); err != nil { // cascades from the tag side
				return err
			}
			return b.Posts.Delete(tx, 10) // and from the post side
		})
	}
	compare("after link changes and cascades")
}

func TestPairTable(t *testing.T) {
	type Grant struct {
		Role  string
		Perm  string
		Level int
	}
	type Role struct{ Name string }
	s := memrel.NewSchema()
	roles := memrel.NewTable(s, "roles", func(r *Role) *string { return &r.Name })
	grants := memrel.NewPairTable(s, "grants", func(g *Grant) *string { return &g.Role }, func(g *Grant) *string { return &g.Perm })
	of := memrel.ForeignKey(grants, "role", func(g *Grant) *string { return &g.Role }, roles,
		memrel.OnDelete(memrel.Cascade), memrel.OnUpdate(memrel.Cascade))
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		for _, r := range []string{"admin", "ad"} {
			if _, err := roles.Insert(tx, Role{r}); err != nil {
				return err
			}
		}
		for _, g := range []Grant{{"admin", "write", 2}, {"admin", "read", 1}, {"ad", "read", 1}} {
			if _, err := grants.Insert(tx, g); err != nil {
				return err
			}
		}
		return nil
	})
	err = db.Update(func(tx *memrel.Tx) error { _, err := grants.Insert(tx, Grant{"admin", "read", 9}); return err })
	if !errors.Is(err, memrel.ErrUnique) || err.Error() != `memrel: insert grants ("admin", "read"): unique violation: grants.primary key is taken by grants ("admin", "read")` {
		t.Fatalf("duplicate pair: %v", err)
	}
	err = db.Update(func(tx *memrel.Tx) error { _, err := grants.Insert(tx, Grant{"admin", "", 1}); return err })
	if !errors.Is(err, memrel.ErrInvalid) {
		t.Errorf("empty half of a pair key: %v", err)
	}
	_ = db.View(func(tx *memrel.Tx) error {
		g, err := grants.Get(tx, memrel.Pair[string, string]{A: "admin", B: "write"})
		if err != nil || g.Level != 2 {
			t.Errorf("Get: %+v %v", g, err)
		}
		// A key prefix: "ad" must not find "admin"'s grants.
		var perms []string
		for g := range of.Children(tx, "ad") {
			perms = append(perms, g.Perm)
		}
		if diff := cmp.Diff([]string{"read"}, perms); diff != "" {
			t.Errorf("role ad's grants (-want +got):\n%s", diff)
		}
		// Child and Exists read the same prefix of the primary key.
		if g, err := of.Child(tx, "admin"); err != nil || g.Perm != "read" {
			t.Errorf("admin's first grant: %+v, %v; want read", g, err)
		}
		if _, err := of.Child(tx, "adm"); !errors.Is(err, memrel.ErrNotFound) {
			t.Errorf("a role that is only a prefix of admin: %v, want ErrNotFound", err)
		}
		for role, want := range map[string]bool{"ad": true, "admin": true, "adm": false, "admins": false} {
			if ok, err := of.Exists(tx, role); ok != want || err != nil {
				t.Errorf("Exists(%q) = %v, %v; want %v", role, ok, err, want)
			}
		}
		perms = nil
		for g := range grants.All(tx) {
			perms = append(perms, g.Role+":"+g.Perm)
		}
		if diff := cmp.Diff([]string{"ad:read", "admin:read", "admin:write"}, perms); diff != "" {
			t.Errorf("grants in key order (-want +got):\n%s", diff)
		}
		return nil
	})
	// Renaming a role moves its grants: their keys change with it.
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error { return roles.UpdateKey(tx, "admin", Role{"root"}) })
	_ = db.View(func(tx *memrel.Tx) error {
		if n, _ := of.Count(tx, "root"); n != 2 {
			t.Errorf("root has %d grants", n)
		}
		if _, err := grants.Get(tx, memrel.Pair[string, string]{A: "root", B: "write"}); err != nil {
			t.Errorf("re-keyed grant: %v", err)
		}
		return nil
	})
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error { return roles.Delete(tx, "root") })
	if err := db.Verify(); err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *memrel.Tx) error {
		if n, _ := grants.Len(tx); n != 1 {
			t.Errorf("%d grants left", n)
		}
		return nil
	})
}
