package memrel

import (
	"bytes"
	"cmp"
	"math"
	"testing"
	"time"
)

// checkCodec checks, for two keys, what go-memdb's prefix seeks rely on:
// the encodings compare as the keys do, neither is a prefix of the other
// unless they are equal, and each decodes back to its key.
func checkCodec[K interface {
	Key
	cmp.Ordered
}](t *testing.T, c codec[K], a, b K) {
	t.Helper()
	checkCodecBy(t, c, a, b, cmp.Compare[K])
}

// checkCodecBy is checkCodec for keys that compare through a function:
// false before true, UUIDs bytewise, times by instant.
func checkCodecBy[K Key](t *testing.T, c codec[K], a, b K, compare func(a, b K) int) {
	t.Helper()
	ea, eb := encodeKey(c, a), encodeKey(c, b)
	if got, want := bytes.Compare(ea, eb), compare(a, b); got != want {
		t.Errorf("%v vs %v: encodings compare %d, keys %d (%x, %x)", a, b, got, want, ea, eb)
	}
	if compare(a, b) != 0 && (bytes.HasPrefix(ea, eb) || bytes.HasPrefix(eb, ea)) {
		t.Errorf("%v and %v: one encoding is a prefix of the other (%x, %x)", a, b, ea, eb)
	}
	for _, k := range []K{a, b} {
		e := encodeKey(c, k)
		if got, ok := c.decode(e); !ok || compare(got, k) != 0 {
			t.Errorf("decode(encode(%v)) = %v, %v", k, got, ok)
		}
		if len(e) != cap(e) {
			t.Errorf("encode(%v) has spare capacity: go-memdb's append could write into it", k)
		}
	}
}

type userID int32

type slug string

type uuid [16]byte

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

func compareUUID(a, b uuid) int { return bytes.Compare(a[:], b[:]) }

func uuidOf(s string) uuid {
	var u uuid
	copy(u[:], s)
	return u
}

// timeOf makes a time from fuzzed numbers, within ±280,000 years of 1970
// (the range of time.Time is wider than Unix seconds can name).
func timeOf(sec int64, ns uint16, east bool) time.Time {
	t := time.Unix(sec>>20, int64(ns)*15259)
	if east {
		return t.In(time.FixedZone("east", 5*3600))
	}
	return t.UTC()
}

func FuzzKeyEncodings(f *testing.F) {
	f.Add(int64(0), int64(1), "", "a", uint16(0), uint16(65535))
	f.Add(int64(-1), int64(0), "a", "a\x00", uint16(1), uint16(2))
	f.Add(int64(math.MinInt64), int64(math.MaxInt64), "a\x00b", "a\x01", uint16(256), uint16(255))
	f.Add(int64(math.MaxInt32), int64(math.MinInt32), "\x00", "\x00\x00", uint16(7), uint16(7))
	f.Add(int64(5), int64(5), "ab", "a", uint16(0), uint16(0))
	f.Add(int64(-300), int64(200), "\xff", "\xff\x00", uint16(9), uint16(10))
	f.Fuzz(func(t *testing.T, i, j int64, s, u string, x, y uint16) {
		checkCodec(t, newCodec[int64](), i, j)
		checkCodec(t, newCodec[string](), s, u)
		checkCodec(t, newCodec[slug](), slug(s), slug(u))
		checkCodec(t, newCodec[uint16](), x, y)
		checkCodec(t, newCodec[userID](), userID(i), userID(j))
		checkCodec(t, newCodec[uint64](), uint64(i), uint64(j))
		checkCodec(t, newCodec[int8](), int8(x), int8(y))
		checkCodecBy(t, newCodec[bool](), x%2 == 0, y%2 == 0, compareBool)
		checkCodecBy(t, newCodec[uuid](), uuidOf(s), uuidOf(u), compareUUID)
		checkCodecBy(t, newCodec[time.Time](), timeOf(i, x, y%2 == 0), timeOf(j, y, x%2 == 0), time.Time.Compare)
	})
}

// Bytes that are not an encoding are refused by decode, not misread.
func TestDecodeRefusesForeignBytes(t *testing.T) {
	for _, b := range [][]byte{nil, {1, 2, 3}, {0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, ok := newCodec[int64]().decode(b); ok {
			t.Errorf("int64 decode(%x) accepted", b)
		}
	}
	for _, b := range [][]byte{nil, {'a'}, {'a', 0}, {'a', 0, 2}, {0, 1, 0, 1}, {0, 0, 0, 1}} {
		if _, ok := newCodec[string]().decode(b); ok {
			t.Errorf("string decode(%x) accepted", b)
		}
	}
	for _, b := range [][]byte{nil, {2}, {0, 0}} {
		if _, ok := newCodec[bool]().decode(b); ok {
			t.Errorf("bool decode(%x) accepted", b)
		}
	}
	if _, ok := newCodec[uuid]().decode(make([]byte, 15)); ok {
		t.Error("uuid decode of 15 bytes accepted")
	}
	if _, ok := newCodec[time.Time]().decode(append(make([]byte, 8), 0x3b, 0x9a, 0xca, 0x00)); ok {
		t.Error("time decode of 1e9 nanoseconds accepted")
	}
	// An int8 cannot hold 300.
	if _, ok := newCodec[int8]().decode(encodeKey(newCodec[int64](), 300)); ok {
		t.Error("int8 decode of 300 accepted")
	}
}

func TestAutoIncrementLimits(t *testing.T) {
	cases := []struct {
		got, want int64
	}{
		{newCodec[int8]().maxInt(), math.MaxInt8},
		{newCodec[uint8]().maxInt(), math.MaxUint8},
		{newCodec[int32]().maxInt(), math.MaxInt32},
		{newCodec[uint32]().maxInt(), math.MaxUint32},
		{newCodec[int64]().maxInt(), math.MaxInt64},
		{newCodec[uint64]().maxInt(), math.MaxInt64},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: maxInt %d, want %d", i, c.got, c.want)
		}
	}
}
