package canisters

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
)

// withSections appends custom sections (name, content pairs) to a module.
func withSections(wasm []byte, kv ...string) []byte {
	out := bytes.Clone(wasm)
	for i := 0; i+1 < len(kv); i += 2 {
		body := certification.AppendLEB128(nil, uint64(len(kv[i])))
		body = append(append(body, kv[i]...), kv[i+1]...)
		out = append(out, 0)
		out = certification.AppendLEB128(out, uint64(len(body)))
		out = append(out, body...)
	}
	return out
}

// metadataOfLeaves returns the canister's metadata leaves as name=value.
func metadataOfLeaves(c *Component, id principal.Principal) map[string]string {
	out := map[string]string{}
	for _, l := range c.Leaves() {
		if len(l.Path) == 4 && string(l.Path[0]) == "canister" && bytes.Equal(l.Path[1], id.Bytes()) && string(l.Path[2]) == "metadata" {
			out[string(l.Path[3])] = string(l.Value)
		}
	}
	return out
}

func TestMetadataLeaves(t *testing.T) {
	h := newHarness(t)
	v1 := withSections(counterWasm(t), "icp:public candid:service", "service : { get : () -> (nat) }",
		"icp:private secret", "\x00\x01hidden", "name", "not metadata", "icp:publicx", "no space")
	can := h.create(v1)
	got := metadataOfLeaves(h.c, can)
	want := map[string]string{"candid:service": "service : { get : () -> (nat) }", "secret": "\x00\x01hidden"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("metadata leaves after install: %q, want %q", got, want)
	}
	if !h.c.MetadataReadable(can, "candid:service", alice) || h.c.MetadataReadable(can, "secret", alice) ||
		!h.c.MetadataReadable(can, "secret", ctrl) || !h.c.MetadataReadable(can, "absent", alice) {
		t.Fatal("MetadataReadable: public for all, private for controllers only")
	}

	// Load and snapshot restore keep the leaves (recomputed from the
	// stored module).
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(metadataOfLeaves(c2, can)) != fmt.Sprint(want) || c2.MetadataReadable(can, "secret", alice) {
		t.Fatal("loaded component lost the metadata")
	}
	c3, _ := New(testConfig())
	defer c3.Close()
	if err := c3.Restore(h.c.Snapshot()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c3.Leaves()) != fmt.Sprint(h.c.Leaves()) {
		t.Fatal("restored component has other leaves")
	}

	// Upgrade replaces the sections; reinstall too; uninstall removes them.
	v2 := withSections(counterWasm(t), "icp:public candid:service", "service : {}")
	ids := h.block(h.msg(Message{Kind: KindUpgrade, Sender: ctrl.Bytes(), Canister: can.Bytes(), Wasm: v2}))
	h.replied(ids[0])
	if got := metadataOfLeaves(h.c, can); fmt.Sprint(got) != fmt.Sprint(map[string]string{"candid:service": "service : {}"}) {
		t.Fatalf("metadata after upgrade: %q", got)
	}
	ids = h.block(h.msg(Message{Kind: KindReinstall, Sender: ctrl.Bytes(), Canister: can.Bytes(), Wasm: v1}))
	h.replied(ids[0])
	if got := metadataOfLeaves(h.c, can); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("metadata after reinstall: %q", got)
	}
	ids = h.block(h.msg(Message{Kind: KindUninstall, Sender: ctrl.Bytes(), Canister: can.Bytes()}))
	h.replied(ids[0])
	if got := metadataOfLeaves(h.c, can); len(got) != 0 {
		t.Fatalf("metadata after uninstall: %q", got)
	}
	if !h.c.MetadataReadable(can, "secret", alice) {
		t.Fatal("an uninstalled section is still private")
	}

	// A module naming a section twice is refused.
	bad := withSections(counterWasm(t), "icp:public x", "1", "icp:private x", "2")
	ids = h.block(h.msg(Message{Kind: KindReinstall, Sender: ctrl.Bytes(), Canister: can.Bytes(), Wasm: bad}))
	if h.record(ids[0]).Status != StatusRejected {
		t.Fatal("duplicate section accepted")
	}
}
