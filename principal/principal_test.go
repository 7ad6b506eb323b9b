package principal

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// Known principals: text form and binary form. Sources: the IC interface
// specification (aaaaa-aa, 2vxsx-fae), the NNS canister ids (registry 0,
// governance 1, ledger 2), the canister and root subnet ids in the saved
// certificate notes (testdata of package certification) and the IC
// reference notes (mainnet root subnet tdb26-...).
var known = []struct {
	text, hex string
}{
	{"aaaaa-aa", ""},
	{"2vxsx-fae", "04"},
	{"rwlgt-iiaaa-aaaaa-aaaaa-cai", "00000000000000000101"},
	{"rrkah-fqaaa-aaaaa-aaaaq-cai", "00000000000000010101"},
	{"ryjl3-tyaaa-aaaaa-aaaba-cai", "00000000000000020101"},
	{"bnz7o-iuaaa-aaaaa-qaaaa-cai", "80000000001000000101"},
	{"tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe", "cff280e32d7f5ccd2246882f94afb20f54ca61a21765e712d43d278902"},
}

func TestKnownPrincipals(t *testing.T) {
	for _, k := range known {
		p, err := Parse(k.text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", k.text, err)
		}
		if got := hex.EncodeToString(p.Bytes()); got != k.hex {
			t.Errorf("Parse(%q) = %s, want %s", k.text, got, k.hex)
		}
		b, _ := hex.DecodeString(k.hex)
		q, err := FromBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		if q.String() != k.text {
			t.Errorf("String(%s) = %q, want %q", k.hex, q.String(), k.text)
		}
		if p != q {
			t.Errorf("%q: parsed and constructed principals differ", k.text)
		}
		// Parsing is case-insensitive, as on the IC.
		if u, err := Parse(strings.ToUpper(k.text)); err != nil || u != p {
			t.Errorf("Parse(upper %q) = %v, %v", k.text, u, err)
		}
	}
}

func TestSpecialPrincipals(t *testing.T) {
	if got := Management().String(); got != "aaaaa-aa" {
		t.Errorf("Management = %q", got)
	}
	if got := Anonymous().String(); got != "2vxsx-fae" {
		t.Errorf("Anonymous = %q", got)
	}
	var zero Principal
	if zero != Management() {
		t.Error("zero value is not the management canister")
	}
	for n, want := range map[uint64]string{
		0:                  "rwlgt-iiaaa-aaaaa-aaaaa-cai",
		1:                  "rrkah-fqaaa-aaaaa-aaaaq-cai",
		2:                  "ryjl3-tyaaa-aaaaa-aaaba-cai",
		0x8000000000100000: "bnz7o-iuaaa-aaaaa-qaaaa-cai",
	} {
		p := FromCanisterIndex(n)
		if p.String() != want {
			t.Errorf("FromCanisterIndex(%d) = %s, want %s", n, p, want)
		}
		if m, ok := p.CanisterIndex(); !ok || m != n {
			t.Errorf("CanisterIndex(%s) = %d, %v", p, m, ok)
		}
		if c, ok := p.Class(); !ok || c != ClassOpaque {
			t.Errorf("Class(%s) = %v, %v", p, c, ok)
		}
	}
	if _, ok := Anonymous().CanisterIndex(); ok {
		t.Error("anonymous principal has a canister index")
	}
	if _, ok := Management().Class(); ok {
		t.Error("management canister has a class byte")
	}
	der := []byte("any DER public key")
	sa := SelfAuthenticating(der)
	h := sha256.Sum224(der)
	if sa.Len() != 29 || string(sa.Bytes()[:28]) != string(h[:]) {
		t.Errorf("SelfAuthenticating = %x", sa.Bytes())
	}
	if c, _ := sa.Class(); c != ClassSelfAuthenticating {
		t.Errorf("SelfAuthenticating class = %#x", c)
	}
	if back := MustParse(sa.String()); back != sa {
		t.Error("self-authenticating principal does not round-trip")
	}
}

func TestParseRejects(t *testing.T) {
	long := make([]byte, 30)
	// Build a syntactically perfect text form of a 30-byte blob to check the
	// length limit independently of the checksum.
	tooLong := Principal{raw: string(long)}.String()
	cases := map[string]string{
		"empty":              "",
		"bad checksum":       "aaaab-aa",
		"bad checksum 2":     "ryjl3-tyaaa-aaaaa-aaaca-cai",
		"missing dash":       "ryjl3tyaaa-aaaaa-aaaba-cai",
		"no dashes":          "ryjl3tyaaaaaaaaaaabacai",
		"extra dash":         "ryjl3-tyaaa-aaaaa-aaaba--cai",
		"misplaced dash":     "ryjl-3tyaaa-aaaaa-aaaba-cai",
		"trailing dash":      "aaaaa-aa-",
		"leading dash":       "-aaaaa-aa",
		"too short":          "aaaa",
		"padding":            "aaaaa-aa======",
		"space":              "aaaaa-aa ",
		"newline":            "aaaaa-\naa",
		"bad alphabet":       "aaaaa-a1",
		"too long (30B)":     tooLong,
		"non-canonical bits": "2vxsx-fab",
	}
	for name, s := range cases {
		if p, err := Parse(s); err == nil {
			t.Errorf("%s: Parse(%q) = %s, want error", name, s, p)
		}
	}
	if _, err := FromBytes(long); err == nil {
		t.Error("FromBytes accepted 30 bytes")
	}
	if _, err := FromBytes(long[:29]); err != nil {
		t.Errorf("FromBytes rejected 29 bytes: %v", err)
	}
}

func TestEveryCharacterChange(t *testing.T) {
	// A one-character change of a valid text form is never accepted
	// (CRC32 detects every single-symbol error).
	const s = "tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe"
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567-"
	for i := range len(s) {
		for _, c := range alphabet {
			if byte(c) == s[i] {
				continue
			}
			m := s[:i] + string(c) + s[i+1:]
			if _, err := Parse(m); err == nil {
				t.Fatalf("Parse accepted %q", m)
			}
		}
	}
}

func TestRangesAndText(t *testing.T) {
	lo, _ := FromBytes(mustHex("00000000002000000101"))
	hi, _ := FromBytes(mustHex("00000000002fffff0101"))
	in, _ := FromBytes(mustHex("00000000002000010101"))
	if !in.InRange(lo, hi) || !lo.InRange(lo, hi) || !hi.InRange(lo, hi) {
		t.Error("InRange rejects members")
	}
	if FromCanisterIndex(2).InRange(lo, hi) {
		t.Error("InRange accepts a non-member")
	}
	if lo.Compare(hi) != -1 || hi.Compare(lo) != 1 || lo.Compare(lo) != 0 {
		t.Error("Compare")
	}
	var p Principal
	if err := p.UnmarshalText([]byte("ryjl3-tyaaa-aaaaa-aaaba-cai")); err != nil || p != FromCanisterIndex(2) {
		t.Errorf("UnmarshalText: %v", err)
	}
	if err := p.UnmarshalText([]byte("ryjl3-tyaaa")); err == nil {
		t.Error("UnmarshalText accepted a bad principal")
	}
	if b, _ := p.MarshalText(); string(b) != "ryjl3-tyaaa-aaaaa-aaaba-cai" {
		t.Errorf("MarshalText = %s", b)
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzParse(f *testing.F) {
	for _, k := range known {
		f.Add(k.text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(p.String(), s) {
			t.Fatalf("Parse(%q) accepted a non-canonical form of %s", s, p)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	p := MustParse("tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe")
	for b.Loop() {
		_ = p.String()
	}
}

func ExampleParse() {
	p, err := Parse("ryjl3-tyaaa-aaaaa-aaaba-cai")
	if err != nil {
		panic(err)
	}
	n, _ := p.CanisterIndex()
	fmt.Printf("%x %d\n", p.Bytes(), n)
	// Output: 00000000000000020101 2
}
