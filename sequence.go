package memrel

// Auto-increment sequences and row counts, from the table in the store
// that holds them to the transaction that loads, raises and commits them.

// The auto-increment sequences and the row counts live in the store itself,
// in a table of their own, so that an aborted transaction leaves them as
// they were and a fork carries them along.
const seqTable = "memrel:seq"

type seqRec struct {
	table []byte
	last  int64 // the sequence: the highest key the table has had
	rows  int64 // how many rows the table holds
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

// counted adds d to the number of rows of ti that the transaction has
// inserted, less those it deleted. Every insert and delete of a row goes
// through it, and so does the undo of each, so the count follows rollbacks
// too.
func (tx *Tx) counted(ti *tableInfo, d int64) {
	if tx.w.count == nil {
		tx.w.count = make([]int64, len(tx.db.schema.tables))
	}
	tx.w.count[ti.id] += d
}

// storedSeq returns ti's record in the sequence table of tx's view.
func (tx *Tx) storedSeq(ti *tableInfo) seqRec {
	obj, err := tx.mtx.First(seqTable, "id", ti.seqKey)
	must(err)
	if obj == nil {
		return seqRec{table: ti.seqKey}
	}
	return *obj.(*seqRec)
}

// rowCount returns how many rows ti holds in tx's view: the stored count,
// and for a writer what it has inserted and deleted since.
func (tx *Tx) rowCount(ti *tableInfo) int64 {
	n := tx.storedSeq(ti).rows
	if tx.w != nil && tx.w.count != nil {
		n += tx.w.count[ti.id]
	}
	return n
}

// commitSeqs writes each changed sequence and row count into the sequence
// table, as part of the commit.
func (tx *Tx) commitSeqs() {
	for id, ti := range tx.db.schema.tables {
		seqChanged := tx.w.seqState != nil && tx.w.seqState[id] == 2
		rowsChanged := tx.w.count != nil && tx.w.count[id] != 0
		if !seqChanged && !rowsChanged {
			continue
		}
		r := tx.storedSeq(ti)
		if seqChanged {
			r.last = tx.w.seq[id]
		}
		if rowsChanged {
			r.rows += tx.w.count[id]
		}
		must(tx.mtx.Insert(seqTable, &r))
	}
}
