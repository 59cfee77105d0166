package memrel

import (
	"encoding/binary"
	"testing"
)

// A keyMap keeps every key apart, whatever its length: 8-byte keys as
// integers, others as strings, and a string key of exactly 8 bytes is the
// same key as the integer key with the same bytes, and no other.
func TestKeyMap(t *testing.T) {
	u64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	type entry struct {
		key []byte
		val int
	}
	tests := []struct {
		name string
		set  []entry
		want []entry // after the sets; val -1: no value
		len  int
	}{
		{name: "empty", want: []entry{{u64(1), -1}, {[]byte("a"), -1}, {nil, -1}}},
		{
			name: "integers",
			set:  []entry{{u64(1), 1}, {u64(2), 2}, {u64(1 << 63), 3}},
			want: []entry{{u64(1), 1}, {u64(2), 2}, {u64(1 << 63), 3}, {u64(3), -1}, {u64(0), -1}},
			len:  3,
		},
		{
			name: "strings",
			set:  []entry{{[]byte("a"), 1}, {[]byte("ab"), 2}, {[]byte("abcdefghi"), 3}, {[]byte{}, 4}},
			want: []entry{
				{[]byte("a"), 1}, {[]byte("ab"), 2}, {[]byte("abcdefghi"), 3},
				{[]byte{}, 4}, {nil, 4}, // the empty key, however it is spelled
				{[]byte("abc"), -1}, {[]byte("abcdefgh"), -1},
			},
			len: 4,
		},
		{
			name: "an 8-byte string is the integer with its bytes",
			set:  []entry{{[]byte("abcdefgh"), 1}, {u64(binary.BigEndian.Uint64([]byte("abcdefgh"))), 2}},
			want: []entry{{[]byte("abcdefgh"), 2}, {[]byte("abcdefg"), -1}, {[]byte("abcdefghi"), -1}},
			len:  1,
		},
		{
			name: "an 8-byte string beside other keys",
			set: []entry{
				{[]byte("abcdefgh"), 1}, {u64(7), 2}, {[]byte("abcdefg"), 3},
				{[]byte("abcdefghi"), 4}, {[]byte{0, 0, 0, 0, 0, 0, 7}, 5},
			},
			want: []entry{
				{[]byte("abcdefgh"), 1}, {u64(7), 2}, {[]byte("abcdefg"), 3},
				{[]byte("abcdefghi"), 4}, {[]byte{0, 0, 0, 0, 0, 0, 7}, 5},
				{[]byte{0, 0, 0, 0, 0, 0, 0, 0, 7}, -1}, {[]byte("bcdefgh"), -1},
			},
			len: 5,
		},
		{
			name: "set again replaces",
			set:  []entry{{u64(1), 1}, {[]byte("x"), 2}, {u64(1), 3}, {[]byte("x"), 4}},
			want: []entry{{u64(1), 3}, {[]byte("x"), 4}},
			len:  2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m keyMap[int]
			check := func(when string, want []entry, n int) {
				t.Helper()
				for _, e := range want {
					v, ok := m.get(e.key)
					if e.val < 0 && ok {
						t.Errorf("%s: get(%q) = %d, want none", when, e.key, v)
					} else if e.val >= 0 && (!ok || v != e.val) {
						t.Errorf("%s: get(%q) = %d, %t; want %d", when, e.key, v, ok, e.val)
					}
				}
				if got := m.len(); got != n {
					t.Errorf("%s: len() = %d, want %d", when, got, n)
				}
			}
			for _, e := range tt.set {
				k := append([]byte(nil), e.key...)
				m.set(k, e.val)
				for i := range k {
					k[i] ^= 0xff // the map keeps its own copy of the key
				}
			}
			check("after set", tt.want, tt.len)
			m.clear()
			none := make([]entry, len(tt.want))
			for i, e := range tt.want {
				none[i] = entry{e.key, -1}
			}
			check("after clear", none, 0)
			for _, e := range tt.set {
				m.set(e.key, e.val)
			}
			check("after clear and set", tt.want, tt.len)
		})
	}
}

// get never allocates, nor do len and clear, on an empty keyMap or a full one.
func TestKeyMapGetDoesNotAllocate(t *testing.T) {
	var m keyMap[*rec]
	keys := [][]byte{binary.BigEndian.AppendUint64(nil, 42), []byte("some string key"), nil}
	probe := func() {
		for _, k := range keys {
			m.get(k)
		}
		_ = m.len()
	}
	if n := testing.AllocsPerRun(100, probe); n != 0 {
		t.Errorf("get on an empty keyMap: %v allocations, want 0", n)
	}
	for _, k := range keys {
		m.set(k, &rec{})
	}
	if n := testing.AllocsPerRun(100, probe); n != 0 {
		t.Errorf("get: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, m.clear); n != 0 {
		t.Errorf("clear: %v allocations, want 0", n)
	}
}
