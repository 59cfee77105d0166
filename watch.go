package memrel

import (
	"sync"

	memdb "github.com/hashicorp/go-memdb"
)

// Watches are memrel's own, not go-memdb's. go-memdb closes the channel of
// every radix node a commit copies, so its watch on a prefix also wakes up
// for changes next to it, and a store made by Fork never fires at all.
// memrel knows which tables each commit wrote, so it compares, for each
// watched parent key of a written table, the children before and after the
// commit, and closes the watch only when they differ. Its stores write
// through go-memdb without mutation tracking (see Open), which makes
// writes cheaper; go-memdb's own watch channels are then never closed.

// watchHub holds a store's watches: one channel per watched relation and
// parent key, shared by every watcher of that key, closed and forgotten
// when the key's children change.
type watchHub struct {
	mu sync.Mutex // also held by a commit from before go-memdb's commit until its watches are closed
	m  map[watchKey]chan struct{}
}

type watchKey struct {
	rel *relInfo
	key string
}

// watch returns the channel for the children, through rel, of the parent
// with encoded key key, as tx sees them: already closed if a commit has
// changed them since tx's snapshot.
func (h *watchHub) watch(tx *Tx, rel *relInfo, key []byte) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := tx.mtx
	if tx.w != nil {
		seen = tx.w.base // a writer watches the committed store, not its own writes
	}
	if !sameChildren(seen, tx.db.mdb.Txn(false), rel, key) {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	k := watchKey{rel, string(key)}
	ch := h.m[k]
	if ch == nil {
		if h.m == nil {
			h.m = map[watchKey]chan struct{}{}
		}
		ch = make(chan struct{})
		h.m[k] = ch
	}
	return ch
}

// commit commits tx's go-memdb transaction and closes the watches whose
// children it changed, after the new state is visible.
func (h *watchHub) commit(tx *Tx) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var fired []watchKey
	for k := range h.m {
		if tx.wrote(k.rel.child) && !sameChildren(tx.w.base, tx.mtx, k.rel, []byte(k.key)) {
			fired = append(fired, k)
		}
	}
	tx.mtx.Commit()
	for _, k := range fired {
		close(h.m[k])
		delete(h.m, k)
	}
}

// sameChildren reports whether a and b hold the same children of the
// parent with encoded key key through rel: the same records, in the same
// order. go-immutable-radix never changes a node, so when the seek for the
// key ends at the same node in both (the same watch channel), they do.
func sameChildren(a, b *memdb.Txn, rel *relInfo, key []byte) bool {
	ia, errA := a.Get(rel.child.name, rel.index.mdb, key)
	ib, errB := b.Get(rel.child.name, rel.index.mdb, key)
	if errA != nil || errB != nil {
		return false
	}
	if ia.WatchCh() == ib.WatchCh() {
		return true
	}
	for {
		x, y := ia.Next(), ib.Next()
		if x != y {
			return false
		}
		if x == nil {
			return true
		}
	}
}
