package memrel

import (
	"bytes"
	"slices"
	"sort"
)

// Join indexes kept up to date: a commit that writes a table whose indexes
// have join indexes logs what it changed, and the next load that finds a
// join index one or more commits old patches it with their changes instead
// of walking the whole index again.
//
// Each logged step is one commit's change of one index: its root before and
// after (go-memdb's watch channels, as join indexes record them) and the
// rows of its table the commit wrote, each as its record before and after
// (nil: absent). A chain of steps from a join index's root to the root a
// load reads is the exact difference between the two snapshots: commits are
// serial, and a root names one tree. A patch costs a copy of the arrays
// (memmove, no record read) plus a binary search per changed row; a walk
// costs a visit of every entry and its record, scattered in memory.

// change is one row a commit wrote: its record before and after.
type change struct{ old, new *rec }

// joinStep is one commit's change of one index.
type joinStep struct {
	before, after <-chan struct{}
	changes       []change
}

const (
	maxJoinSteps = 64   // steps kept per index
	maxPatchRows = 4096 // changed rows beyond which a load walks the index again
)

// logJoins logs, for each index of a table tx wrote that has a join index
// in the store's cache, the step this commit makes. It runs before the
// commit, while tx still holds the writer lock, so steps are logged in
// commit order. The caller holds tx's lock.
func (tx *Tx) logJoins() {
	c := tx.db.joins
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drop || len(c.m) == 0 {
		return
	}
	changes := map[*tableInfo][]change{}
	done := map[*indexInfo]bool{}
	for k := range c.m {
		ix := k.ix
		if done[ix] || !tx.wrote(ix.table) {
			continue
		}
		done[ix] = true
		before, err := tx.w.base.Get(ix.table.name, ix.mdb)
		if err != nil {
			continue
		}
		after, err := tx.mtx.Get(ix.table.name, ix.mdb)
		if err != nil || before.WatchCh() == after.WatchCh() {
			continue // the index did not change: its join indexes stay current
		}
		ch, ok := changes[ix.table]
		if !ok {
			ch = tx.changes(ix.table)
			changes[ix.table] = ch
		}
		if c.log == nil {
			c.log = map[*indexInfo][]joinStep{}
		}
		steps := c.log[ix]
		if len(steps) >= maxJoinSteps {
			steps = slices.Delete(slices.Clone(steps), 0, len(steps)-maxJoinSteps+1)
		}
		c.log[ix] = append(steps[:len(steps):len(steps)], joinStep{before.WatchCh(), after.WatchCh(), ch})
	}
}

// changes returns the rows of ti that tx wrote, each with its record in
// the snapshot tx began from.
func (tx *Tx) changes(ti *tableInfo) []change {
	rows := &tx.w.rows[ti.id]
	out := make([]change, 0, rows.len())
	rows.each(func(pk []byte, r *rec) {
		out = append(out, change{old: tx.firstIn(tx.w.base, ti.name, "id", pk), new: r})
	})
	return out
}

// chain returns the changes of the steps that lead index ix from the root
// from to the root to, or false if the log does not hold them all (or they
// are too many to patch).
func (c *joinCache) chain(ix *indexInfo, from, to <-chan struct{}) ([]change, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	steps := c.log[ix]
	i := slices.IndexFunc(steps, func(s joinStep) bool { return s.before == from })
	if i < 0 {
		return nil, false
	}
	var out []change
	for ; i < len(steps); i++ {
		out = append(out, steps[i].changes...)
		if len(out) > maxPatchRows {
			return nil, false
		}
		if steps[i].after == to {
			return out, true
		}
		if i+1 < len(steps) && steps[i+1].before != steps[i].after {
			return nil, false
		}
	}
	return nil, false
}

// patch returns a new join index: j with changes applied, for index ix
// grouped by slot and keeping slot val's keys (val < 0: none). Changes
// come in commit order; a row written by several commits counts by its
// first record before and its last after.
func (j *joinIndex) patch(ix *indexInfo, slot, val int, changes []change) *joinIndex {
	// Entries to remove (by record) and to add, grouped by foreign key.
	type edit struct {
		fk          []byte
		remove, add []*rec
	}
	changes = compose(changes)
	var edits []edit
	at := keyMap[int]{}
	editOf := func(fk []byte) *edit {
		i, ok := at.get(fk)
		if !ok {
			i = len(edits)
			at.set(fk, i)
			edits = append(edits, edit{fk: fk})
		}
		return &edits[i]
	}
	for _, c := range changes {
		if c.old != nil {
			if fk := c.old.key(slot); fk != nil {
				e := editOf(fk)
				e.remove = append(e.remove, c.old)
			}
		}
		if c.new != nil {
			if fk := c.new.key(slot); fk != nil {
				e := editOf(fk)
				e.add = append(e.add, c.new)
			}
		}
	}
	slices.SortFunc(edits, func(a, b edit) int { return bytes.Compare(a.fk, b.fk) })

	// The values the additions bring that j lacks, in key order: each
	// takes its rank, and the values after it move up.
	var newVals [][]byte
	if val >= 0 {
		for _, e := range edits {
			for _, r := range e.add {
				if v := r.key(val); v != nil && j.findValue(v) < 0 {
					newVals = append(newVals, v)
				}
			}
		}
		slices.SortFunc(newVals, bytes.Compare)
		newVals = slices.CompactFunc(newVals, bytes.Equal)
	}

	n := &joinIndex{
		keys:  make([]byte, 0, len(j.keys)+len(edits)*8),
		kend:  make([]uint32, 0, len(j.kend)+len(edits)),
		start: make([]uint32, 0, len(j.start)+len(edits)),
		recs:  make([]*rec, 0, len(j.recs)+len(changes)),
	}
	var vidx []uint32 // the entries' values, numbered as in j (noValue: NULL), then renumbered
	if val >= 0 {
		vidx = make([]uint32, 0, len(j.recs)+len(changes))
	}
	// copyGroups appends j's groups [g0, g1) unchanged.
	copyGroups := func(g0, g1 int) {
		if g0 >= g1 {
			return
		}
		shift := uint32(len(n.recs)) - j.start[g0]
		from := uint32(0)
		if g0 > 0 {
			from = j.kend[g0-1]
		}
		kshift := uint32(len(n.keys)) - from
		n.keys = append(n.keys, j.keys[from:j.kend[g1-1]]...)
		for g := g0; g < g1; g++ {
			n.start = append(n.start, j.start[g]+shift)
			n.kend = append(n.kend, j.kend[g]+kshift)
		}
		n.recs = append(n.recs, j.recs[j.start[g0]:j.start[g1]]...)
		if val >= 0 {
			vidx = append(vidx, j.vidx[j.start[g0]:j.start[g1]]...)
		}
	}
	g := 0 // the next group of j to copy
	for _, e := range edits {
		// j's groups before e's, then e's: j's entries less the removed,
		// with the added, in the index's order.
		h := sort.Search(j.groups(), func(h int) bool { return bytes.Compare(j.key(h), e.fk) >= 0 })
		copyGroups(g, h)
		g = h
		var entries []*rec
		var values []uint32
		if h < j.groups() && bytes.Equal(j.key(h), e.fk) {
			for x := j.start[h]; x < j.start[h+1]; x++ {
				if !slices.Contains(e.remove, j.recs[x]) {
					entries = append(entries, j.recs[x])
					if val >= 0 {
						values = append(values, j.vidx[x])
					}
				}
			}
			g = h + 1
		}
		for _, r := range e.add {
			entries = append(entries, r)
			if val >= 0 {
				values = append(values, j.numberOf(r.key(val)))
			}
		}
		if len(entries) == 0 {
			continue // the group is gone
		}
		if len(e.add) > 0 {
			order := make([]int, len(entries))
			for x := range order {
				order[x] = x
			}
			slices.SortFunc(order, func(a, b int) int { return bytes.Compare(entryIn(entries[a], ix), entryIn(entries[b], ix)) })
			sorted := make([]*rec, len(entries))
			var sv []uint32
			if val >= 0 {
				sv = make([]uint32, len(entries))
			}
			for x, o := range order {
				sorted[x] = entries[o]
				if val >= 0 {
					sv[x] = values[o]
				}
			}
			entries, values = sorted, sv
		}
		n.start = append(n.start, uint32(len(n.recs)))
		n.keys = append(n.keys, e.fk...)
		n.kend = append(n.kend, uint32(len(n.keys)))
		n.recs = append(n.recs, entries...)
		vidx = append(vidx, values...)
	}
	copyGroups(g, j.groups())
	n.start = append(n.start, uint32(len(n.recs)))
	if len(n.recs) >= noValue || len(n.keys) >= noValue {
		return nil
	}
	if val >= 0 {
		n.vidx = vidx
		n.mergeValues(j, newVals, val)
	}
	n.patches = j.patches + 1
	return n
}

// compose returns changes with each row once: its first record before and
// its last after, dropping rows that end as they began.
func compose(changes []change) []change {
	at := keyMap[int]{}
	var out []change
	for _, c := range changes {
		pk := c.new
		if pk == nil {
			pk = c.old
		}
		if pk == nil {
			continue
		}
		if i, ok := at.get(pk.pk()); ok {
			out[i].new = c.new
			continue
		}
		at.set(pk.pk(), len(out))
		out = append(out, c)
	}
	return slices.DeleteFunc(out, func(c change) bool { return c.old == c.new })
}

// findValue returns the rank of value v among j's values, or -1.
func (j *joinIndex) findValue(v []byte) int {
	d := sort.Search(j.values(), func(d int) bool { return bytes.Compare(j.value(d), v) >= 0 })
	if d < j.values() && bytes.Equal(j.value(d), v) {
		return d
	}
	return -1
}

// numberOf returns value v's number during a patch: its rank in j,
// newValue if j lacks it, noValue for NULL.
func (j *joinIndex) numberOf(v []byte) uint32 {
	if v == nil {
		return noValue
	}
	if d := j.findValue(v); d >= 0 {
		return uint32(d)
	}
	return newValue
}

// newValue marks, during a patch, an entry whose value j lacks.
const newValue = noValue - 1

// mergeValues sets n's values to j's and added's, merged in key order, and
// renumbers n's entries: a value of j's moves up by the added values
// before it, and an entry marked newValue takes the rank of its record's
// value in slot val.
func (n *joinIndex) mergeValues(j *joinIndex, added [][]byte, val int) {
	n.vkeys = make([]byte, 0, len(j.vkeys)+len(added)*8)
	n.vkend = make([]uint32, 0, j.values()+len(added))
	push := func(v []byte) {
		n.vkeys = append(n.vkeys, v...)
		n.vkend = append(n.vkend, uint32(len(n.vkeys)))
	}
	moved := make([]uint32, j.values()) // rank in j -> rank in n
	a := 0
	for d := 0; d < j.values(); d++ {
		v := j.value(d)
		for ; a < len(added) && bytes.Compare(added[a], v) < 0; a++ {
			push(added[a])
		}
		moved[d] = uint32(n.values())
		push(v)
	}
	for ; a < len(added); a++ {
		push(added[a])
	}
	for e, d := range n.vidx {
		switch d {
		case noValue:
		case newValue:
			n.vidx[e] = uint32(n.findValue(n.recs[e].key(val)))
		default:
			n.vidx[e] = moved[d]
		}
	}
}
