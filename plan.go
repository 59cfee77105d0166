package memrel

import "errors"

// Step is one row change that a delete would make.
type Step struct {
	Op       Op // OpDelete or OpUpdate
	Table    string
	Key      string // the row's key, formatted as in errors
	Relation string // the relation whose rule made the change ("posts.author"); "" for the row deleted itself
	Action   Action // that relation's rule for the event: Cascade, SetNull or SetDefault; NoAction for the row deleted itself
}

// PlanDelete returns what Delete(tx, k) would do, without doing it: every
// row it would delete or update, in the order it would, with the relation
// and rule behind each (SQLAlchemy users know this as the cascade preview).
// If the delete would be rejected, it returns the steps up to the
// rejection and the *ConstraintError naming the rule that blocks it.
//
// It runs the delete and undoes it, so it needs a write transaction; to
// plan from a reader, plan in a write transaction on db.Fork().
func (t *Table[T, K]) PlanDelete(tx *Tx, k K) ([]Step, error) {
	if err := tx.enter(t.check(tx, true)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	var steps []Step
	var err error
	// A plan is an operation that is always undone: atomically rolls it
	// back when planned returns an error, whether or not the delete was
	// rejected.
	planned := errors.New("planned")
	tx.atomically(t.info, func() error {
		undo := len(tx.w.undo)
		err = tx.finish(tx.delete(t.info, encodeKey(t.codec, k)))
		steps = make([]Step, 0, len(tx.w.undo)-undo)
		for _, u := range tx.w.undo[undo:] {
			s := Step{Op: OpDelete, Table: u.ti.name}
			if u.new != nil {
				s.Op = OpUpdate
				s.Key = u.ti.front.formatKey(u.new.pk())
			} else {
				s.Key = u.ti.front.formatKey(u.old.pk())
			}
			if u.why.rel != nil {
				s.Relation, s.Action = u.why.rel.qname, u.why.action
			}
			steps = append(steps, s)
		}
		return planned
	})
	return steps, err
}
