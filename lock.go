package memrel

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The writer lock. go-memdb has one of its own, which waits forever: a
// write transaction begun while the same goroutine holds one (an Update
// inside an Update) would hang the test that did it until go test's
// timeout, silently. memrel takes its own lock first, so go-memdb's is
// never contended, and waits for it at most the store's WriteWait; then
// BeginWrite fails with ErrBusy and names where the holder began.

// DefaultWriteWait is how long BeginWrite and Update wait for the writer
// lock unless Open is given WriteWait.
const DefaultWriteWait = 10 * time.Second

type writerLock struct {
	sem    chan struct{}      // holds one token while a writer runs
	holder atomic.Pointer[Tx] // the writer that holds it, for ErrBusy
	wait   time.Duration
}

func newWriterLock(wait time.Duration) *writerLock {
	return &writerLock{sem: make(chan struct{}, 1), wait: wait}
}

// lock takes the writer lock for tx, waiting at most l.wait (for ever if
// it is negative).
func (l *writerLock) lock(tx *Tx) error {
	select {
	case l.sem <- struct{}{}:
		l.holder.Store(tx)
		return nil
	default:
	}
	if l.wait < 0 {
		l.sem <- struct{}{}
		l.holder.Store(tx)
		return nil
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.sem <- struct{}{}:
		l.holder.Store(tx)
		return nil
	case <-t.C:
	}
	msg := "another write transaction holds it"
	if h := l.holder.Load(); h != nil {
		msg = "held by the write transaction begun at " + callSite(h.begun[:])
	}
	return fmt.Errorf("%w: write transaction begun at %s waited %v for the writer lock, %s (a write transaction begun while the same goroutine holds one can never start)",
		ErrBusy, callSite(tx.begun[:]), l.wait, msg)
}

func (l *writerLock) unlock(tx *Tx) {
	l.holder.CompareAndSwap(tx, nil)
	<-l.sem
}

// callSite formats the first of pcs as "file:line (function)".
func callSite(pcs []uintptr) string {
	n := 0
	for n < len(pcs) && pcs[n] != 0 {
		n++
	}
	if n == 0 {
		return "an unknown place"
	}
	f, _ := runtime.CallersFrames(pcs[:n]).Next()
	fn := f.Function
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		fn = fn[i+1:]
	}
	return fmt.Sprintf("%s:%d (%s)", f.File, f.Line, fn)
}

// lock locks tx for a call, unless the calling goroutine is running a
// function memrel called with tx locked (UpdateWhere's set): then it returns
// false without locking, since the goroutine holds the lock in effect, and
// the caller must neither unlock it nor start an operation. Waiting would
// never end.
func (tx *Tx) lock() bool {
	if tx.mu.TryLock() {
		return true
	}
	if g := tx.inside.Load(); g != 0 && g == goid() {
		return false
	}
	tx.mu.Lock()
	return true
}

// unlock undoes a lock that returned locked.
func (tx *Tx) unlock(locked bool) {
	if locked {
		tx.mu.Unlock()
	}
}

// errInCallback is what a call on a transaction gets from a function that
// memrel runs with the transaction locked.
func errInCallback() error {
	return invalid("the transaction was used from UpdateWhere's set function, which runs inside the statement and must not use it")
}

// goid returns the calling goroutine's id, read from its stack header
// ("goroutine 7 [running]:"). It costs about a microsecond, and runs only
// when a transaction's lock is taken: to tell a goroutine that holds it
// from one that waits for it.
func goid() int64 {
	var buf [32]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseInt(string(b), 10, 64)
	return n
}
