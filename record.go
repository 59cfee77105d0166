package memrel

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// The record layout: what go-memdb stores for a row, how a typed table
// writes it, and the go-memdb indexers that read it.

// rec is what go-memdb stores: the row, and every key of the row encoded
// once, when it was written. Indexers read only these bytes, so nothing a
// caller does to a row it passed in or got back can move an index entry.
//
// All the keys share one buffer, laid out as
//
//	slot 0 key [primary key] slot 1 key [primary key] ... [primary key] offsets
//
// A slot whose go-memdb index is not unique is followed by a copy of the
// primary key, and its index entry is the two together: that is the entry
// go-memdb would build for a non-unique index, so the index is declared
// unique to go-memdb, which then does not allocate the concatenation on
// every insert and delete. The primary key is the copy after the last such
// slot, or is written after the slots when there is none. The offsets close
// the buffer, 2 bytes each (the keys are at most maxKeyLen), little-endian,
// counted from its end: the primary key's start and end, then each slot's
// start and end. A NULL slot is empty: every encoded key has at least one
// byte.
type rec struct {
	row any // the front's row: *T for typed tables
	buf []byte
}

// off returns entry j of the record's offset table (see rec).
func (r *rec) off(j int) int {
	i := len(r.buf) - 2*(j+1)
	return int(binary.LittleEndian.Uint16(r.buf[i : i+2]))
}

// pk returns the record's encoded primary key.
func (r *rec) pk() []byte {
	s, e := r.off(0), r.off(1)
	return r.buf[s:e:e]
}

// key returns the key of index slot, nil for NULL.
func (r *rec) key(slot int) []byte {
	s, e := r.off(2+2*slot), r.off(3+2*slot)
	if s == e {
		return nil
	}
	return r.buf[s:e:e]
}

// entry returns slot's go-memdb index entry: its key, followed by the
// primary key when withPK (the index is not unique). Nil is NULL.
func (r *rec) entry(slot int, withPK bool) []byte {
	s, e := r.off(2+2*slot), r.off(3+2*slot)
	if s == e {
		return nil
	}
	if withPK {
		e += r.off(1) - r.off(0)
	}
	return r.buf[s:e:e]
}

// keysEqual reports whether a and b were stored under the same keys.
func keysEqual(a, b *rec) bool { return bytes.Equal(a.buf, b.buf) }

// box holds a record and its row in one allocation.
type box[T any] struct {
	rec rec
	val T
}

// newRec copies *v into a new record and encodes its keys.
func (t *Table[T, K]) newRec(v *T) (*rec, error) {
	b := &box[T]{val: *v}
	return t.encodeBox(b)
}

// encodeBox encodes the keys of the row in b into b's record.
func (t *Table[T, K]) encodeBox(b *box[T]) (*rec, error) {
	r := &b.rec
	r.row = &b.val
	var key K
	if t.ptr != nil {
		key = *t.ptr(&b.val)
	} else {
		key = t.get(&b.val)
	}
	if t.codec.empty(key) {
		return nil, invalid("%s: empty primary key", t.info.name)
	}
	pkLen := t.codec.encodedLen(key)
	var sizes [8]int
	n := 0     // bytes of keys
	last := -1 // the last slot followed by the primary key
	for i, sk := range t.slots {
		sz := sk.size(&b.val)
		if sz < -1 {
			return nil, t.mixedNulls(i, key)
		}
		if i < len(sizes) {
			sizes[i] = sz
		}
		if sz > 0 {
			n += sz
			if t.info.indexes[i].withPK() {
				n += pkLen
				last = i
			}
		}
	}
	if last < 0 {
		n += pkLen
	}
	if n > maxKeyLen {
		return nil, invalid("%s: keys of %d bytes (at most %d)", t.info.name, n, maxKeyLen)
	}
	buf := make([]byte, 0, n+2*(2+2*len(t.slots)))
	var offs [2 + 2*8]uint16
	var more []uint16 // offsets past the eighth slot
	put := func(j, v int) {
		if j < len(offs) {
			offs[j] = uint16(v)
		} else {
			more = append(more, uint16(v))
		}
	}
	for i, sk := range t.slots {
		sz := 0
		if i < len(sizes) {
			sz = sizes[i]
		} else {
			sz = sk.size(&b.val)
		}
		put(2+2*i, len(buf))
		if sz > 0 {
			buf = sk.append(&b.val, buf)
		}
		put(3+2*i, len(buf))
		if sz > 0 && t.info.indexes[i].withPK() {
			if i == last {
				put(0, len(buf))
			}
			buf = t.codec.append(buf, key)
			if i == last {
				put(1, len(buf))
			}
		}
	}
	if last < 0 {
		put(0, len(buf))
		buf = t.codec.append(buf, key)
		put(1, len(buf))
	}
	all := offs[:min(len(offs), 2+2*len(t.slots))]
	for j := len(all) + len(more) - 1; j >= 0; j-- {
		v := uint16(0)
		if j < len(all) {
			v = all[j]
		} else {
			v = more[j-len(all)]
		}
		buf = binary.LittleEndian.AppendUint16(buf, v)
	}
	r.buf = buf
	return r, nil
}

// mixedNulls is the error for a row whose composite foreign key in slot,
// MATCH FULL, has some columns NULL and others not. The operation's code
// fills in Op.
func (t *Table[T, K]) mixedNulls(slot int, key K) error {
	ix := t.info.indexes[slot]
	return &ConstraintError{Table: t.info.name, Key: t.codec.format(encodeKey(t.codec, key)), Constraint: t.info.name + "." + ix.name,
		Other: "MATCH FULL: its columns are all NULL or none is", Err: ErrForeignKey}
}

// go-memdb indexers. They read the keys a record was stored under and never
// fail: an insert cannot stop half-way through go-memdb's index updates.

type pkIndexer struct{}

func (pkIndexer) FromObject(obj any) (bool, []byte, error) {
	r, ok := obj.(*rec)
	if !ok {
		return false, nil, errNotRecord
	}
	return true, r.pk(), nil
}

func (pkIndexer) FromArgs(args ...any) ([]byte, error) { return bytesArg(args) }

// slotIndexer serves an index slot. For an index that is not unique, the
// entry ends with the primary key (see rec), and go-memdb is told the index
// is unique.
type slotIndexer struct {
	slot   int
	withPK bool
}

func (x slotIndexer) FromObject(obj any) (bool, []byte, error) {
	r, ok := obj.(*rec)
	if !ok {
		return false, nil, errNotRecord
	}
	k := r.entry(x.slot, x.withPK)
	return k != nil, k, nil
}

func (slotIndexer) FromArgs(args ...any) ([]byte, error) { return bytesArg(args) }

var errNotRecord = errors.New("memrel: not a record")

func bytesArg(args []any) ([]byte, error) {
	if len(args) != 1 {
		return nil, errors.New("memrel: one encoded key expected")
	}
	switch b := args[0].(type) {
	case *[]byte:
		return *b, nil
	case []byte:
		return b, nil
	}
	return nil, errors.New("memrel: encoded key expected")
}
