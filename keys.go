package memrel

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"strconv"
	"time"
	"unsafe"
)

// Key is the set of types a primary key, a foreign key or an indexed field
// may have: the integer types, strings, booleans, 16-byte arrays (UUIDs),
// named types whose underlying type is one of those (type UserID int64,
// type UUID [16]byte), and time.Time.
//
// Keys sort as their values do: integers numerically, strings and UUIDs
// bytewise, false before true, times by instant. A time.Time key is stored
// as its instant to the nanosecond: two times that name the same instant in
// different locations are the same key (like PostgreSQL's timestamptz), and
// a time read back from a key (in an error message) is in UTC.
//
// A zero value is a key like any other (a zero UUID, false, the zero
// time), with two exceptions: an integer primary key of 0 asks for the
// table's next sequence number on insert, and an empty string is refused.
type Key interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~string | ~bool | ~[16]byte | time.Time
}

// Null is a foreign key or indexed value that may be NULL, in the manner of
// database/sql's Null[T]. A Null with Valid false is never checked against its
// parent table, never indexed, and never touched by a cascade.
type Null[K Key] struct {
	V     K
	Valid bool
}

// NullFrom returns the Null holding k, Valid (as guregu/null's IntFrom
// does). K is inferred from k, so give an untyped constant its type:
// NullFrom(int64(7)), or NullFrom[int64](7).
func NullFrom[K Key](k K) Null[K] { return Null[K]{V: k, Valid: true} }

// String formats n as its value, or as NULL.
func (n Null[K]) String() string {
	if !n.Valid {
		return "NULL"
	}
	return fmt.Sprint(n.V)
}

// keyKind says how a Key type is laid out in memory; it is worked out once,
// when a table, index or relation is declared, so that encoding a key needs
// no reflection.
type keyKind uint8

const (
	kindInt keyKind = iota + 1
	kindUint
	kindString
	kindBool
	kindUUID // [16]byte
	kindTime
)

// codec encodes keys of type K into bytes whose order (bytes.Compare) is the
// order of the keys and in which no encoded key is a prefix of another:
//
//   - signed integers: 8 bytes, big-endian, sign bit flipped;
//   - unsigned integers: 8 bytes, big-endian;
//   - strings: the bytes with 0x00 written as 0x00 0xFF, then 0x00 0x01;
//   - booleans: one byte, 0 or 1;
//   - [16]byte: the 16 bytes;
//   - time.Time: 12 bytes, the Unix seconds as a signed integer above, then
//     the nanoseconds, big-endian.
//
// Prefix-freedom matters because go-memdb looks values up by prefix seek, and
// because a non-unique index entry is the value followed by the primary key:
// a seek on an encoded foreign key finds exactly that parent's children.
type codec[K Key] struct {
	kind keyKind
	size uintptr
	typ  string
}

func newCodec[K Key]() codec[K] {
	t := reflect.TypeFor[K]()
	c := codec[K]{size: t.Size(), typ: t.String()}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.kind = kindInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.kind = kindUint
	case reflect.Bool:
		c.kind = kindBool
	case reflect.Array:
		c.kind = kindUUID
	case reflect.Struct:
		c.kind = kindTime
	default:
		c.kind = kindString
	}
	return c
}

// isInt reports whether K is an integer type (and so may auto-increment).
func (c codec[K]) isInt() bool { return c.kind == kindInt || c.kind == kindUint }

// fixedLen is the length of every encoding of a K, or 0 for strings.
func (c codec[K]) fixedLen() int {
	switch c.kind {
	case kindString:
		return 0
	case kindBool:
		return 1
	case kindUUID:
		return 16
	case kindTime:
		return 12
	}
	return 8
}

// int64Of returns an integer key as an int64 (bits reinterpreted for unsigned
// types).
func (c codec[K]) int64Of(k *K) int64 {
	p := unsafe.Pointer(k)
	if c.kind == kindInt {
		switch c.size {
		case 1:
			return int64(*(*int8)(p))
		case 2:
			return int64(*(*int16)(p))
		case 4:
			return int64(*(*int32)(p))
		}
		return *(*int64)(p)
	}
	switch c.size {
	case 1:
		return int64(*(*uint8)(p))
	case 2:
		return int64(*(*uint16)(p))
	case 4:
		return int64(*(*uint32)(p))
	}
	return int64(*(*uint64)(p))
}

// setInt64 stores v into an integer key. The caller checks the range with
// maxInt.
func (c codec[K]) setInt64(k *K, v int64) {
	p := unsafe.Pointer(k)
	switch c.size {
	case 1:
		*(*uint8)(p) = uint8(v)
	case 2:
		*(*uint16)(p) = uint16(v)
	case 4:
		*(*uint32)(p) = uint32(v)
	default:
		*(*uint64)(p) = uint64(v)
	}
}

// maxInt is the largest value an auto-incremented key of type K can hold.
func (c codec[K]) maxInt() int64 {
	bits := 8 * c.size
	if c.kind == kindInt || bits == 64 {
		bits--
	}
	return int64(uint64(1)<<bits - 1)
}

// encodedLen is the length of k's encoding.
func (c codec[K]) encodedLen(k K) int {
	if n := c.fixedLen(); n != 0 {
		return n
	}
	s := *(*string)(unsafe.Pointer(&k))
	n := len(s) + 2
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			n++
		}
	}
	return n
}

// append appends the encoding of k to dst.
func (c codec[K]) append(dst []byte, k K) []byte {
	switch c.kind {
	case kindInt:
		return binary.BigEndian.AppendUint64(dst, uint64(c.int64Of(&k))^(1<<63))
	case kindUint:
		return binary.BigEndian.AppendUint64(dst, uint64(c.int64Of(&k)))
	case kindBool:
		if *(*bool)(unsafe.Pointer(&k)) {
			return append(dst, 1)
		}
		return append(dst, 0)
	case kindUUID:
		return append(dst, (*[16]byte)(unsafe.Pointer(&k))[:]...)
	case kindTime:
		t := (*time.Time)(unsafe.Pointer(&k))
		dst = binary.BigEndian.AppendUint64(dst, uint64(t.Unix())^(1<<63))
		return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
	}
	s := *(*string)(unsafe.Pointer(&k))
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			dst = append(dst, 0, 0xFF)
		} else {
			dst = append(dst, s[i])
		}
	}
	return append(dst, 0, 1)
}

// decode is the inverse of append. It reports false for bytes that are not an
// encoding of a K.
func (c codec[K]) decode(b []byte) (K, bool) {
	var k K
	switch c.kind {
	case kindBool:
		if len(b) != 1 || b[0] > 1 {
			return k, false
		}
		*(*bool)(unsafe.Pointer(&k)) = b[0] == 1
		return k, true
	case kindUUID:
		if len(b) != 16 {
			return k, false
		}
		copy((*[16]byte)(unsafe.Pointer(&k))[:], b)
		return k, true
	case kindTime:
		if len(b) != 12 {
			return k, false
		}
		ns := binary.BigEndian.Uint32(b[8:])
		if ns >= 1e9 {
			return k, false
		}
		*(*time.Time)(unsafe.Pointer(&k)) = time.Unix(int64(binary.BigEndian.Uint64(b)^(1<<63)), int64(ns)).UTC()
		return k, true
	}
	if c.kind != kindString {
		if len(b) != 8 {
			return k, false
		}
		u := binary.BigEndian.Uint64(b)
		if c.kind == kindInt {
			u ^= 1 << 63
		}
		v := int64(u)
		if c.kind == kindInt && c.size < 8 && (v > c.maxInt() || v < -c.maxInt()-1) {
			return k, false
		}
		if c.kind == kindUint && c.size < 8 && uint64(v) > uint64(c.maxInt()) {
			return k, false
		}
		c.setInt64(&k, v)
		return k, true
	}
	if len(b) < 2 || b[len(b)-2] != 0 || b[len(b)-1] != 1 {
		return k, false
	}
	out := make([]byte, 0, len(b)-2)
	for i := 0; i < len(b)-2; i++ {
		c := b[i]
		if c == 0 {
			if i+1 >= len(b)-2 || b[i+1] != 0xFF {
				return k, false
			}
			i++ // 0x00 0xFF is an escaped 0x00
		}
		out = append(out, c)
	}
	*(*string)(unsafe.Pointer(&k)) = string(out)
	return k, true
}

// format renders an encoded key for error messages: integers in decimal,
// strings quoted.
func (c codec[K]) format(b []byte) string {
	if b == nil {
		return "NULL"
	}
	k, ok := c.decode(b)
	if !ok {
		return fmt.Sprintf("%x", b)
	}
	switch c.kind {
	case kindString:
		return strconv.Quote(*(*string)(unsafe.Pointer(&k)))
	case kindBool:
		return strconv.FormatBool(*(*bool)(unsafe.Pointer(&k)))
	case kindUUID:
		u := (*[16]byte)(unsafe.Pointer(&k))
		return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	case kindTime:
		return (*time.Time)(unsafe.Pointer(&k)).Format(time.RFC3339Nano)
	case kindUint:
		return strconv.FormatUint(uint64(c.int64Of(&k)), 10)
	}
	return strconv.FormatInt(c.int64Of(&k), 10)
}

// empty reports whether k is an empty string, which no key may be.
func (c codec[K]) empty(k K) bool { return c.kind == kindString && isZero(k) }

// split returns the length of the encoded key at the start of b.
func (c codec[K]) split(b []byte) (int, bool) {
	if n := c.fixedLen(); n != 0 {
		return n, len(b) >= n
	}
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0 {
			if b[i+1] == 1 {
				return i + 2, true
			}
			i++ // 0x00 0xFF, an escaped 0x00
		}
	}
	return 0, false
}

// keyCodec is a key's encoding: a scalar key's codec, or a pair's. Keys are
// passed by value, so that no call through the interface (a table holds its
// primary key's codec as one) moves a key to the heap.
type keyCodec[K any] interface {
	encodedLen(k K) int
	append(dst []byte, k K) []byte
	decode(b []byte) (K, bool)
	format(b []byte) string
	empty(k K) bool
}

// encodeKey returns the encoding of k in a slice of its own whose capacity
// is its length, so that go-memdb's append of the primary key cannot write
// into it. It is the one encode path: every key a lookup, a write or a log
// holds is made here or by scratchKey. C is a type parameter, not the
// interface, so that a concrete codec is not boxed to call it.
func encodeKey[K any, C keyCodec[K]](c C, k K) []byte {
	n := c.encodedLen(k)
	return c.append(make([]byte, 0, n), k)[:n:n]
}

// scratchKey encodes k into the transaction's scratch buffer, for a lookup
// that is done with it before the next one starts.
func scratchKey[K any, C keyCodec[K]](tx *Tx, c C, k K) []byte {
	tx.scratch = c.append(tx.scratch[:0], k)
	return tx.scratch
}

// Pair is the primary key of a table keyed by two fields (NewPairTable),
// such as an association table keyed by (post, tag). It is encoded as A's
// encoding followed by B's, so rows are ordered by A, then B, and a seek on
// A alone finds every row with that A.
type Pair[A, B Key] struct {
	A A
	B B
}

type pairCodec[A, B Key] struct {
	a codec[A]
	b codec[B]
}

func (p pairCodec[A, B]) encodedLen(k Pair[A, B]) int {
	return p.a.encodedLen(k.A) + p.b.encodedLen(k.B)
}

func (p pairCodec[A, B]) append(dst []byte, k Pair[A, B]) []byte {
	return p.b.append(p.a.append(dst, k.A), k.B)
}

func (p pairCodec[A, B]) decode(b []byte) (Pair[A, B], bool) {
	n, ok := p.a.split(b)
	if !ok {
		return Pair[A, B]{}, false
	}
	a, okA := p.a.decode(b[:n])
	bb, okB := p.b.decode(b[n:])
	return Pair[A, B]{a, bb}, okA && okB
}

func (p pairCodec[A, B]) format(b []byte) string {
	n, ok := p.a.split(b)
	if !ok {
		return fmt.Sprintf("%x", b)
	}
	return "(" + p.a.format(b[:n]) + ", " + p.b.format(b[n:]) + ")"
}

func (p pairCodec[A, B]) empty(k Pair[A, B]) bool { return p.a.empty(k.A) || p.b.empty(k.B) }

// isZero reports whether k is the zero value of K.
func isZero[K Key](k K) bool {
	var zero K
	return k == zero
}

// maxKeyLen bounds the encoded keys of a row, all of them together: a
// record addresses them with 16-bit offsets (see rec). It is far beyond any
// sensible identifier; PostgreSQL refuses B-tree index entries above about
// 2.7 kB.
const maxKeyLen = 1<<16 - 1
