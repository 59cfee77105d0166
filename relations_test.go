package memrel

import (
	"errors"
	"testing"
)

// A foreign key on the field a pair key begins with is served by the
// primary key's index: go-memdb has no index for it.
func TestKeyPrefixRelationHasNoIndex(t *testing.T) {
	b := NewBlog(t, BlogRules{PairTags: true}) // post_tags keyed by (post, tag)
	lead, other := b.Tagged, b.Tag
	if !lead.info.index.shared || other.info.index.shared {
		t.Errorf("shared: lead %v, other %v", lead.info.index.shared, other.info.index.shared)
	}
	idx := b.DB.schema.mdb.Tables["post_tags"].Indexes
	if _, ok := idx["ix:post"]; ok || len(idx) != 2 {
		t.Errorf("go-memdb indexes of post_tags: %v", len(idx))
	}
}

// Parent of a NULL foreign key loads nothing: strict mode allows it, it is
// not counted, and it still reports that there is no parent.
func TestParentOfNullKeyIsNotALoad(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Seed(t)
	err := b.DB.View(func(tx *Tx) error {
		if err := tx.Strict(); err != nil {
			return err
		}
		p, err := b.Posts.Get(tx, 10) // no editor
		if err != nil {
			return err
		}
		if _, err := b.Editor.Parent(tx, p); !errors.Is(err, ErrNotFound) {
			t.Errorf("Parent of a NULL key in strict mode: %v, want ErrNotFound", err)
		}
		if got := tx.LoadStats(b.Editor); got != (LoadStats{}) {
			t.Errorf("LoadStats after Parent of a NULL key = %+v, want none", got)
		}
		edited, err := b.Posts.Get(tx, 20) // edited by user 1: a real load
		if err != nil {
			return err
		}
		if _, err := b.Editor.Parent(tx, edited); !errors.Is(err, ErrLazyLoad) {
			t.Errorf("Parent of a non-NULL key in strict mode: %v, want ErrLazyLoad", err)
		}
		return nil
	})
	if !errors.Is(err, ErrLazyLoad) { // the lazy load, recorded
		t.Errorf("View = %v, want the recorded ErrLazyLoad", err)
	}
}
