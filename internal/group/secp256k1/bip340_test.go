package secp256k1

import (
	"bytes"
	"encoding/csv"
	"os"
	"strings"
	"testing"
)

// TestBIP340Keys checks the public keys of the BIP 340 vectors: for rows
// with a secret key, the x coordinate of ScalarBaseMult (constant time) and
// of VarTimeScalarMult(G); for every row, DecodeXOnly must accept the key
// exactly when the vector does not say it is invalid.
func TestBIP340Keys(t *testing.T) {
	f, err := os.Open("testdata/bip340-test-vectors.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 {
		t.Fatal("no vectors")
	}
	for _, row := range rows[1:] {
		idx, skHex, pkHex, comment := row[0], row[1], row[2], row[7]
		pk := mustHex(pkHex)
		_, err := DecodeXOnly(pk)
		invalidKey := strings.Contains(comment, "public key")
		if invalidKey != (err != nil) {
			t.Errorf("vector %s (%s): DecodeXOnly error %v", idx, comment, err)
		}
		if skHex == "" {
			continue
		}
		sk, err := DecodeScalar(mustHex(skHex))
		if err != nil {
			t.Fatalf("vector %s: %v", idx, err)
		}
		for name, p := range map[string]*Point{
			"ScalarBaseMult":       new(Point).ScalarBaseMult(sk).(*Point),
			"ScalarMult(G)":        new(Point).ScalarMult(sk, Generator()).(*Point),
			"VarTimeScalarMult(G)": new(Point).VarTimeScalarMult(sk, Generator()).(*Point),
		} {
			x, err := p.AffineX()
			if err != nil || !bytes.Equal(x, pk) {
				t.Errorf("vector %s: %s x = %x, want %x", idx, name, x, pk)
			}
		}
	}
}
