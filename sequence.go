package memrel

// Auto-increment sequences, from the table in the store that holds them to
// the transaction that loads, raises and commits them.

// The auto-increment sequences live in the store itself, in a table of
// their own, so that an aborted transaction leaves them as they were and a
// snapshot carries them along.
const seqTable = "memrel:seq"

type seqRec struct {
	table []byte
	last  int64
}

type seqIndexer struct{}

func (seqIndexer) FromObject(obj any) (bool, []byte, error) {
	r, ok := obj.(*seqRec)
	if !ok {
		return false, nil, errNotRecord
	}
	return true, r.table, nil
}

func (seqIndexer) FromArgs(args ...any) ([]byte, error) { return bytesArg(args) }

func seqKey(id int) []byte {
	var c codec[int64]
	c.kind, c.size = kindInt, 8
	return encodeKey(c, int64(id))
}

type seqChange struct {
	ti    *tableInfo
	was   int64
	state uint8
}

// loadSeq makes sure table ti's sequence is loaded into the transaction.
func (tx *Tx) loadSeq(ti *tableInfo) {
	if tx.w.seq == nil {
		n := len(tx.db.schema.tables)
		tx.w.seq, tx.w.seqState = make([]int64, n), make([]uint8, n)
	}
	if tx.w.seqState[ti.id] != 0 {
		return
	}
	tx.w.seqState[ti.id] = 1
	obj, err := tx.mtx.First(seqTable, "id", ti.seqKey)
	must(err) // a sequence read as 0 would hand out keys again
	if obj != nil {
		tx.w.seq[ti.id] = obj.(*seqRec).last
	}
}

func (tx *Tx) setSeq(ti *tableInfo, v int64) {
	tx.w.seq[ti.id] = v
	tx.w.seqState[ti.id] = 2
}

// nextID returns the next auto-increment key of ti. Like SQLite's
// AUTOINCREMENT, keys are never reused, even after a delete: the sequence
// is the highest key the table has ever had.
func (tx *Tx) nextID(ti *tableInfo, max int64) (int64, error) {
	tx.loadSeq(ti)
	v := tx.w.seq[ti.id]
	if v >= max {
		return 0, invalid("%s: auto-increment sequence exhausted at %d", ti.name, v)
	}
	v++
	tx.setSeq(ti, v)
	return v, nil
}

// noteID raises ti's sequence to an explicitly given key, and reports
// whether the key is fresh: above every key the table has ever had, so
// certainly not in it. Every key of a table is at most its sequence: inserts
// and re-keys raise it (cascaded re-keys too, through raiseSeq).
func (tx *Tx) noteID(ti *tableInfo, v int64) bool {
	tx.loadSeq(ti)
	if v > tx.w.seq[ti.id] {
		tx.setSeq(ti, v)
		return true
	}
	return false
}

// raiseSeq keeps the sequence invariant when an action re-keys a row.
func (tx *Tx) raiseSeq(ti *tableInfo, pk []byte) {
	v, ok := ti.intKey(pk)
	if !ok {
		return
	}
	tx.loadSeq(ti)
	if v > tx.w.seq[ti.id] {
		tx.w.seqUndo = append(tx.w.seqUndo, seqChange{ti: ti, was: tx.w.seq[ti.id], state: tx.w.seqState[ti.id]})
		tx.setSeq(ti, v)
	}
}
