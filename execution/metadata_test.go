package execution

import (
	"fmt"
	"strings"
	"testing"
)

// moduleWithSections is an empty Wasm module with custom sections (name,
// content pairs).
func moduleWithSections(kv ...string) []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	for i := 0; i+1 < len(kv); i += 2 {
		body := appendULEB(nil, uint64(len(kv[i])))
		body = append(append(body, kv[i]...), kv[i+1]...)
		out = append(out, 0)
		out = appendULEB(out, uint64(len(body)))
		out = append(out, body...)
	}
	return out
}

func TestMetadataSections(t *testing.T) {
	p, err := Prepare(moduleWithSections("icp:public z", "last", "name", "x", "icp:private a", "\x00first", "icp:public", "no name"))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%+v", p.Metadata())
	want := fmt.Sprintf("%+v", []CustomSection{{"a", true, []byte("\x00first")}, {"z", false, []byte("last")}})
	if got != want {
		t.Fatalf("Metadata() = %s, want %s", got, want)
	}
	for name, kv := range map[string][]string{
		"duplicate":        {"icp:public x", "1", "icp:private x", "2"},
		"duplicate public": {"icp:public x", "1", "icp:public x", "2"},
		"over 1 MiB":       {"icp:public big", strings.Repeat("a", 1<<20)},
		"over 16 sections": nil,
	} {
		if name == "over 16 sections" {
			for i := range 17 {
				kv = append(kv, fmt.Sprintf("icp:public s%d", i), "")
			}
		}
		if _, err := Prepare(moduleWithSections(kv...)); err == nil {
			t.Errorf("%s: module accepted", name)
		}
	}
	if _, err := Prepare(moduleWithSections("icp:public big", strings.Repeat("a", 1<<20-len("big")))); err != nil {
		t.Errorf("exactly 1 MiB refused: %v", err)
	}
}

func ExamplePrepared_Metadata() {
	wasm := []byte("\x00asm\x01\x00\x00\x00" +
		"\x00\x26\x19icp:public candid:serviceservice : {}")
	p, err := Prepare(wasm)
	if err != nil {
		panic(err)
	}
	for _, s := range p.Metadata() {
		fmt.Printf("%s private=%v %q\n", s.Name, s.Private, s.Content)
	}
	// Output: candid:service private=false "service : {}"
}
