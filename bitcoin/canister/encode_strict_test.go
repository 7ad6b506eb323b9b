package canister_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/chainkey/chainkey/bitcoin/canister"
)

// stateLayout splits a serialised state into its parts before the unstable
// blocks, the blocks (each with its arrival number and length prefix) and
// the fee cache after them.
func stateLayout(t *testing.T, data []byte) (head []byte, blocks [][]byte, tail []byte) {
	t.Helper()
	off := len("CKBTCST\x01") + 1 + 8 + 8
	nh := binary.BigEndian.Uint32(data[off:])
	off += 4 + 80*int(nh)
	nu := binary.BigEndian.Uint64(data[off:])
	off += 8
	for range nu {
		off += 32 + 4 + 8 + 4
		off += 4 + int(binary.BigEndian.Uint32(data[off:]))
	}
	nb := binary.BigEndian.Uint32(data[off:])
	off += 4
	head = data[:off]
	for range nb {
		l := int(binary.BigEndian.Uint32(data[off+8:]))
		blocks = append(blocks, data[off:off+12+l])
		off += 12 + l
	}
	return head, blocks, data[off:]
}

func join(head []byte, blocks [][]byte, tail []byte) []byte {
	out := append([]byte(nil), head...)
	out = append(out, bytes.Join(blocks, nil)...)
	return append(out, tail...)
}

// TestUnmarshalCanonical checks that Unmarshal refuses what Marshal never
// writes: unstable blocks out of (height, hash) order, arrival numbers that
// repeat or are not below the next one, and a malformed fee cache. Each of
// these used to be accepted.
func TestUnmarshalCanonical(t *testing.T) {
	fs := newFuzzState(t)
	data := fs.s.Marshal()
	if _, err := canister.Unmarshal(data); err != nil {
		t.Fatal(err)
	}
	head, blocks, tail := stateLayout(t, data)
	if len(blocks) < 3 || len(tail) != 4+101*8 {
		t.Fatalf("%d blocks, fee cache of %d bytes: the test needs a fork and a fee cache", len(blocks), len(tail))
	}
	if !bytes.Equal(join(head, blocks, tail), data) {
		t.Fatal("test splits the state wrongly")
	}
	k := len(blocks)
	var bad [][]byte
	// Two sibling blocks (same height) swapped.
	sw := append([][]byte(nil), blocks...)
	sw[k-1], sw[k-2] = sw[k-2], sw[k-1]
	bad = append(bad, join(head, sw, tail))
	// The next arrival number at or below a block's.
	for _, next := range []uint64{0, binary.BigEndian.Uint64(blocks[k-1])} {
		b := bytes.Clone(data)
		binary.BigEndian.PutUint64(b[len("CKBTCST\x01")+1+8:], next)
		bad = append(bad, b)
	}
	// Two blocks with the same arrival number.
	dup := append([][]byte(nil), blocks...)
	dup[1] = bytes.Clone(dup[1])
	copy(dup[1][:8], dup[0][:8])
	bad = append(bad, join(head, dup, tail))
	// A fee cache of one value, and one out of order.
	bad = append(bad, join(head, blocks, []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5}))
	desc := bytes.Clone(tail)
	binary.BigEndian.PutUint64(desc[4:], ^uint64(0))
	bad = append(bad, join(head, blocks, desc))
	for i, b := range bad {
		if _, err := canister.Unmarshal(b); err == nil {
			t.Errorf("non-canonical state %d accepted", i)
		}
	}
	// An empty fee cache is what a state that never saw a fee writes.
	if _, err := canister.Unmarshal(join(head, blocks, []byte{0, 0, 0, 0})); err != nil {
		t.Errorf("state without fee cache: %v", err)
	}
}
