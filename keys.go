package memrel

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"strconv"
	"strings"
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
// table's next sequence number on insert (InsertWithKey stores it), and an
// empty string primary key (or a string field of a composite one) is
// refused. An empty string is a value like any other in an index or a
// foreign key, as in SQL.
type Key interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~string | ~bool | ~[16]byte | time.Time
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
	kindComposite // a struct of key fields (NewCompositeTable, Columns)
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
//
// A composite key (a struct of key fields) is its fields' encodings, one
// after the other, in the order the struct declares them: since each is
// prefix-free, so is the whole, and a seek on the leading fields' encodings
// finds exactly the keys that begin with them.
type codec[K comparable] struct {
	kind  keyKind
	size  uintptr
	typ   string
	parts []part // a composite key's fields, in order
	err   error  // K is not a key type (composite keys are checked at run time)
}

// part is one field of a composite key: where it is and how it is laid out.
type part struct {
	off  uintptr
	kind keyKind
	size uintptr
	name string
}

var timeType = reflect.TypeFor[time.Time]()

// kindOf returns how a scalar key type is laid out, or 0 if t is none.
func kindOf(t reflect.Type) keyKind {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kindInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return kindUint
	case reflect.Bool:
		return kindBool
	case reflect.String:
		return kindString
	case reflect.Array:
		if t.Len() == 16 && t.Elem().Kind() == reflect.Uint8 {
			return kindUUID
		}
	case reflect.Struct:
		if t == timeType {
			return kindTime
		}
	}
	return 0
}

func newCodec[K comparable]() codec[K] {
	t := reflect.TypeFor[K]()
	c := codec[K]{size: t.Size(), typ: t.String(), kind: kindOf(t)}
	if c.kind != 0 {
		return c
	}
	if t.Kind() != reflect.Struct {
		c.kind, c.err = kindString, fmt.Errorf("%s is not a key type (an integer, string, bool, [16]byte, time.Time, or a struct of those)", t)
		return c
	}
	c.kind = kindComposite
	for i := range t.NumField() {
		f := t.Field(i)
		k := kindOf(f.Type)
		if k == 0 {
			c.err = fmt.Errorf("field %s of composite key %s has type %s, which is not a key type (an integer, string, bool, [16]byte or time.Time; a NULL column is a Null field of the row, see NullCol)", f.Name, t, f.Type)
			return c
		}
		c.parts = append(c.parts, part{off: f.Offset, kind: k, size: f.Type.Size(), name: f.Name})
	}
	if len(c.parts) == 0 {
		c.err = fmt.Errorf("composite key %s has no fields", t)
	}
	return c
}

// isInt reports whether K is an integer type (and so may auto-increment).
func (c codec[K]) isInt() bool { return c.kind == kindInt || c.kind == kindUint }

// scalar is a scalar key's layout; its methods read and write a key of
// that layout at p. A codec is one scalar, or a composite key's parts.
type scalar struct {
	kind keyKind
	size uintptr
}

func (c codec[K]) scalar() scalar { return scalar{c.kind, c.size} }

func (p part) scalar() scalar { return scalar{p.kind, p.size} }

// fixedLen is the length of every encoding of a K, or 0 for strings and
// composite keys with a string field.
func (c codec[K]) fixedLen() int {
	if c.kind != kindComposite {
		return c.scalar().fixedLen()
	}
	n := 0
	for _, p := range c.parts {
		m := p.scalar().fixedLen()
		if m == 0 {
			return 0
		}
		n += m
	}
	return n
}

func (s scalar) fixedLen() int {
	switch s.kind {
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
func (c codec[K]) int64Of(k *K) int64 { return c.scalar().int64At(unsafe.Pointer(k)) }

func (s scalar) int64At(p unsafe.Pointer) int64 {
	if s.kind == kindInt {
		switch s.size {
		case 1:
			return int64(*(*int8)(p))
		case 2:
			return int64(*(*int16)(p))
		case 4:
			return int64(*(*int32)(p))
		}
		return *(*int64)(p)
	}
	switch s.size {
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
func (c codec[K]) setInt64(k *K, v int64) { c.scalar().setInt64At(unsafe.Pointer(k), v) }

func (s scalar) setInt64At(p unsafe.Pointer, v int64) {
	switch s.size {
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
func (c codec[K]) maxInt() int64 { return c.scalar().maxInt() }

func (s scalar) maxInt() int64 {
	bits := 8 * s.size
	if s.kind == kindInt || bits == 64 {
		bits--
	}
	return int64(uint64(1)<<bits - 1)
}

// encodedLen is the length of k's encoding.
func (c codec[K]) encodedLen(k K) int {
	if c.kind == kindComposite {
		n := 0
		for _, p := range c.parts {
			n += p.scalar().lenAt(unsafe.Add(unsafe.Pointer(&k), p.off))
		}
		return n
	}
	if n := c.scalar().fixedLen(); n != 0 {
		return n
	}
	return stringLen(*(*string)(unsafe.Pointer(&k)))
}

func (s scalar) lenAt(p unsafe.Pointer) int {
	if n := s.fixedLen(); n != 0 {
		return n
	}
	return stringLen(*(*string)(p))
}

func stringLen(s string) int {
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
	if c.kind == kindComposite {
		for _, p := range c.parts {
			dst = p.scalar().appendAt(dst, unsafe.Add(unsafe.Pointer(&k), p.off))
		}
		return dst
	}
	return c.scalar().appendAt(dst, unsafe.Pointer(&k))
}

func (s scalar) appendAt(dst []byte, p unsafe.Pointer) []byte {
	switch s.kind {
	case kindInt:
		return binary.BigEndian.AppendUint64(dst, uint64(s.int64At(p))^(1<<63))
	case kindUint:
		return binary.BigEndian.AppendUint64(dst, uint64(s.int64At(p)))
	case kindBool:
		if *(*bool)(p) {
			return append(dst, 1)
		}
		return append(dst, 0)
	case kindUUID:
		return append(dst, (*[16]byte)(p)[:]...)
	case kindTime:
		t := (*time.Time)(p)
		dst = binary.BigEndian.AppendUint64(dst, uint64(t.Unix())^(1<<63))
		return binary.BigEndian.AppendUint32(dst, uint32(t.Nanosecond()))
	}
	str := *(*string)(p)
	for i := 0; i < len(str); i++ {
		if str[i] == 0 {
			dst = append(dst, 0, 0xFF)
		} else {
			dst = append(dst, str[i])
		}
	}
	return append(dst, 0, 1)
}

// decode is the inverse of append. It reports false for bytes that are not an
// encoding of a K.
func (c codec[K]) decode(b []byte) (K, bool) {
	var k K
	if c.kind != kindComposite {
		return k, c.scalar().decodeAt(b, unsafe.Pointer(&k))
	}
	for _, p := range c.parts {
		n, ok := p.scalar().split(b)
		if !ok || !p.scalar().decodeAt(b[:n], unsafe.Add(unsafe.Pointer(&k), p.off)) {
			return k, false
		}
		b = b[n:]
	}
	return k, len(b) == 0
}

// decodeAt decodes b into the key at p, which holds a zero key.
func (s scalar) decodeAt(b []byte, p unsafe.Pointer) bool {
	switch s.kind {
	case kindBool:
		if len(b) != 1 || b[0] > 1 {
			return false
		}
		*(*bool)(p) = b[0] == 1
		return true
	case kindUUID:
		if len(b) != 16 {
			return false
		}
		copy((*[16]byte)(p)[:], b)
		return true
	case kindTime:
		if len(b) != 12 {
			return false
		}
		ns := binary.BigEndian.Uint32(b[8:])
		if ns >= 1e9 {
			return false
		}
		*(*time.Time)(p) = time.Unix(int64(binary.BigEndian.Uint64(b)^(1<<63)), int64(ns)).UTC()
		return true
	}
	if s.kind != kindString {
		if len(b) != 8 {
			return false
		}
		u := binary.BigEndian.Uint64(b)
		if s.kind == kindInt {
			u ^= 1 << 63
		}
		v := int64(u)
		if s.kind == kindInt && s.size < 8 && (v > s.maxInt() || v < -s.maxInt()-1) {
			return false
		}
		if s.kind == kindUint && s.size < 8 && uint64(v) > uint64(s.maxInt()) {
			return false
		}
		s.setInt64At(p, v)
		return true
	}
	if len(b) < 2 || b[len(b)-2] != 0 || b[len(b)-1] != 1 {
		return false
	}
	out := make([]byte, 0, len(b)-2)
	for i := 0; i < len(b)-2; i++ {
		c := b[i]
		if c == 0 {
			if i+1 >= len(b)-2 || b[i+1] != 0xFF {
				return false
			}
			i++ // 0x00 0xFF is an escaped 0x00
		}
		out = append(out, c)
	}
	*(*string)(p) = string(out)
	return true
}

// format renders an encoded key for error messages: integers in decimal,
// strings quoted, a composite key as its fields in parentheses.
func (c codec[K]) format(b []byte) string {
	if b == nil {
		return "NULL"
	}
	if c.kind != kindComposite {
		return c.scalar().format(b)
	}
	parts := make([]string, 0, len(c.parts))
	for _, p := range c.parts {
		n, ok := p.scalar().split(b)
		if !ok {
			return fmt.Sprintf("%x", b)
		}
		parts = append(parts, p.scalar().format(b[:n]))
		b = b[n:]
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func (s scalar) format(b []byte) string {
	var k [32]byte // room for any scalar key: a time.Time is 24 bytes
	p := unsafe.Pointer(&k)
	if s.kind == kindTime {
		p = unsafe.Pointer(new(time.Time)) // holds a pointer: not in a byte array
	} else if s.kind == kindString {
		p = unsafe.Pointer(new(string))
	}
	if !s.decodeAt(b, p) {
		return fmt.Sprintf("%x", b)
	}
	switch s.kind {
	case kindString:
		return strconv.Quote(*(*string)(p))
	case kindBool:
		return strconv.FormatBool(*(*bool)(p))
	case kindUUID:
		u := (*[16]byte)(p)
		return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	case kindTime:
		return (*time.Time)(p).Format(time.RFC3339Nano)
	case kindUint:
		return strconv.FormatUint(uint64(s.int64At(p)), 10)
	}
	return strconv.FormatInt(s.int64At(p), 10)
}

// empty reports whether k is, or has a field that is, an empty string,
// which no primary key may be.
func (c codec[K]) empty(k K) bool {
	switch c.kind {
	case kindString:
		return *(*string)(unsafe.Pointer(&k)) == ""
	case kindComposite:
		for _, p := range c.parts {
			if p.kind == kindString && *(*string)(unsafe.Add(unsafe.Pointer(&k), p.off)) == "" {
				return true
			}
		}
	}
	return false
}

// split returns the length of the encoded key at the start of b.
func (c codec[K]) split(b []byte) (int, bool) {
	if c.kind != kindComposite {
		return c.scalar().split(b)
	}
	n := 0
	for _, p := range c.parts {
		m, ok := p.scalar().split(b[n:])
		if !ok {
			return 0, false
		}
		n += m
	}
	return n, true
}

func (s scalar) split(b []byte) (int, bool) {
	if n := s.fixedLen(); n != 0 {
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
func isZero[K comparable](k K) bool {
	var zero K
	return k == zero
}

// maxKeyLen bounds the encoded keys of a row, all of them together: a
// record addresses them with 16-bit offsets (see rec). It is far beyond any
// sensible identifier; PostgreSQL refuses B-tree index entries above about
// 2.7 kB.
const maxKeyLen = 1<<16 - 1
