package memrel

import "testing"

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
