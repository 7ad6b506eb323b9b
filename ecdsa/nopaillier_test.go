package ecdsa_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoPaillierNoMtA keeps the Groth–Shoup design free of Paillier
// encryption and multiplicative-to-additive conversion (checklist item 5):
// no package of the threshold ECDSA/Schnorr stack may import a Paillier, MtA
// or safe-prime library, or generate primes.
func TestNoPaillierNoMtA(t *testing.T) {
	forbidden := []string{"paillier", "mta", "safeprime", "saferith", "tss-lib", "multi-party-sig", "kryptology"}
	for _, dir := range []string{".", "../idkg", "../idkg/derivation", "../idkg/idkgtest", "../schnorr"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no sources (%v)", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				p := strings.ToLower(imp.Path.Value)
				for _, bad := range forbidden {
					if strings.Contains(p, bad) {
						t.Errorf("%s imports %s", f, imp.Path.Value)
					}
				}
			}
			for _, call := range []string{"ProbablyPrime", "rand.Prime("} {
				if strings.Contains(string(src), call) {
					t.Errorf("%s generates primes (%s)", f, call)
				}
			}
		}
	}
}
