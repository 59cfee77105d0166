package memrel

import "encoding/binary"

// keyMap maps encoded keys to V: a write transaction's written rows and the
// identity map (read.go), the parents an eager load has found (loading.go),
// the distinct keys a join index numbers (join.go). An 8-byte key (every
// integer key) is kept as a uint64, which hashes and compares faster, and
// others as a string. The two never collide: an 8-byte key is always kept
// as the uint64 of its bytes, big-endian, which gives back exactly those
// bytes, and a key of any other length is always kept as a string; so two
// keys share an entry only if they are the same bytes. That holds whatever
// the table's key type is: a string key that happens to be 8 bytes long is
// kept as a uint64 too, and can be equal to no other key but itself.
//
// Its maps are made on the first set that needs them; get, len and clear on an empty
// keyMap allocate nothing, and get never does (a lookup m[string(k)]
// does not copy k).
type keyMap[V any] struct {
	// The first 8-byte key is kept inline, so that a map of one integer
	// key (a one-row write, a batch of one parent) makes no map at all.
	one    uint64
	oneV   V
	hasOne bool
	ints   map[uint64]V // other 8-byte keys, by their big-endian value
	strs   map[string]V // keys of any other length
}

// get returns the value of key k, and whether k has one.
func (m *keyMap[V]) get(k []byte) (V, bool) {
	if len(k) == 8 {
		u := binary.BigEndian.Uint64(k)
		if m.hasOne && m.one == u {
			return m.oneV, true
		}
		v, ok := m.ints[u]
		return v, ok
	}
	v, ok := m.strs[string(k)]
	return v, ok
}

// set sets the value of key k to v; k is copied if it needs to be kept.
func (m *keyMap[V]) set(k []byte, v V) {
	if len(k) == 8 {
		u := binary.BigEndian.Uint64(k)
		switch {
		case m.hasOne && m.one == u, !m.hasOne && len(m.ints) == 0:
			m.one, m.oneV, m.hasOne = u, v, true
			return
		}
		if m.ints == nil {
			m.ints = map[uint64]V{}
		}
		m.ints[u] = v
		return
	}
	if m.strs == nil {
		m.strs = map[string]V{}
	}
	m.strs[string(k)] = v
}

// len returns the number of keys with a value.
func (m *keyMap[V]) len() int {
	n := len(m.ints) + len(m.strs)
	if m.hasOne {
		n++
	}
	return n
}

// clear removes every key, and keeps the maps' memory for the next ones.
func (m *keyMap[V]) clear() {
	var zero V
	m.one, m.oneV, m.hasOne = 0, zero, false
	clear(m.ints)
	clear(m.strs)
}

// each calls f for every key and its value, in no order; k is valid only
// during the call.
func (m *keyMap[V]) each(f func(k []byte, v V)) {
	var buf [8]byte
	if m.hasOne {
		binary.BigEndian.PutUint64(buf[:], m.one)
		f(buf[:], m.oneV)
	}
	for u, v := range m.ints {
		binary.BigEndian.PutUint64(buf[:], u)
		f(buf[:], v)
	}
	for s, v := range m.strs {
		f([]byte(s), v)
	}
}
