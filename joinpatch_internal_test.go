package memrel

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// joinEntry is one entry of a join index, by what it holds.
type joinEntry struct {
	Group, PK, Value string
}

// entriesOf lists j's entries in order, with their group's key and their
// value's key: what two join indexes of one snapshot must agree on (a
// patched one may keep values no entry uses any more).
func entriesOf(j *joinIndex) []joinEntry {
	var out []joinEntry
	for g := range j.groups() {
		if j.start[g] == j.start[g+1] {
			out = append(out, joinEntry{Group: string(j.key(g)), PK: "(empty group)"})
		}
		for e := j.start[g]; e < j.start[g+1]; e++ {
			x := joinEntry{Group: string(j.key(g)), PK: string(j.recs[e].pk())}
			if j.vidx != nil && j.vidx[e] != noValue {
				x.Value = string(j.value(int(j.vidx[e])))
			}
			out = append(out, x)
		}
	}
	return out
}

// TestJoinIndexPatches writes at random (posts moved between users,
// inserted, deleted; links made and removed, tags created) in commits of one
// to a few rows, and after each, loads eagerly: the join indexes the loads
// patch must hold exactly what walking the new snapshot's indexes gives,
// and the loads must be patches, not walks, while the log holds the steps.
func TestJoinIndexPatches(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 4))
	for _, pair := range []bool{false, true} {
		r := DefaultRules()
		r.PairTags = pair
		b := NewBlog(t, r).Fill(t, 12, 3, 5, 2)
		byTag := Many(b.Tag)
		keys := []joinKey{
			{ix: b.Author.info.index, slot: b.Author.info.index.slot, val: -1},
			{ix: b.Tagged.info.index, slot: b.Tagged.info.index.slot, val: b.Tag.info.index.slot},
			{ix: b.Tag.info.index, slot: b.Tag.info.index.slot, val: b.Tagged.info.index.slot},
		}
		load := func() {
			t.Helper()
			mustView(t, b.DB, func(tx *Tx) error {
				if _, _, err := EagerAll(tx, b.Users, Many(b.Author)); err != nil {
					return err
				}
				if _, _, err := EagerAll(tx, b.Posts, b.Tagging.LoadRights()); err != nil {
					return err
				}
				_, _, err := EagerAll(tx, b.Tags, b.Tagging.LoadLefts(), byTag)
				return err
			})
		}
		load()
		nextPost, nextTag := int64(1000), int64(100)
		patched := 0
		for step := range 150 {
			MustUpdate(t, b.DB, func(tx *Tx) error {
				for range 1 + rng.IntN(3) {
					var err error
					switch rng.IntN(6) {
					case 0:
						nextPost++
						_, err = b.Posts.Insert(tx, Post{ID: nextPost, UserID: 1 + rng.Int64N(12)})
					case 1:
						if p, e := b.Posts.Get(tx, 1+rng.Int64N(nextPost)); e == nil {
							p.UserID = 1 + rng.Int64N(12)
							err = b.Posts.Update(tx, p)
						}
					case 2:
						if err = b.Posts.Delete(tx, 1+rng.Int64N(nextPost)); err != nil && isNotFound(err) {
							err = nil
						}
					case 3:
						if rng.IntN(4) == 0 {
							nextTag++
							if _, err = b.Tags.Insert(tx, Tag{ID: nextTag}); err != nil {
								return err
							}
						}
						if _, e := b.Posts.Get(tx, 1+rng.Int64N(nextPost)); e == nil {
							_, err = b.Tagging.Link(tx, 1+rng.Int64N(nextPost), 1+rng.Int64N(nextTag))
							if err != nil && isForeignKey(err) {
								err = nil
							}
						}
					case 4:
						_, err = b.Tagging.Unlink(tx, 1+rng.Int64N(nextPost), 1+rng.Int64N(nextTag))
					case 5:
						if rng.IntN(3) == 0 {
							err = b.Tags.Delete(tx, 1+rng.Int64N(nextTag))
							if err != nil && isNotFound(err) {
								err = nil
							}
						}
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
			load()
			for _, k := range keys {
				got := b.DB.joins.get(k)
				if got == nil {
					t.Fatalf("step %d: no join index for %s", step, k.ix.name)
				}
				if got.patches > 0 {
					patched++
				}
				mustView(t, b.DB, func(tx *Tx) error {
					it, err := tx.mtx.Get(k.ix.table.name, k.ix.mdb)
					if err != nil {
						return err
					}
					if it.WatchCh() != got.watch {
						t.Fatalf("step %d: the join index of %s is not of the current snapshot", step, k.ix.name)
					}
					want := walkJoin(it, k.slot, k.val, nil)
					if diff := cmp.Diff(entriesOf(want), entriesOf(got)); diff != "" {
						t.Fatalf("pair %v, step %d, %s after %d patches (-walked +patched):\n%s", pair, step, k.ix.name, got.patches, diff)
					}
					return nil
				})
			}
		}
		t.Logf("pair %v: %d of %d loads patched", pair, patched, 150*len(keys))
		if patched < 100 {
			t.Errorf("pair %v: %d of %d loads patched their join index; the rest walked", pair, patched, 150*len(keys))
		}
	}
}

func isNotFound(err error) bool   { return errors.Is(err, ErrNotFound) }
func isForeignKey(err error) bool { return errors.Is(err, ErrForeignKey) }
