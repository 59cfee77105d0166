package conformance

import (
	"testing"

	"github.com/memrel/memrel"
)

// decodeCase turns bytes into a case: the relations' rules, then
// transactions of operations. Every byte string is a valid case, so the
// fuzzer explores schemas and operation sequences alike.
func decodeCase(data []byte) tcase {
	pos := 0
	next := func() int {
		if pos >= len(data) {
			return 0
		}
		b := data[pos]
		pos++
		return int(b)
	}
	rule := func(nullable bool, def int64) rel {
		pick := func() memrel.Action {
			a := actions[next()%len(actions)]
			if a == memrel.SetNull && !nullable {
				a = memrel.Cascade
			}
			return a
		}
		d := next()
		return rel{OnDelete: pick(), OnUpdate: pick(), Deferred: d%4 == 0, Default: def, NullDefault: nullable && d/4%4 == 1}
	}
	c := tcase{cfg: config{
		Author:  rule(false, 1),
		Editor:  rule(true, 2),
		Post:    rule(false, 1),
		Parent:  rule(true, 1),
		Tagged:  rule(false, 1),
		Tag:     rule(false, 1),
		Tenant:  rule(false, 1),
		Project: rule(true, 1),
		Owner:   rule(true, 2),
	}}
	c.cfg.Project.DefaultTenant = 1
	c.cfg.excludeSiblingRaces()
	kinds := []string{"insert", "insert", "update", "upsert", "rekey", "delete"}
	tables := []string{"users", "posts", "comments", "tags", "post_tags", "projects", "tasks"}
	key := func() int64 { return int64(1 + next()%6) }
	maybe := func() *int64 {
		if next()%3 == 0 {
			return nil
		}
		return ref(key())
	}
	for len(c.txs) < 8 && pos < len(data) {
		flags := next()
		tx := txn{DeferAll: flags%5 == 0 && !c.cfg.restricts(), Abort: flags%7 == 0}
		for n := 1 + next()%6; n > 0 && pos < len(data); n-- {
			o := op{Kind: kinds[next()%len(kinds)], Table: tables[next()%len(tables)], ID: key(), NewID: key(), A: key()}
			switch o.Table {
			case "post_tags":
				if o.Kind != "delete" {
					o.Kind = "insert"
				}
			case "posts", "comments":
				o.B = maybe()
			case "projects":
				o.B = maybe() // the code
				if o.Kind == "rekey" {
					o.C = maybe() // the new tenant, if set
				}
			case "tasks":
				o.B, o.C, o.D = maybe(), maybe(), maybe()
			}
			tx.Ops = append(tx.Ops, o)
		}
		c.txs = append(c.txs, tx)
	}
	return c
}

// FuzzDifferential runs what the bytes decode to on memrel and on SQLite
// and fails on any difference in outcome or rows, or any Verify error.
// CI runs it briefly; findings become regression cases in TestCases.
func FuzzDifferential(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 2, 0, 3, 3, 1, 2, 2, 1, 4, 4, 0, 1, 5, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 5, 0, 0, 1})
	f.Add([]byte{1, 0, 0, 2, 2, 0, 4, 4, 0, 3, 3, 0, 0, 6, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 5, 0, 0, 0, 4, 1, 1, 2, 3})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 3, 0, 0, 1, 1, 0, 1, 1, 1, 2, 1, 1, 5, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		run(t, decodeCase(data))
	})
}
