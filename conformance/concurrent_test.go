package conformance

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

var (
	cseedFlag = flag.Uint64("cseed", 0, "seed for TestConcurrentDifferential (0: from the clock)")
	ctxsFlag  = flag.Int("ctxs", 60, "transactions each writer of TestConcurrentDifferential runs per round")
)

const (
	concurrentRounds  = 6 // each with a random config of its own; 3 under the race detector
	concurrentWriters = 4
	concurrentViewers = 2 // readers through View; one more reads snapshots
)

// logged is one write transaction of the concurrent run, as memrel played
// it: its operations, each one's outcome, and the commit's ("" after an
// abort).
type logged struct {
	writer, n int // the goroutine, and the transaction's number in its sequence
	tx        txn
	outcomes  []string
	commit    string
}

func (l *logged) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "writer %d tx %d (defer all %v, abort %v):", l.writer, l.n, l.tx.DeferAll, l.tx.Abort)
	for i, o := range l.tx.Ops {
		fmt.Fprintf(&b, " [%v: %s]", o, l.outcomes[i])
	}
	if !l.tx.Abort {
		fmt.Fprintf(&b, " commit: %s", l.commit)
	}
	return b.String()
}

// TestConcurrentDifferential runs random write transactions from several
// goroutines at once on one memrel store, with readers (View) and
// snapshots beside them, then replays the transactions serially, in the
// order they took effect, on SQLite and on a fresh memrel store. Every
// operation's outcome and every commit's must be what the concurrent run
// reported, and all three must end with the same rows.
//
// The order is known because writers are serialised: a write transaction
// holds the store's writer lock from BeginWrite until Commit or Abort
// returns, so each one appends itself to the log just before it ends,
// while it still holds the lock. A writer that waited for the lock must
// see every transaction that committed before it got it: this is what
// catches a transaction checking keys and references against a store
// older than the one it writes to.
//
// Readers check that what they see passes Verify, is a state the serial
// replay passes through, and comes in commit order; snapshots, that their
// rows do not change afterwards, and that writing to one leaves the store
// alone. Every write transaction Verifies after each operation and after
// its commit.
//
// Each round draws a config of relations (randomConfig) and gives every
// writer its own generator, seeded from the test's seed, so the
// transactions each writer plays are reproducible with -cseed (and one
// round's with -run TestConcurrentDifferential/roundN); the interleaving
// of the goroutines, and so the commit order, is not. A failure logs the
// log around the first difference; where memrel played the log serially
// as it did concurrently and only SQLite differs, it also logs the log
// as a serial case, shrunk. Under the race detector it runs half the
// rounds.
func TestConcurrentDifferential(t *testing.T) {
	s := *cseedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -run TestConcurrentDifferential -cseed %d)", s, s)
	rounds := concurrentRounds
	if raceEnabled() {
		rounds /= 2 // the race detector slows the replay on SQLite most
	}
	for round := range rounds {
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			concurrentRound(t, s, round, *ctxsFlag)
		})
	}
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// stateKey is a store's rows as a string, for comparing many states.
func stateKey(rows map[string][][]any) string { return fmt.Sprint(rows) }

func concurrentRound(t *testing.T, s uint64, round, txs int) {
	stream := func(i int) *rand.Rand { return rand.New(rand.NewPCG(s, uint64(round)<<8|uint64(i))) }
	cfg := randomConfig(stream(0))
	store, err := newMem(t, cfg)
	if err != nil {
		t.Fatalf("seed %d round %d: memrel Open: %v", s, round, err)
	}
	defer store.close()
	t.Logf("seed %d round %d: config %+v", s, round, cfg)
	fail := func(format string, args ...any) {
		t.Errorf("seed %d round %d: %s", s, round, fmt.Sprintf(format, args...))
	}
	// recovered reports a goroutine's panic, after ending its transaction
	// so that the other writers go on.
	recovered := func(who string, e *memEngine) {
		if p := recover(); p != nil {
			if e != nil && e.tx != nil {
				e.tx.Abort()
			}
			fail("%s: panic: %v\n%s", who, p, debug.Stack())
		}
	}
	// failures reports the first of a goroutine's Verify failures.
	failures := func(who string, problems []string) {
		for i, p := range problems {
			if i == 3 {
				fail("%s: %d more", who, len(problems)-i)
				break
			}
			fail("%s: %s", who, p)
		}
	}

	var (
		mu       sync.Mutex
		log      []*logged // in commit order
		writers  sync.WaitGroup
		readers  sync.WaitGroup
		done     atomic.Bool
		observed = make([][]string, concurrentViewers+1) // by reader: the states it saw, in order, without repeats
	)
	for w := range concurrentWriters {
		writers.Add(1)
		go func() {
			defer writers.Done()
			rng := stream(1 + w)
			e := *store // the store's tables, with a transaction of its own
			e.tx, e.problems = nil, nil
			defer recovered(fmt.Sprintf("writer %d", w), &e)
			for n := range txs {
				tx := randomTxn(rng, cfg)
				l := &logged{writer: w, n: n, tx: tx}
				if err := e.begin(tx.DeferAll); err != nil {
					e.abort()
					fail("writer %d: begin: %v", w, err)
					return
				}
				for _, o := range tx.Ops {
					l.outcomes = append(l.outcomes, e.do(o))
				}
				// Still holding the writer lock: no other transaction can
				// take effect between this append and the end below.
				mu.Lock()
				log = append(log, l)
				mu.Unlock()
				if tx.Abort {
					e.abort()
				} else {
					l.commit = e.commit() // then Verifies the store
				}
			}
			e.tx = nil
			failures(fmt.Sprintf("writer %d", w), e.problems)
		}()
	}
	// see records a reader's view of the store; it fails unless the view
	// passes Verify.
	see := func(r int, db *memrel.DB) (string, bool) {
		var rows map[string][][]any
		if err := db.View(func(tx *memrel.Tx) error { rows = store.rowsOf(tx); return tx.Verify() }); err != nil {
			fail("reader %d: %v", r, err)
			return "", false
		}
		k := stateKey(rows)
		if seen := observed[r]; len(seen) == 0 || seen[len(seen)-1] != k {
			observed[r] = append(seen, k)
		}
		return k, true
	}
	for r := range concurrentViewers {
		readers.Add(1)
		go func() {
			defer readers.Done()
			defer recovered(fmt.Sprintf("reader %d", r), nil)
			for first := true; first || !done.Load(); first = false {
				if _, ok := see(r, store.db); !ok {
					return
				}
			}
		}()
	}
	readers.Add(1)
	go func() {
		defer readers.Done()
		r := concurrentViewers
		rng := stream(100)
		var e memEngine // the snapshot writer's
		defer recovered("snapshot reader", &e)
		type snapshot struct {
			db  *memrel.DB
			key string
		}
		var kept []snapshot // at most 32, oldest first
		unchanged := func(sn snapshot) bool {
			var rows map[string][][]any
			_ = sn.db.View(func(tx *memrel.Tx) error { rows = store.rowsOf(tx); return nil })
			if k := stateKey(rows); k != sn.key {
				fail("a snapshot changed after it was taken: it had\n%s\nand now has\n%s", sn.key, k)
				return false
			}
			return true
		}
		for i, first := 0, true; first || !done.Load(); i, first = i+1, false {
			db := store.db.Fork()
			k, ok := see(r, db)
			if !ok {
				return
			}
			if i%4 != 3 {
				if len(kept) == 32 {
					kept = kept[1:]
				}
				kept = append(kept, snapshot{db, k})
				if !unchanged(kept[0]) {
					return
				}
				continue
			}
			// Write to this one: the store must not change (the final
			// comparison would show it), and the snapshot stays sound.
			e = *store
			e.db, e.tx, e.problems = db, nil, nil
			tx := randomTxn(rng, cfg)
			if err := e.begin(tx.DeferAll); err != nil {
				e.abort()
				fail("snapshot writer: begin: %v", err)
				return
			}
			for _, o := range tx.Ops {
				e.do(o)
			}
			if tx.Abort {
				e.abort()
			} else {
				e.commit()
			}
			e.tx = nil
			if len(e.problems) > 0 {
				failures("snapshot writer", e.problems)
				return
			}
		}
		for _, sn := range kept {
			if !unchanged(sn) {
				return
			}
		}
	}()
	writers.Wait()
	done.Store(true)
	readers.Wait()
	if err := store.db.Verify(); err != nil {
		fail("the store after the run: Verify: %v", err)
	}

	// The serial replay, in commit order.
	lite := newSQLite(t, cfg)
	defer lite.close()
	serial, err := newMem(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer serial.close()
	states := []string{stateKey(serial.rows())} // after each transaction of the log
	// serialCase logs the first n transactions of the log as a serial
	// case, shrunk, when memrel played them as it did concurrently and
	// SQLite differs: a difference of the kind TestRandom looks for.
	serialCase := func(n int) {
		c := tcase{cfg: cfg}
		for _, l := range log[:n] {
			c.txs = append(c.txs, l.tx)
		}
		small := shrink(c, func(c tcase) bool { return len(play(t, c)) > 0 })
		t.Logf("serially, memrel and SQLite differ on the log's first %d transactions; shrunk to %d:", n, len(small.txs))
		for _, p := range play(t, small) {
			t.Log(p)
		}
		logCase(t, small)
	}
	showLog := func(i int) {
		t.Logf("the log up to transaction %d of %d:", i, len(log))
		for j := max(0, i-8); j <= i; j++ {
			t.Logf("%d: %v", j, log[j])
		}
	}
	for i, l := range log {
		if err := lite.begin(l.tx.DeferAll); err != nil {
			t.Fatal(err)
		}
		if err := serial.begin(l.tx.DeferAll); err != nil {
			t.Fatal(err)
		}
		differs, concurrency := false, false
		for j, o := range l.tx.Ops {
			lo, so := lite.do(o), serial.do(o)
			if lo != l.outcomes[j] || so != l.outcomes[j] {
				fail("tx %d: %v: concurrent memrel says %s, serial memrel %s, SQLite %s", i, o, l.outcomes[j], so, lo)
				differs, concurrency = true, concurrency || so != l.outcomes[j]
			}
		}
		if l.tx.Abort {
			lite.abort()
			serial.abort()
		} else if lc, sc := lite.commit(), serial.commit(); lc != l.commit || sc != l.commit {
			fail("tx %d: commit: concurrent memrel says %s, serial memrel %s, SQLite %s", i, l.commit, sc, lc)
			differs, concurrency = true, concurrency || sc != l.commit
		}
		if differs {
			showLog(i)
			if !concurrency {
				serialCase(i + 1)
			}
			return
		}
		states = append(states, stateKey(serial.rows()))
	}
	failures("serial memrel", serial.problems)
	final, serialRows, liteRows := store.rows(), serial.rows(), lite.rows()
	if diff := cmp.Diff(serialRows, final); diff != "" {
		fail("final rows differ (-serial memrel +concurrent memrel):\n%s", diff)
	}
	if diff := cmp.Diff(liteRows, final); diff != "" {
		fail("final rows differ (-SQLite +concurrent memrel):\n%s", diff)
		if cmp.Equal(serialRows, final) {
			serialCase(len(log))
		}
	}

	// Every state a reader saw is one the replay passed through, and each
	// reader saw them in commit order.
	at := map[string][]int{}
	for i, k := range states {
		at[k] = append(at[k], i)
	}
	for r, seen := range observed {
		pos := 0
		for _, k := range seen {
			i, _ := slices.BinarySearch(at[k], pos)
			if i == len(at[k]) {
				fail("reader %d saw, after state %d of %d, a state the commit order does not reach from there:\n%s", r, pos, len(states)-1, k)
				break
			}
			pos = at[k][i]
		}
	}
	if t.Failed() {
		return
	}
	commits := 0
	for _, l := range log {
		if l.commit == ok {
			commits++
		}
	}
	saw := make([]int, len(observed))
	for r, seen := range observed {
		saw[r] = len(seen)
	}
	t.Logf("%d transactions, %d committed; readers saw %v states", len(log), commits, saw)
}
