package memrel

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
)

// Every sequence that cannot be read records why on its transaction, so
// that View, Update and Commit fail instead of passing for "no rows".
func TestSequencesReportErrors(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	other := NewBlog(t, DefaultRules()) // another schema
	byTitle := OrderChildren(other.Author, "by_title", func(p *Post) *string { return &p.Title })
	if _, err := Open(other.DB.schema); err == nil {
		t.Fatal("the schema opened with a late ordering") // sanity: other is used only for its handles
	}
	g := newEditing(t)
	seqs := map[string]func(tx *Tx) iter.Seq[any]{
		"Table.All":         func(tx *Tx) iter.Seq[any] { return anySeq(b.Users.All(tx)) },
		"Index.List":        func(tx *Tx) iter.Seq[any] { return anySeq(b.Email.List(tx, "ann@x")) },
		"Index.All":         func(tx *Tx) iter.Seq[any] { return anySeq(b.Email.All(tx)) },
		"Relation.Children": func(tx *Tx) iter.Seq[any] { return anySeq(b.Author.Children(tx, 1)) },
		"Descendants":       func(tx *Tx) iter.Seq[any] { return anySeq2(b.Replies.Descendants(tx, 100, 0)) },
		"Ancestors": func(tx *Tx) iter.Seq[any] {
			return anySeq2(b.Replies.Ancestors(tx, Comment{ParentID: NullFrom[int64](101)}, 0))
		},
		"Association.Rights": func(tx *Tx) iter.Seq[any] {
			return anySeq(g.Editing.Rights(tx, 1))
		},
		"Association.Lefts": func(tx *Tx) iter.Seq[any] { return anySeq(g.Editing.Lefts(tx, 1)) },
	}
	for name, seq := range seqs {
		t.Run(name, func(t *testing.T) {
			// A transaction of another store.
			foreign := other
			if strings.HasPrefix(name, "Association") {
				foreign = b
			}
			err := foreign.DB.View(func(tx *Tx) error {
				for range seq(tx) {
					t.Error("yielded a row from another store")
				}
				return nil
			})
			if !errors.Is(err, ErrSchema) {
				t.Errorf("View over another store's sequence: got %v, want ErrSchema", err)
			}
			// A finished transaction.
			tx := MustTx(b.DB.BeginRead())
			if strings.HasPrefix(name, "Association") {
				tx = MustTx(g.DB.BeginRead())
			}
			tx.Abort()
			for range seq(tx) {
				t.Error("yielded a row after the transaction ended")
			}
			if err := tx.Err(); !errors.Is(err, ErrTxDone) {
				t.Errorf("Err after ranging over an ended transaction: %v", err)
			}
		})
	}
	// A bad argument: a recursive walk of a relation that is not
	// self-referential.
	err := b.DB.View(func(tx *Tx) error {
		for range b.Author.Descendants(tx, 1, 0) {
			t.Error("Descendants of a relation between two tables yielded a row")
		}
		return nil
	})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Descendants of posts.author: %v", err)
	}
	// Strict mode and ordering through a late declaration already record
	// (TestStrictMode, TestIndexAndOrderingDeclaredAfterOpen).
	_ = byTitle
}

func anySeq[T any](s iter.Seq[T]) iter.Seq[any] {
	return func(yield func(any) bool) {
		for v := range s {
			if !yield(v) {
				return
			}
		}
	}
}

func anySeq2[T any](s iter.Seq2[T, int]) iter.Seq[any] {
	return func(yield func(any) bool) {
		for v := range s {
			if !yield(v) {
				return
			}
		}
	}
}

// Ending a transaction inside a range over one of its sequences stops the
// sequence, which records ErrTxDone; nothing panics.
func TestRangeAcrossTheEnd(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error { _, err := b.Posts.Insert(tx, Post{ID: 12, UserID: 1}); return err })
	g := newEditing(t)
	seqs := map[string]func(tx *Tx) iter.Seq[any]{
		"Table.All":         func(tx *Tx) iter.Seq[any] { return anySeq(b.Posts.All(tx)) },
		"Index.All":         func(tx *Tx) iter.Seq[any] { return anySeq(b.Email.All(tx)) },
		"Relation.Children": func(tx *Tx) iter.Seq[any] { return anySeq(b.Author.Children(tx, 1)) },
		"Descendants":       func(tx *Tx) iter.Seq[any] { return anySeq2(b.Replies.Descendants(tx, 100, 0)) },
		"Ancestors": func(tx *Tx) iter.Seq[any] {
			return anySeq2(b.Replies.Ancestors(tx, Comment{ParentID: NullFrom[int64](102)}, 0))
		},
		"Association.Rights": func(tx *Tx) iter.Seq[any] { return anySeq(g.Editing.Rights(tx, 1)) },
	}
	for name, seq := range seqs {
		for _, end := range []string{"Abort", "Commit"} {
			for _, write := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/write=%v", name, end, write), func(t *testing.T) {
					db := b.DB
					if strings.HasPrefix(name, "Association") {
						db = g.DB
					}
					tx := MustTx(db.BeginRead())
					if write {
						tx = MustTx(db.BeginWrite())
					}
					defer tx.Abort()
					n := 0
					for range seq(tx) {
						n++
						if end == "Abort" {
							tx.Abort()
						} else if err := tx.Commit(); err != nil {
							t.Fatal(err)
						}
					}
					if n != 1 {
						t.Errorf("%d rows yielded, want 1 before the end", n)
					}
					if err := tx.Err(); !errors.Is(err, ErrTxDone) {
						t.Errorf("Err: %v, want ErrTxDone", err)
					}
				})
			}
		}
	}
}

// Rows a sequence counts after its transaction ended still reach the
// store's counters.
func TestRowsCountedAfterTheEnd(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	tx := MustTx(b.DB.BeginRead())
	for range b.Author.Children(tx, 1) {
		tx.Abort()
	}
	if got := b.DB.LoadStats(b.Author); got.Lazy != 1 || got.Rows != 1 {
		t.Errorf("store's counters: %+v, want 1 lazy load of 1 row", got)
	}
}
