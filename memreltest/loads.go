package memreltest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/memrel/memrel"
)

// A Budget bounds the loads a function may make (AssertLoads).
type Budget struct {
	name  string // a relation's qualified name or a table's; "" for all
	bad   bool   // made for a relation or table of no opened schema
	what  string // "lazy", "batches" or "rows"
	limit int64
}

// Lazy is at most n lazy loads through every relation and n reads by key
// (Get, Has, Index.First) of every table. AssertLoads' default is no lazy
// load, and as many reads by key of a table as strict mode allows a
// transaction (memrel.DefaultStrictGets): a handler's Get of the row it
// works on is fine, a Get in a loop is not.
func Lazy(n int) Budget { return Budget{what: "lazy", limit: int64(n)} }

// LazyOf is at most n lazy loads through a relation or a Through, or n
// reads by key of a table, overriding Lazy for it.
func LazyOf(c memrel.Counted, n int) Budget { return budgetOf(c, "lazy", n) }

// Batches is at most n eager batches through a relation (one per loader
// per Eager or EagerAll level), or n GetBatch calls on a table.
func Batches(c memrel.Counted, n int) Budget {
	return budgetOf(c, "batches", n)
}

// MaxRows is at most n rows loaded through a relation, or read by key from a
// table.
func MaxRows(c memrel.Counted, n int) Budget { return budgetOf(c, "rows", n) }

func budgetOf(c memrel.Counted, what string, n int) Budget {
	name := memrel.CounterName(c)
	return Budget{name: name, bad: name == "", what: what, limit: int64(n)}
}

// counted is one thing AssertLoads watches.
type counted struct {
	name, hint string
	table      bool
	c          memrel.Counted
}

// AssertLoads runs fn and fails the test if it loaded more than the
// budgets allow, through any relation or from any table of db: by default
// no lazy load, and at most memrel.DefaultStrictGets reads by key of each
// table, so a handler that reads a list in a loop of Children or of Gets
// (N+1 queries) fails, with the relation, the count and the loader that
// avoids it. Loads that strict mode refused count too, so an N+1 loop whose
// errors the code drops still fails its budget; but strict mode stops the
// code at its first lazy load, so measure on a fork with
// memrel.Strict(false) to see the whole count.
//
//	memreltest.AssertLoads(t, db, func() { listPosts(db) }, memreltest.Batches(author, 1))
//
// The counts are db's own (DB.LoadStats), taken before and after fn.
func AssertLoads(tb testing.TB, db *memrel.DB, fn func(), budgets ...Budget) {
	tb.Helper()
	if err := CheckLoads(db, fn, budgets...); err != nil {
		tb.Error(err.Error())
	}
}

// CheckLoads is AssertLoads returning what is over budget as an error
// (nil if nothing is), for a test that expects a budget to fail.
func CheckLoads(db *memrel.DB, fn func(), budgets ...Budget) error {
	for _, b := range budgets {
		if b.bad {
			return fmt.Errorf("memreltest.AssertLoads: a %s budget for a relation or table of no opened schema", b.what)
		}
	}
	var all []counted
	for _, d := range db.Schema().Tables() {
		all = append(all, counted{name: d.Name, table: true, c: d,
			hint: fmt.Sprintf("read them with %s.GetBatch, or load them with memrel.One(rel) from the rows that reference them", d.Name)})
		for _, rd := range d.Relations {
			hint := fmt.Sprintf("load them eagerly with memrel.Many(rel) for children or memrel.One(rel) for parents (rel: the *Relation %s)", rd.QName())
			if len(rd.Throughs) > 0 {
				hint = fmt.Sprintf("for the many-to-many direction %s, load it eagerly with t.Load() (t: its *Through); ", strings.Join(rd.Throughs, " or ")) +
					"else " + hint
			}
			all = append(all, counted{name: rd.QName(), c: rd, hint: hint})
		}
	}
	before := make([]memrel.LoadStats, len(all))
	for i, c := range all {
		before[i] = db.LoadStats(c.c)
	}
	fn()
	var problems []string
	for i, c := range all {
		after := db.LoadStats(c.c)
		used := map[string]int64{
			"lazy":    after.Lazy - before[i].Lazy,
			"batches": after.Batches - before[i].Batches,
			"rows":    after.Rows - before[i].Rows,
		}
		for what, n := range used {
			limit, ok := limitFor(budgets, c.name, what, c.table)
			if !ok || n <= limit {
				continue
			}
			noun := map[string]string{"lazy": "lazy loads", "batches": "eager batches", "rows": "rows"}[what]
			if c.table && what == "lazy" {
				noun = "reads by key (Get, Has, Index.First)"
			}
			if n == 1 {
				noun = strings.Replace(strings.Replace(noun, "loads", "load", 1), "batches", "batch", 1)
				noun = strings.Replace(noun, "reads by key", "read by key", 1)
			}
			msg := fmt.Sprintf("%s: %d %s, budget %d", c.name, n, noun, limit)
			if what == "lazy" {
				msg += "; " + c.hint
			}
			problems = append(problems, msg)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("memreltest.AssertLoads: over budget:\n\t%s", strings.Join(problems, "\n\t"))
	}
	return nil
}

// limitFor is the budget for what of name: the last budget naming it, or
// the last general one; lazy loads default to 0, the others to no limit.
func limitFor(budgets []Budget, name, what string, table bool) (int64, bool) {
	limit, ok := int64(0), what == "lazy"
	if table && what == "lazy" {
		limit = memrel.DefaultStrictGets
	}
	general := true
	for _, b := range budgets {
		if b.what != what {
			continue
		}
		switch {
		case b.name == name:
			limit, ok, general = b.limit, true, false
		case b.name == "" && general:
			limit, ok = b.limit, true
		}
	}
	return limit, ok
}
