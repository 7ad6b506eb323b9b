package canisters

import (
	"bytes"
	"slices"
	"testing"
)

// TestIncrementalWritesEqualSnapshot: after a workload of calls, traps,
// an upgrade, a reinstall, an uninstall, a stop and a delete, the keys the
// rounds wrote page by page from the engine's checkpoints are exactly the
// keys a whole write of the state gives (no stale page, none missing),
// and a component loaded from them has the same state hash.
func TestIncrementalWritesEqualSnapshot(t *testing.T) {
	h := newHarness(t)
	counter, proxy := workload(h)
	other := h.create(pagesWasm(t))
	h.block(h.call(other, "touch", le32(40)))
	h.block(h.msg(Message{Kind: KindReinstall, Sender: ctrl.Bytes(), Canister: counter.Bytes(), Wasm: counterWasm(t)}))
	h.block(h.call(counter, "inc", nil))
	h.block(h.msg(Message{Kind: KindUninstall, Sender: ctrl.Bytes(), Canister: proxy.Bytes()}))
	h.block(h.msg(Message{Kind: KindStop, Sender: ctrl.Bytes(), Canister: other.Bytes()}))
	h.block(h.msg(Message{Kind: KindDelete, Sender: ctrl.Bytes(), Canister: other.Bytes()}))
	h.block(h.call(counter, "inc", nil))

	m := &memStore{kv: map[string][]byte{}}
	h.c.writeAll(m)
	var got, want []string
	for k := range h.st.kv {
		if bytes.HasPrefix([]byte(k), []byte(prefixCanister)) {
			got = append(got, k)
		}
	}
	for k := range m.kv {
		if bytes.HasPrefix([]byte(k), []byte(prefixCanister)) {
			want = append(want, k)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("incremental writes left %d canister keys, a whole write %d", len(got), len(want))
	}
	for _, k := range want {
		if !bytes.Equal(h.st.kv[k], m.kv[k]) {
			t.Fatalf("key %q differs from the whole write", k)
		}
	}
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("loaded state has another hash")
	}
}

// TestPersistOnePage: an update that changes one page of a 16 MiB memory
// writes one page, and a page written back to zeros is deleted from the
// store.
func TestPersistOnePage(t *testing.T) {
	h := newHarness(t)
	can := h.create(pagesWasm(t))
	before := h.c.PagesWritten()
	h.block(h.call(can, "touch", le32(1)))
	if got := h.c.PagesWritten() - before; got != 1 {
		t.Fatalf("an update changing 1 page wrote %d", got)
	}
	// Page 1's byte goes from 1 to 255 and back to 0: the page of zeros
	// is deleted from the store.
	key := string(pageKey(can.Bytes(), 'm', 1))
	for range 255 {
		h.block(h.call(can, "touch", le32(2)))
	}
	if _, ok := h.st.kv[key]; !ok {
		t.Fatal("page 1 not stored")
	}
	h.block(h.call(can, "touch", le32(2)))
	if _, ok := h.st.kv[key]; ok {
		t.Fatal("a page of zeros is still stored")
	}
	if _, ok := h.st.kv[string(pageKey(can.Bytes(), 'm', 0))]; !ok {
		t.Fatal("page 0 not stored")
	}
}

func pagesWasm(t testing.TB) []byte { return watFile(t, "testdata/pages.wat") }

func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
