package candid

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDescriptionFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/did/*.did")
	if err != nil || len(files) != 9 {
		t.Fatalf("want 9 .did files, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ParseDescription(string(src))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if d.Service == nil || len(d.Service.Methods) == 0 {
			t.Errorf("%s: no service methods", f)
			continue
		}
		// Every method's types print and parse back.
		for _, m := range d.Service.Methods {
			for _, ts := range [][]*Type{m.Type.Args, m.Type.Results} {
				for _, at := range ts {
					if at.Kind == 0 {
						t.Errorf("%s: %s: unresolved type", f, m.Name)
					}
				}
			}
		}
		t.Logf("%s: %d types, %d methods", filepath.Base(f), len(d.Types), len(d.Service.Methods))
	}
}

func TestParseDescriptionManagement(t *testing.T) {
	src, err := os.ReadFile("testdata/did/ic.did")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDescription(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.Service.Methods); n != 41 {
		t.Errorf("management canister has %d methods, want 41", n)
	}
	m, err := d.Method("sign_with_ecdsa")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Args) != 1 || m.Args[0].Kind != KindRecord {
		t.Fatalf("sign_with_ecdsa args: %s", TupleString(m.Args))
	}
	if _, ok := m.Args[0].Field(Hash("message_hash")); !ok {
		t.Errorf("sign_with_ecdsa argument lacks message_hash: %s", m.Args[0])
	}
	q, err := d.Method("fetch_canister_logs")
	if err != nil {
		t.Fatal(err)
	}
	if !q.HasMode(ModeQuery) {
		t.Errorf("fetch_canister_logs is not a query: %s", q)
	}
}

func TestParseDescriptionErrors(t *testing.T) {
	for _, src := range []string{
		"type a = b;",
		"type a = a;",
		"type a = b; type b = a;",
		"type a = nat; type a = int;",
		"service : { f : nat }",
		"service : { f : () -> (); f : () -> () }",
		"type r = record { a : nat; a : int };",
		"type r = record { 4294967296 : nat };",
		"import \"x.did\";",
		"service : { f : () -> () } junk",
	} {
		if _, err := ParseDescription(src); err == nil {
			t.Errorf("%q parsed", src)
		}
	}
}

func TestParseDescriptionRecursive(t *testing.T) {
	d, err := ParseDescription(`
		type List = opt record { head : int; tail : List };
		type A = B; type B = opt A2; type A2 = record { x : A };
		service : { f : (List) -> (A) query; g : h; "quoted name" : () -> () oneway };
		type h = func (text) -> (nat) composite_query;`)
	if err != nil {
		t.Fatal(err)
	}
	l := d.Types["List"]
	f, _ := l.Elem.Field(Hash("tail"))
	if f.Type != l {
		t.Errorf("List is not recursive: %s", l)
	}
	if a := d.Types["A"]; a.Kind != KindOpt || a.Elem.Fields[0].Type.Kind != KindOpt {
		t.Errorf("A = %s", a)
	}
	g, err := d.Method("g")
	if err != nil || !g.HasMode(ModeCompositeQuery) {
		t.Errorf("g: %v %v", g, err)
	}
	if _, err := d.Method("quoted name"); err != nil {
		t.Error(err)
	}
	if s := l.String(); !strings.Contains(s, "tail : List") {
		t.Errorf("printed %s", s)
	}
}
