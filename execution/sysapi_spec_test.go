package execution

import (
	"bufio"
	"os"
	"sort"
	"strings"
	"testing"
)

// specContexts maps the specification's context annotations to Contexts.
var specContexts = map[string]Context{
	"I": CtxInit, "G": CtxPreUpgrade, "U": CtxUpdate, "RQ": CtxReplQuery, "NRQ": CtxQuery,
	"Q": CtxReplQuery | CtxQuery, "CQ": CtxCompositeQuery, "Ry": CtxReply, "Rt": CtxReject,
	"CRy": CtxCQReply, "CRt": CtxCQReject, "C": CtxCleanup, "CC": CtxCQCleanup, "F": CtxInspect,
	"T": CtxSystemTask, "*": ctxAll, "s": CtxStart,
}

// TestSystemAPIMatchesSpecification compares every function's allowed
// contexts with the specification's table (testdata/ic0-contexts.txt, see
// its .source note), and lists what this engine leaves out: the
// specification's functions it does not offer, and the legacy 32-bit
// functions it keeps for wasm32 modules.
func TestSystemAPIMatchesSpecification(t *testing.T) {
	f, err := os.Open("testdata/ic0-contexts.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var missing []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			t.Fatalf("bad line %q", sc.Text())
		}
		name := fields[0]
		var want Context
		for _, a := range fields[1:] {
			c, ok := specContexts[a]
			if !ok {
				t.Fatalf("%s: unknown annotation %q", name, a)
			}
			want |= c
		}
		seen[name] = true
		sf := sysFuncByName(name)
		if sf == nil {
			missing = append(missing, name)
			continue
		}
		if sf.Allowed != want {
			t.Errorf("ic0.%s: allowed in %v, the specification says %v (extra %v, missing %v)",
				name, contextNames(sf.Allowed), contextNames(want), contextNames(sf.Allowed&^want), contextNames(want&^sf.Allowed))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(missing, " "), ""; got != want {
		t.Errorf("functions of the specification not offered: %q, want %q", got, want)
	}
	var extra []string
	for i := range sysFuncs {
		if !seen[sysFuncs[i].Name] {
			if !sysFuncs[i].wasm32Only {
				t.Errorf("ic0.%s is not in the specification", sysFuncs[i].Name)
			}
			extra = append(extra, sysFuncs[i].Name)
		}
	}
	sort.Strings(extra)
	t.Logf("legacy wasm32 functions kept: %v", extra)
}

func contextNames(c Context) []string {
	var out []string
	for i := 0; i < 32; i++ {
		if c&(1<<i) != 0 {
			out = append(out, Context(1<<i).String())
		}
	}
	return out
}
