package memrel

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// Follow is a row of a self-referential association with a field of its
// own: Follower follows Followee since AddedAt.
type Follow struct {
	Follower, Followee int64
	AddedAt            time.Time
}

// Social is users following users, with both directions named.
type Social struct {
	DB        *DB
	Users     *Table[User, int64]
	Follows   *Table[Follow, Pair[int64, int64]]
	Follower  *Relation[Follow, User, int64] // follows.follower
	Followee  *Relation[Follow, User, int64] // follows.followee
	Following *Through[Follow, User, User, int64, int64]
	Followers *Through[Follow, User, User, int64, int64]
}

func NewSocial(tb testing.TB) *Social {
	tb.Helper()
	s := NewSchema()
	m := &Social{}
	m.Users = NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	follower := func(f *Follow) *int64 { return &f.Follower }
	followee := func(f *Follow) *int64 { return &f.Followee }
	m.Follows = NewPairTable(s, "follows", follower, followee)
	m.Follower = ForeignKey(m.Follows, "follower", follower, m.Users, OnDelete(Cascade))
	m.Followee = ForeignKey(m.Follows, "followee", followee, m.Users, OnDelete(Cascade))
	m.Following = NewThrough(m.Follower, "following", m.Followee)
	m.Followers = NewThrough(m.Followee, "followers", m.Follower)
	db, err := Open(s)
	if err != nil {
		tb.Fatal(err)
	}
	m.DB = db
	return m
}

// TestThroughRandom builds a random follow graph with LinkRow and reads
// both named directions lazily, counted, paged and loaded eagerly,
// comparing each with the graph as the test built it.
func TestThroughRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	m := NewSocial(t)
	const n = 12
	follows := map[Pair[int64, int64]]time.Time{}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	MustUpdate(t, m.DB, func(tx *Tx) error {
		for u := int64(1); u <= n; u++ {
			if _, err := m.Users.Insert(tx, User{ID: u}); err != nil {
				return err
			}
		}
		for i := range 60 {
			f := Follow{Follower: 1 + rng.Int64N(n), Followee: 1 + rng.Int64N(n), AddedAt: t0.Add(time.Duration(i) * time.Hour)}
			got, err := m.Following.LinkRow(tx, f)
			if err != nil {
				return err
			}
			k := Pair[int64, int64]{f.Follower, f.Followee}
			if at, ok := follows[k]; ok {
				if !got.AddedAt.Equal(at) {
					t.Errorf("LinkRow of a pair linked already returned AddedAt %v, want the first link's %v", got.AddedAt, at)
				}
				continue
			}
			follows[k] = f.AddedAt
			if diff := gocmp.Diff(f, got); diff != "" {
				t.Errorf("LinkRow returned (-want +got):\n%s", diff)
			}
		}
		return nil
	})
	verify(t, m.DB)
	user := func(id int64) User { return User{ID: id} }
	// want: the users u follows (or who follow u), in the association's
	// key order: (follower, followee).
	want := func(u int64, backward bool) []User {
		var out []User
		for k := range follows {
			if !backward && k.A == u {
				out = append(out, user(k.B))
			} else if backward && k.B == u {
				out = append(out, user(k.A))
			}
		}
		slices.SortFunc(out, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
		return out
	}
	tx := MustTx(m.DB.BeginRead())
	defer tx.Abort()
	rows, result, err := EagerAll(tx, m.Users, m.Following.Load(), m.Followers.Load())
	if err != nil {
		t.Fatal(err)
	}
	same := func(a, b User) bool { return a.ID == b.ID }
	for _, u := range rows {
		for _, dir := range []struct {
			name     string
			t        *Through[Follow, User, User, int64, int64]
			backward bool
		}{{"following", m.Following, false}, {"followers", m.Followers, true}} {
			w := want(u.ID, dir.backward)
			check := func(what string, got []User) {
				t.Helper()
				if diff := gocmp.Diff(w, got); len(w)+len(got) > 0 && diff != "" {
					t.Errorf("user %d %s %s (-want +got):\n%s", u.ID, dir.name, what, diff)
				}
			}
			check("List", slices.Collect(dir.t.List(tx, u.ID)))
			check("Load", dir.t.Load().Of(result, u))
			if c, err := dir.t.Count(tx, u.ID); err != nil || c != len(w) {
				t.Errorf("user %d %s Count = %d, %v; want %d", u.ID, dir.name, c, err, len(w))
			}
			p := Page[User]{Backward: rng.IntN(2) == 0, Offset: rng.IntN(2), Limit: rng.IntN(4)}
			if len(w) > 0 && rng.IntN(2) == 0 {
				p.After = &w[rng.IntN(len(w))]
			}
			if rng.IntN(3) == 0 {
				p.Where = func(v User) bool { return v.ID%2 == 0 }
			}
			got, err := dir.t.Page(tx, u.ID, p)
			if err != nil {
				t.Fatalf("Page: %v", err)
			}
			if pw := applyPage(w, p, same); len(pw)+len(got) > 0 {
				if diff := gocmp.Diff(pw, got); diff != "" {
					t.Errorf("user %d %s Page %+v (-want +got):\n%s", u.ID, dir.name, p, diff)
				}
			}
		}
	}
	if tx.LoadStats(m.Following).Lazy == 0 || tx.LoadStats(m.Following) != tx.LoadStats(m.Follower) {
		t.Errorf("LoadStats(following) = %+v, want follows.follower's %+v, not zero", tx.LoadStats(m.Following), tx.LoadStats(m.Follower))
	}
}

// A named direction is strict mode's name for its lazy reads, and its hint
// is its loader; LinkRow of a missing user fails and leaves nothing; a
// NULL-free row is needed; a cascade from either side removes the link.
func TestThroughStrictAndLinks(t *testing.T) {
	m := NewSocial(t)
	MustUpdate(t, m.DB, func(tx *Tx) error {
		for u := int64(1); u <= 3; u++ {
			if _, err := m.Users.Insert(tx, User{ID: u}); err != nil {
				return err
			}
		}
		for _, f := range [][2]int64{{1, 2}, {1, 3}, {3, 1}} {
			if _, err := m.Following.Link(tx, f[0], f[1]); err != nil {
				return err
			}
		}
		return nil
	})
	loaders := map[string]bool{"Load": true}
	for _, c := range []struct {
		name string
		run  func(tx *Tx) error
	}{
		{"List", func(tx *Tx) error {
			for range m.Followers.List(tx, 1) {
			}
			return tx.Err()
		}},
		{"Page", func(tx *Tx) error { _, err := m.Followers.Page(tx, 1, Page[User]{}); return err }},
	} {
		err := m.DB.View(func(tx *Tx) error {
			if err := tx.Strict(); err != nil {
				return err
			}
			return c.run(tx)
		})
		checkHint(t, c.name, err, loaders)
		if err == nil || !strings.Contains(err.Error(), c.name+" of users.followers") {
			t.Errorf("%s in strict mode: %v, want it to name users.followers", c.name, err)
		}
	}
	mustView(t, m.DB, func(tx *Tx) error {
		if err := tx.Strict(); err != nil {
			return err
		}
		rows, res, err := EagerAll(tx, m.Users, m.Followers.Load())
		if err != nil {
			return err
		}
		var got [][]int64
		for _, u := range rows {
			var ids []int64
			for _, f := range m.Followers.Load().Of(res, u) {
				ids = append(ids, f.ID)
			}
			got = append(got, ids)
		}
		if diff := gocmp.Diff([][]int64{{3}, {1}, {1}}, got); diff != "" {
			t.Errorf("followers loaded eagerly in strict mode (-want +got):\n%s", diff)
		}
		return nil
	})

	before := dump(t, m.DB)
	err := m.DB.Update(func(tx *Tx) error {
		_, err := m.Following.LinkRow(tx, Follow{Follower: 2, Followee: 9, AddedAt: time.Now()})
		return err
	})
	if !errors.Is(err, ErrForeignKey) {
		t.Errorf("LinkRow to a missing user: %v, want ErrForeignKey", err)
	}
	if diff := gocmp.Diff(before, dump(t, m.DB)); diff != "" {
		t.Errorf("a refused LinkRow changed the store:\n%s", diff)
	}
	MustUpdate(t, m.DB, func(tx *Tx) error {
		if n, err := m.Followers.Unlink(tx, 2, 1); err != nil || n != 1 {
			t.Errorf("Followers.Unlink(2, 1) = %d, %v; want user 1's follow of 2 removed", n, err)
		}
		if err := m.Followers.Replace(tx, 1, []int64{2, 3}); err != nil {
			return err
		}
		if got := slices.Collect(m.Following.List(tx, 2)); len(got) != 1 || got[0].ID != 1 {
			t.Errorf("after Followers.Replace(1, [2 3]), user 2 follows %v, want [1]", got)
		}
		err := m.Users.Delete(tx, 3)
		return err
	})
	mustView(t, m.DB, func(tx *Tx) error {
		if n, _ := m.Followers.Count(tx, 1); n != 1 {
			t.Errorf("after user 3 was deleted, user 1 has %d followers, want 1 (user 2)", n)
		}
		return nil
	})
	verify(t, m.DB)
	if m.Following.Name() != "users.following" {
		t.Errorf("Name() = %q", m.Following.Name())
	}
}

// A direction's name must be a name, unique for its table, and its
// relations two of one table; one declared after Open fails every use.
func TestThroughDeclaration(t *testing.T) {
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	follows := NewPairTable(s, "follows", func(f *Follow) *int64 { return &f.Follower }, func(f *Follow) *int64 { return &f.Followee })
	a := ForeignKey(follows, "follower", func(f *Follow) *int64 { return &f.Follower }, users)
	b := ForeignKey(follows, "followee", func(f *Follow) *int64 { return &f.Followee }, users)
	NewThrough(a, "not a name", b)
	NewThrough(a, "self", a)
	NewThrough(a, "dup", b)
	NewThrough(b, "dup", a)
	_, err := Open(s)
	for _, want := range []string{`"not a name"`, "users.self: the same relation (follows.follower) on both sides", "users.dup declared twice"} {
		if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), want) {
			t.Errorf("Open = %v, want it to say %s", err, want)
		}
	}

	m := NewSocial(t)
	late := NewThrough(m.Follower, "late", m.Followee)
	MustUpdate(t, m.DB, func(tx *Tx) error {
		_, err := m.Users.Insert(tx, User{ID: 1})
		return err
	})
	err = m.DB.Update(func(tx *Tx) error {
		if _, err := late.Link(tx, 1, 1); !errors.Is(err, ErrSchema) {
			t.Errorf("Link through a direction declared after Open: %v, want ErrSchema", err)
		}
		if _, err := late.Count(tx, 1); !errors.Is(err, ErrSchema) {
			t.Errorf("Count: %v, want ErrSchema", err)
		}
		if _, err := Eager(tx, []User{{ID: 1}}, late.Load()); !errors.Is(err, ErrInvalid) {
			t.Errorf("Load: %v, want ErrInvalid", err)
		}
		for range late.List(tx, 1) {
			t.Error("List through a direction declared after Open yielded a row")
		}
		return nil
	})
	if !errors.Is(err, ErrSchema) {
		t.Errorf("the transaction that ranged over it: %v, want the recorded ErrSchema", err)
	}
	if n, _ := m.Following.Count(MustTx(m.DB.BeginRead()), 1); n != 0 {
		t.Errorf("a direction declared after Open linked %d rows", n)
	}
}
