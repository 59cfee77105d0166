package memrel

import "testing"

// A foreign key on the field a pair key begins with is served by the
// primary key's index: go-memdb has no index for it.
func TestKeyPrefixRelationHasNoIndex(t *testing.T) {
	type link struct{ A, B int64 }
	s := NewSchema()
	ps := NewTable(s, "ps", func(p *parent) *int64 { return &p.ID })
	links := NewPairTable(s, "links", func(l *link) *int64 { return &l.A }, func(l *link) *int64 { return &l.B })
	lead := ForeignKey(links, "a", func(l *link) *int64 { return &l.A }, ps)
	other := ForeignKey(links, "b", func(l *link) *int64 { return &l.B }, ps)
	if _, err := Open(s); err != nil {
		t.Fatal(err)
	}
	if !lead.info.index.shared || other.info.index.shared {
		t.Errorf("shared: lead %v, other %v", lead.info.index.shared, other.info.index.shared)
	}
	idx := s.mdb.Tables["links"].Indexes
	if _, ok := idx["ix:a"]; ok || len(idx) != 2 {
		t.Errorf("go-memdb indexes of links: %v", len(idx))
	}
}
