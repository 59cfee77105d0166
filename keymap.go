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
// Its maps are made on the first set; get, len and clear on an empty
// keyMap allocate nothing, and get never does (a lookup m[string(k)]
// does not copy k).
type keyMap[V any] struct {
	ints map[uint64]V // 8-byte keys, by their big-endian value
	strs map[string]V // keys of any other length
}

// get returns the value of key k, and whether k has one.
func (m *keyMap[V]) get(k []byte) (V, bool) {
	if len(k) == 8 {
		v, ok := m.ints[binary.BigEndian.Uint64(k)]
		return v, ok
	}
	v, ok := m.strs[string(k)]
	return v, ok
}

// set sets the value of key k to v; k is copied if it needs to be kept.
func (m *keyMap[V]) set(k []byte, v V) {
	if len(k) == 8 {
		if m.ints == nil {
			m.ints = map[uint64]V{}
		}
		m.ints[binary.BigEndian.Uint64(k)] = v
		return
	}
	if m.strs == nil {
		m.strs = map[string]V{}
	}
	m.strs[string(k)] = v
}

// len returns the number of keys with a value.
func (m *keyMap[V]) len() int { return len(m.ints) + len(m.strs) }

// clear removes every key, and keeps the maps' memory for the next ones.
func (m *keyMap[V]) clear() {
	clear(m.ints)
	clear(m.strs)
}
