package memrel

import (
	"errors"
	"testing"
)

// A Where function may use the transaction (no deadlock), and may even end
// it: the load then fails with ErrTxDone, and nothing panics.
func TestWhereUsesTheTransaction(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	for _, write := range []bool{false, true} {
		tx := MustTx(b.DB.BeginRead())
		if write {
			tx = MustTx(b.DB.BeginWrite())
		}
		commented := Many(b.Author).Where(func(p Post) bool {
			n, err := b.OnPost.Count(tx, p.ID)
			return err == nil && n > 0
		})
		users, res, err := EagerAll(tx, b.Users, commented)
		if err != nil {
			t.Fatal(err)
		}
		if got := ZipLoaded(users, BindOf(res, commented.Of)); len(got) != 2 || len(got[0].Loaded) != 1 || got[0].Loaded[0].ID != 10 || len(got[1].Loaded) != 0 {
			t.Errorf("write=%v: posts with comments: %+v", write, got)
		}
		ending := Many(b.Author).Where(func(Post) bool { tx.Abort(); return true })
		if _, _, err := EagerAll(tx, b.Users, ending.With(Many(b.OnPost))); !errors.Is(err, ErrTxDone) {
			t.Errorf("write=%v: a load whose Where ended the transaction: %v", write, err)
		}
		if _, err := Eager(tx, []User{{ID: 1}}, ending); !errors.Is(err, ErrTxDone) {
			t.Errorf("write=%v: Eager on the ended transaction: %v", write, err)
		}
	}
	verify(t, b.DB)
}
