package memrel

import (
	"bytes"
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// An event store keyed by UUID, with times and booleans as keys: a device
// (keyed by UUID) has events, ordered by time; events have a pair index on
// (kind, at) and a unique pair index on (device, seq).
type device struct {
	ID   uuid
	Name string
}

type event struct {
	ID     uuid
	Device uuid
	Kind   string
	At     time.Time
	Seq    int32
	Urgent bool
}

type eventStore struct {
	db       *DB
	devices  *Table[device, uuid]
	events   *Table[event, uuid]
	of       *Relation[event, device, uuid]
	byTime   *Ordering[event, device, uuid]
	at       *Index[event, uuid, time.Time]
	urgent   *Index[event, uuid, bool]
	kindAt   *PairIndex[event, uuid, string, time.Time]
	deviceSq *PairIndex[event, uuid, uuid, int32]
}

func newEventStore(tb testing.TB) *eventStore {
	tb.Helper()
	s := NewSchema()
	e := &eventStore{}
	e.devices = NewTable(s, "devices", func(d *device) *uuid { return &d.ID })
	e.events = NewTable(s, "events", func(e *event) *uuid { return &e.ID })
	e.of = ForeignKey(e.events, "device", func(e *event) *uuid { return &e.Device }, e.devices, OnDelete(Cascade))
	e.byTime = OrderChildren(e.of, "by_time", func(e *event) *time.Time { return &e.At })
	e.at = NewIndex(e.events, "at", func(e *event) *time.Time { return &e.At })
	e.urgent = NewIndex(e.events, "urgent", func(e *event) *bool { return &e.Urgent })
	e.kindAt = NewPairIndex(e.events, "kind_at", func(e *event) *string { return &e.Kind }, func(e *event) *time.Time { return &e.At })
	e.deviceSq = NewUniquePairIndex(e.events, "device_seq", func(e *event) *uuid { return &e.Device }, func(e *event) *int32 { return &e.Seq })
	db, err := Open(s)
	if err != nil {
		tb.Fatal(err)
	}
	e.db = db
	return e
}

func idOf(n int) uuid {
	var u uuid
	u[0], u[15] = byte(n>>8), byte(n)
	return u
}

// TestKeyTypes stores random events and reads them back through every
// index, ordering and page over the new key types, comparing each with a
// slice sorted by the key's meaning (false before true, UUIDs bytewise,
// times by instant whatever their location).
func TestKeyTypes(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	e := newEventStore(t)
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	east := time.FixedZone("east", 3*3600)
	var all []event
	MustUpdate(t, e.db, func(tx *Tx) error {
		for d := range 4 {
			if _, err := e.devices.Insert(tx, device{ID: idOf(1000 + d), Name: "d"}); err != nil {
				return err
			}
		}
		for i := range 120 {
			at := base.Add(time.Duration(rng.IntN(40)) * time.Minute)
			if rng.IntN(2) == 0 {
				at = at.In(east) // the same instant, read elsewhere
			}
			ev := event{ID: idOf(rng.IntN(1 << 16)), Device: idOf(1000 + rng.IntN(4)), Kind: []string{"open", "close"}[rng.IntN(2)], At: at, Seq: int32(i), Urgent: rng.IntN(3) == 0}
			if _, err := e.events.Get(tx, ev.ID); err == nil {
				continue
			}
			if _, err := e.events.Insert(tx, ev); err != nil {
				return err
			}
			all = append(all, ev)
		}
		return nil
	})
	verify(t, e.db)
	ids := func(es []event) []uuid {
		out := make([]uuid, len(es))
		for i, ev := range es {
			out[i] = ev.ID
		}
		return out
	}
	byID := func(a, b event) int { return bytes.Compare(a.ID[:], b.ID[:]) }
	sorted := func(keep func(event) bool, order func(a, b event) int) []event {
		var out []event
		for _, ev := range all {
			if keep == nil || keep(ev) {
				out = append(out, ev)
			}
		}
		slices.SortFunc(out, func(a, b event) int { return cmp.Or(order(a, b), byID(a, b)) })
		return out
	}
	byAt := func(a, b event) int { return a.At.Compare(b.At) }
	check := func(what string, got []event, err error, want []event) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if diff := gocmp.Diff(ids(want), ids(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}
	tx := MustTx(e.db.BeginRead())
	defer tx.Abort()

	got, err := e.events.Page(tx, Page[event]{})
	check("events in UUID order", got, err, sorted(nil, byID))
	got, err = e.at.Page(tx, Page[event]{Backward: true})
	want := sorted(nil, byAt)
	slices.Reverse(want)
	check("events by time, newest first", got, err, want)
	got, err = e.urgent.Page(tx, Page[event]{})
	check("events by urgency", got, err, sorted(nil, func(a, b event) int { return compareBool(a.Urgent, b.Urgent) }))
	got = slices.Collect(e.urgent.List(tx, true))
	check("urgent events", got, tx.Err(), sorted(func(ev event) bool { return ev.Urgent }, byID))

	for range 20 {
		since := base.Add(time.Duration(rng.IntN(44)-2) * time.Minute).In(east)
		got, err = e.at.From(tx, since, Page[event]{})
		check("events since "+since.String(), got, err, sorted(func(ev event) bool { return !ev.At.Before(since) }, byAt))
		got, err = e.at.From(tx, since, Page[event]{Backward: true, Limit: 7})
		want = sorted(func(ev event) bool { return !ev.At.After(since) }, byAt)
		slices.Reverse(want)
		check("7 events up to "+since.String(), got, err, want[:min(7, len(want))])

		kind := []string{"open", "close", "other"}[rng.IntN(3)]
		got, err = e.kindAt.Prefix(tx, kind, Page[event]{Backward: true})
		want = sorted(func(ev event) bool { return ev.Kind == kind }, byAt)
		slices.Reverse(want)
		check(kind+" events, newest first", got, err, want)
		if len(want) > 3 {
			got, err = e.kindAt.Prefix(tx, kind, Page[event]{Backward: true, After: &want[2]})
			check(kind+" events after a cursor", got, err, want[3:])
		}
		d := idOf(1000 + rng.IntN(4))
		got = slices.Collect(e.byTime.Children(tx, d))
		check("a device's events by time", got, tx.Err(), sorted(func(ev event) bool { return ev.Device == d }, byAt))
	}
	if len(all) > 0 {
		ev := all[0]
		got = slices.Collect(e.kindAt.List(tx, Pair[string, time.Time]{ev.Kind, ev.At.In(time.UTC)}))
		check("events of one (kind, at)", got, tx.Err(), sorted(func(x event) bool { return x.Kind == ev.Kind && x.At.Equal(ev.At) }, byID))
		first, err := e.deviceSq.First(tx, Pair[uuid, int32]{ev.Device, ev.Seq})
		if err != nil || first.ID != ev.ID {
			t.Errorf("deviceSq.First = %v, %v; want event %x", first.ID, err, ev.ID)
		}
	}
}

// A unique pair index refuses a second row with the same pair, and only
// that: the same first field with another second is fine. Times are the
// same key when they name the same instant.
func TestUniquePairIndex(t *testing.T) {
	e := newEventStore(t)
	d := idOf(1)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	MustUpdate(t, e.db, func(tx *Tx) error {
		if _, err := e.devices.Insert(tx, device{ID: d}); err != nil {
			return err
		}
		_, err := e.events.Insert(tx, event{ID: idOf(10), Device: d, Seq: 1, At: at})
		return err
	})
	before := dump(t, e.db)
	err := e.db.Update(func(tx *Tx) error {
		_, err := e.events.Insert(tx, event{ID: idOf(11), Device: d, Seq: 1})
		return err
	})
	var ce *ConstraintError
	if !errors.Is(err, ErrUnique) || !errors.As(err, &ce) {
		t.Fatalf("second (device, seq) pair: %v, want ErrUnique", err)
	}
	t.Logf("refused: %v", err)
	if diff := gocmp.Diff(before, dump(t, e.db)); diff != "" {
		t.Errorf("a refused insert changed the store:\n%s", diff)
	}
	MustUpdate(t, e.db, func(tx *Tx) error {
		_, err := e.events.Insert(tx, event{ID: idOf(12), Device: d, Seq: 2})
		return err
	})
	mustView(t, e.db, func(tx *Tx) error {
		n := 0
		for range e.at.List(tx, at.In(time.FixedZone("x", -7*3600))) {
			n++
		}
		if n != 1 {
			t.Errorf("lookup of the same instant in another zone found %d events, want 1", n)
		}
		_, err := e.at.First(tx, at.Add(time.Nanosecond))
		var nf *NotFoundError
		if !errors.As(err, &nf) || nf.Key != "2026-01-02T03:04:05.000000007Z" {
			t.Errorf("First of a missing time: %v (key %q)", err, nf.Key)
		}
		_, err = e.devices.Get(tx, idOf(2))
		if !errors.As(err, &nf) || nf.Key != "00000000-0000-0000-0000-000000000002" {
			t.Errorf("Get of a missing UUID: %v", err)
		}
		return nil
	})
	verify(t, e.db)
}
