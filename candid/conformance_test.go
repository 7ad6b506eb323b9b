package candid

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceAssert is one assert of the official Candid test suite.
type conformanceAssert struct {
	left, right *testInput
	op          string // ":", "!:", "==", "!="
	types       []*Type
	desc        string
	line        int
}

type testInput struct {
	blob bool
	data string // bytes of a blob, or the textual value
}

// parseTestFile reads the .test.did grammar:
// <def>;* (assert <input> [==|!= <input>] (:|!:) <tuptype> <desc>? ;)*
func parseTestFile(src string) ([]conformanceAssert, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	if err := p.defs0(); err != nil {
		return nil, err
	}
	var out []conformanceAssert
	input := func() (*testInput, error) {
		blob := false
		if p.isKeyword("blob") {
			p.advance()
			blob = true
		}
		s, err := p.textLit()
		if err != nil {
			return nil, err
		}
		return &testInput{blob: blob, data: s}, nil
	}
	for p.isKeyword("assert") {
		line := 1 + strings.Count(src[:p.peek().pos], "\n")
		p.advance()
		a := conformanceAssert{line: line}
		if a.left, err = input(); err != nil {
			return nil, err
		}
		switch {
		case p.isPunct("==") || p.isPunct("!="):
			a.op = p.advance().val
			if a.right, err = input(); err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
		case p.isPunct(":") || p.isPunct("!:"):
			a.op = p.advance().val
		default:
			return nil, p.errorf("expected an assertion operator")
		}
		if a.types, err = p.argTypes(); err != nil {
			return nil, err
		}
		if p.peek().kind == tText {
			a.desc = p.advance().val
		}
		if err := p.expect(";"); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if p.peek().kind != tEOF {
		return nil, p.errorf("unexpected input")
	}
	if err := p.resolve(); err != nil {
		return nil, err
	}
	return out, nil
}

func (in *testInput) decode(types []*Type) ([]Value, error) {
	if in.blob {
		return Unmarshal([]byte(in.data), types)
	}
	return ParseArgs(in.data, types)
}

// runAssert checks one assertion; it also re-encodes every decoded value
// and decodes it again, which must give the same value.
func runAssert(a conformanceAssert) error {
	left, lerr := a.left.decode(a.types)
	switch a.op {
	case "!:":
		if lerr == nil {
			return fmt.Errorf("decoded to %s, want an error", FormatArgs(a.types, left))
		}
		return nil
	case ":":
		if lerr != nil {
			return lerr
		}
	case "==", "!=":
		if lerr != nil {
			return fmt.Errorf("left: %w", lerr)
		}
		right, rerr := a.right.decode(a.types)
		if rerr != nil {
			return fmt.Errorf("right: %w", rerr)
		}
		eq := len(left) == len(right)
		for i := 0; eq && i < len(left); i++ {
			eq = Equal(left[i], right[i])
		}
		if eq != (a.op == "==") {
			return fmt.Errorf("left %s, right %s: equality is %v", FormatArgs(a.types, left), FormatArgs(a.types, right), eq)
		}
	}
	enc, err := Marshal(a.types, left)
	if err != nil {
		return fmt.Errorf("re-encode: %w", err)
	}
	again, err := Unmarshal(enc, a.types)
	if err != nil {
		return fmt.Errorf("decode re-encoded %x: %w", enc, err)
	}
	for i := range left {
		if !Equal(left[i], again[i]) {
			return fmt.Errorf("re-encoded argument %d changed: %s", i, FormatArgs(a.types, again))
		}
	}
	// The printed form parses back to the same values.
	text := FormatArgs(a.types, left)
	parsed, err := ParseArgs(text, a.types)
	if err != nil {
		return fmt.Errorf("parse printed %s: %w", text, err)
	}
	for i := range left {
		if !Equal(left[i], parsed[i]) {
			return fmt.Errorf("printed %s parses to %s", text, FormatArgs(a.types, parsed))
		}
	}
	return nil
}

func TestConformance(t *testing.T) {
	files, err := filepath.Glob("testdata/conformance/*.test.did")
	if err != nil || len(files) != 6 {
		t.Fatalf("want 6 test files, got %d (%v)", len(files), err)
	}
	total := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		asserts, err := parseTestFile(string(src))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pass := 0
		for _, a := range asserts {
			if err := runAssert(a); err != nil {
				t.Errorf("%s:%d %q (%s): %v", filepath.Base(f), a.line, a.desc, a.op, err)
				continue
			}
			pass++
		}
		total += len(asserts)
		t.Logf("%s: %d/%d asserts pass", filepath.Base(f), pass, len(asserts))
	}
	if total != 467 {
		t.Errorf("ran %d asserts, the suite has 467", total)
	}
}

// TestConformanceCached runs every binary input of the suite through one
// decoder with a table cache, twice, and checks it decides as the uncached
// decoder does.
func TestConformanceCached(t *testing.T) {
	files, _ := filepath.Glob("testdata/conformance/*.test.did")
	d := Decoder{Cache: new(TableCache)}
	n := 0
	for round := 0; round < 2; round++ {
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			asserts, err := parseTestFile(string(src))
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range asserts {
				for _, in := range []*testInput{a.left, a.right} {
					if in == nil || !in.blob {
						continue
					}
					n++
					want, werr := Unmarshal([]byte(in.data), a.types)
					got, gerr := d.Unmarshal([]byte(in.data), a.types)
					if (werr == nil) != (gerr == nil) {
						t.Fatalf("%s:%d: cached %v, uncached %v", f, a.line, gerr, werr)
					}
					for i := range want {
						if !Equal(want[i], got[i]) {
							t.Fatalf("%s:%d: cached decode differs", f, a.line)
						}
					}
				}
			}
		}
	}
	if len(d.Cache.entries) == 0 {
		t.Fatal("cache never filled")
	}
	t.Logf("%d decodes through a cache of %d tables", n, len(d.Cache.entries))
}
