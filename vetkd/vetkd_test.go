package vetkd_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"

	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/chainkey/chainkey/vetkd"
)

// subnet is a dealt vetKD master key of n nodes with threshold n−f, the
// threshold the Internet Computer uses for vetKD keys (HighThresholdForKey).
type subnet struct {
	n, f   int
	pc     *thresholdsig.PublicCoefficients
	shares []*thresholdsig.SecretKeyShare
}

func newSubnet(t testing.TB, n int) *subnet {
	t.Helper()
	f := (n - 1) / 3
	pc, shares, err := thresholdsig.Deal(n, n-f, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range shares {
			s.Zeroize()
		}
	})
	return &subnet{n: n, f: f, pc: pc, shares: shares}
}

func (s *subnet) master(t testing.TB) *vetkd.MasterPublicKey {
	t.Helper()
	m, err := vetkd.ParseMasterPublicKey(s.pc.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// shares returns the encrypted key shares of the given nodes.
func (s *subnet) encShares(t testing.TB, d *vetkd.Derivation, nodes []int) map[int][]byte {
	t.Helper()
	out := make(map[int][]byte, len(nodes))
	for _, i := range nodes {
		sh, err := d.CreateShare(rand.Reader, s.shares[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(sh) != vetkd.EncryptedKeySize {
			t.Fatalf("share of node %d is %d bytes", i, len(sh))
		}
		out[i] = sh
	}
	return out
}

func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func newTransport(t testing.TB) *vetkd.TransportSecretKey {
	t.Helper()
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return tsk
}

func newDerivation(t testing.TB, pc *thresholdsig.PublicCoefficients, req *vetkd.Request) *vetkd.Derivation {
	t.Helper()
	d, err := vetkd.NewDerivation(pc, req)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var canister = []byte{0, 0, 0, 0, 0, 0x10, 0, 5, 1, 1}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{1, 4, 7, 13} {
		t.Run(fmt.Sprint("n=", n), func(t *testing.T) {
			s := newSubnet(t, n)
			tsk := newTransport(t)
			req := &vetkd.Request{CanisterID: canister, Context: []byte("ctx"), Input: []byte("alice"),
				TransportPublicKey: tsk.PublicKey().Bytes()}
			d := newDerivation(t, s.pc, req)
			dpk := vetkd.DerivePublicKey(s.master(t), req.CanisterID, req.Context)
			if !dpk.Equal(d.PublicKey()) {
				t.Fatal("Derivation.PublicKey differs from DerivePublicKey")
			}
			shares := s.encShares(t, d, all(n))
			for i, sh := range shares {
				if err := d.VerifyShare(i, sh); err != nil {
					t.Fatalf("share of node %d: %v", i, err)
				}
			}
			ek, bad, err := d.Combine(shares)
			if err != nil || len(bad) != 0 {
				t.Fatalf("combine: %v, bad %v", err, bad)
			}
			if err := ek.Verify(dpk, req.Input, tsk.PublicKey()); err != nil {
				t.Fatal(err)
			}
			key, err := tsk.Decrypt(ek, dpk, req.Input)
			if err != nil {
				t.Fatal(err)
			}
			if err := key.Verify(dpk, req.Input); err != nil {
				t.Fatal(err)
			}

			// Any threshold subset, under any transport key, gives the
			// same vetKey: it is a deterministic BLS signature.
			tsk2 := newTransport(t)
			req2 := *req
			req2.TransportPublicKey = tsk2.PublicKey().Bytes()
			d2 := newDerivation(t, s.pc, &req2)
			subset := all(n)[n-d2.Threshold():]
			ek2, _, err := d2.Combine(s.encShares(t, d2, subset))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(ek2.Bytes(), ek.Bytes()) {
				t.Fatal("two encryptions are equal")
			}
			key2, err := tsk2.Decrypt(ek2, dpk, req.Input)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(key.Bytes(), key2.Bytes()) {
				t.Fatal("vetKey depends on the subset of nodes or the transport key")
			}
			parsed, err := vetkd.ParseEncryptedKey(ek.Bytes())
			if err != nil || !bytes.Equal(parsed.Bytes(), ek.Bytes()) {
				t.Fatalf("encrypted key does not round-trip: %v", err)
			}
		})
	}
}

// TestRefusals tries the wrong transport key, input, context and canister,
// and tampered encrypted keys.
func TestRefusals(t *testing.T) {
	s := newSubnet(t, 4)
	tsk := newTransport(t)
	req := &vetkd.Request{CanisterID: canister, Context: []byte("ctx"), Input: []byte("alice"),
		TransportPublicKey: tsk.PublicKey().Bytes()}
	d := newDerivation(t, s.pc, req)
	ek, _, err := d.Combine(s.encShares(t, d, all(4)))
	if err != nil {
		t.Fatal(err)
	}
	m := s.master(t)
	dpk := d.PublicKey()
	other := newTransport(t)

	refused := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, vetkd.ErrInvalidKey) {
			t.Errorf("%s: got %v, want ErrInvalidKey", name, err)
		}
	}
	_, err = other.Decrypt(ek, dpk, req.Input)
	refused("wrong transport secret key", err)
	refused("verify under another transport key", ek.Verify(dpk, req.Input, other.PublicKey()))
	_, err = tsk.Decrypt(ek, dpk, []byte("bob"))
	refused("wrong input", err)
	_, err = tsk.Decrypt(ek, vetkd.DerivePublicKey(m, canister, []byte("other")), req.Input)
	refused("wrong context", err)
	_, err = tsk.Decrypt(ek, vetkd.DerivePublicKey(m, canister, nil), req.Input)
	refused("empty context", err)
	_, err = tsk.Decrypt(ek, vetkd.DerivePublicKey(m, []byte{1, 2, 3}, req.Context), req.Input)
	refused("wrong canister", err)

	// Tampered points (each replaced by another valid point).
	raw := ek.Bytes()
	g1 := bls12381.G1().Generator().Bytes()
	g2 := bls12381.G2().Generator().Bytes()
	for _, tc := range []struct {
		name string
		at   int
		with []byte
	}{{"C1", 0, g1}, {"C2", 48, g2}, {"C3", 144, g1}} {
		b := slices.Clone(raw)
		copy(b[tc.at:], tc.with)
		bad, err := vetkd.ParseEncryptedKey(b)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tsk.Decrypt(bad, dpk, req.Input)
		refused("tampered "+tc.name, err)
		refused("verify tampered "+tc.name, bad.Verify(dpk, req.Input, tsk.PublicKey()))
		refused("derivation verify tampered "+tc.name, d.Verify(bad))
	}
	// A key with C1 and C2 consistent but C3 shifted decrypts to a wrong key.
	for _, flip := range []int{0, 10, 47, 48, 100, 143, 144, 191} {
		b := slices.Clone(raw)
		b[flip] ^= 0x01
		if bad, err := vetkd.ParseEncryptedKey(b); err == nil {
			_, err = tsk.Decrypt(bad, dpk, req.Input)
			refused(fmt.Sprintf("bit flipped at byte %d", flip), err)
		}
	}
}

// TestLiars checks that f nodes sending tampered or malformed shares do not
// stop combination and are named, and that more liars than n−t stop it.
func TestLiars(t *testing.T) {
	for _, n := range []int{4, 13} {
		t.Run(fmt.Sprint("n=", n), func(t *testing.T) {
			s := newSubnet(t, n)
			tsk := newTransport(t)
			req := &vetkd.Request{CanisterID: canister, Input: []byte("x"), TransportPublicKey: tsk.PublicKey().Bytes()}
			d := newDerivation(t, s.pc, req)
			other := newDerivation(t, s.pc, &vetkd.Request{CanisterID: canister, Input: []byte("y"),
				TransportPublicKey: tsk.PublicKey().Bytes()})
			shares := s.encShares(t, d, all(n))

			// The first f nodes lie, each differently, so that the
			// optimistic combination of the first t shares fails.
			var liars []int
			for i := range s.f {
				liars = append(liars, i)
				switch i % 3 {
				case 0: // a valid share for another input
					sh, err := other.CreateShare(rand.Reader, s.shares[i])
					if err != nil {
						t.Fatal(err)
					}
					shares[i] = sh
				case 1: // C3 replaced by another point
					b := slices.Clone(shares[i])
					copy(b[144:], bls12381.G1().Generator().Bytes())
					shares[i] = b
				case 2: // not a share at all
					shares[i] = shares[i][:100]
				}
				if err := d.VerifyShare(i, shares[i]); err == nil {
					t.Fatalf("tampered share of node %d verifies", i)
				}
			}
			ek, bad, err := d.Combine(shares)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(bad, liars) {
				t.Fatalf("bad %v, want %v", bad, liars)
			}
			if _, err := tsk.Decrypt(ek, d.PublicKey(), req.Input); err != nil {
				t.Fatal(err)
			}

			// A share verified under another node's index is refused.
			if err := d.VerifyShare(n-1, shares[n-2]); !errors.Is(err, vetkd.ErrInvalidKey) {
				t.Fatalf("share of node %d accepted as node %d's: %v", n-2, n-1, err)
			}

			// n − t + 1 liars leave fewer than t valid shares.
			tooMany := all(n)[:n-d.Threshold()+1]
			g1, g2 := bls12381.G1().Generator().Bytes(), bls12381.G2().Generator().Bytes()
			for _, i := range tooMany {
				shares[i] = slices.Concat(g1, g2, g1) // well-formed, not a share
			}
			if _, bad, err := d.Combine(shares); err == nil || !slices.Equal(bad, tooMany) {
				t.Fatalf("combine with %d liars: err %v, bad %v", len(tooMany), err, bad)
			}
		})
	}
}

func TestCombineErrors(t *testing.T) {
	s := newSubnet(t, 4)
	tsk := newTransport(t)
	d := newDerivation(t, s.pc, &vetkd.Request{CanisterID: canister, TransportPublicKey: tsk.PublicKey().Bytes()})
	shares := s.encShares(t, d, []int{0, 1})
	if _, _, err := d.Combine(shares); err == nil {
		t.Fatal("combined 2 shares with threshold 3")
	}
	shares[-1] = shares[0]
	if _, _, err := d.Combine(shares); err == nil {
		t.Fatal("accepted node index -1")
	}
	if err := d.VerifyShare(thresholdsig.MaxNodes, shares[0]); err == nil {
		t.Fatal("verified a share of an out-of-range node")
	}
	if _, err := d.CreateShare(rand.Reader, nil); err == nil {
		t.Fatal("created a share without a key")
	}
}

// notInG1 and notInG2 return compressed encodings of points on the curves
// but outside the prime-order subgroups.
func notInG1(t *testing.T) [][]byte {
	var out [][]byte
	var small bls.G1Affine // (0, 2), of order 3
	small.Y.SetUint64(2)
	b := small.Bytes()
	out = append(out, b[:])
	for range 2 {
		var f fp.Element
		if _, err := f.SetRandom(); err != nil {
			t.Fatal(err)
		}
		j := bls.GeneratePointNotInG1(f)
		var a bls.G1Affine
		a.FromJacobian(&j)
		if !a.IsOnCurve() || a.IsInSubGroup() {
			t.Fatal("test point not outside the subgroup")
		}
		b := a.Bytes()
		out = append(out, b[:])
	}
	return out
}

func notInG2(t *testing.T) [][]byte {
	var out [][]byte
	for range 2 {
		var f bls.E2
		if _, err := f.A0.SetRandom(); err != nil {
			t.Fatal(err)
		}
		if _, err := f.A1.SetRandom(); err != nil {
			t.Fatal(err)
		}
		j := bls.GeneratePointNotInG2(f)
		var a bls.G2Affine
		a.FromJacobian(&j)
		if !a.IsOnCurve() || a.IsInSubGroup() {
			t.Fatal("test point not outside the subgroup")
		}
		b := a.Bytes()
		out = append(out, b[:])
	}
	return out
}

// TestStrictDecoding feeds identity, non-subgroup, truncated and oversized
// encodings to every decoder that takes points from outside.
func TestStrictDecoding(t *testing.T) {
	id1 := append([]byte{0xc0}, make([]byte, 47)...)
	id2 := append([]byte{0xc0}, make([]byte, 95)...)
	g1 := bls12381.G1().Generator().Bytes()
	g2 := bls12381.G2().Generator().Bytes()

	bad1 := append([][]byte{id1, g1[:47], append(slices.Clone(g1), 0), nil}, notInG1(t)...)
	bad2 := append([][]byte{id2, g2[:95], append(slices.Clone(g2), 0), nil}, notInG2(t)...)

	for i, b := range bad1 {
		if _, err := vetkd.ParseTransportPublicKey(b); err == nil {
			t.Errorf("transport public key %d accepted: %x", i, b)
		}
		if _, err := vetkd.ParseVetKey(b); err == nil {
			t.Errorf("vetKey %d accepted: %x", i, b)
		}
		if len(b) == 48 {
			for _, at := range []int{0, 144} {
				ek := slices.Concat(g1, g2, g1)
				copy(ek[at:], b)
				if _, err := vetkd.ParseEncryptedKey(ek); err == nil {
					t.Errorf("encrypted key with G1 point %d at %d accepted", i, at)
				}
			}
		}
	}
	for i, b := range bad2 {
		if _, err := vetkd.ParseMasterPublicKey(b); err == nil {
			t.Errorf("master public key %d accepted: %x", i, b)
		}
		if _, err := vetkd.ParseDerivedPublicKey(b); err == nil {
			t.Errorf("derived public key %d accepted: %x", i, b)
		}
		if len(b) == 96 {
			ek := slices.Concat(g1, b, g1)
			if _, err := vetkd.ParseEncryptedKey(ek); err == nil {
				t.Errorf("encrypted key with G2 point %d accepted", i)
			}
		}
	}
	if _, err := vetkd.ParseEncryptedKey(slices.Concat(g1, g2, g1)); err != nil {
		t.Fatalf("valid points refused: %v", err)
	}
	for _, n := range []int{0, 191, 193} {
		if _, err := vetkd.ParseEncryptedKey(make([]byte, n)); err == nil {
			t.Errorf("encrypted key of %d bytes accepted", n)
		}
	}

	// A derivation refuses an identity or non-subgroup transport key, and
	// so does share verification.
	s := newSubnet(t, 4)
	for i, b := range bad1 {
		if _, err := vetkd.NewDerivation(s.pc, &vetkd.Request{CanisterID: canister, TransportPublicKey: b}); err == nil {
			t.Errorf("derivation with transport key %d accepted", i)
		}
	}

	// Transport secret keys: zero and values ≥ r are refused.
	if _, err := vetkd.ParseTransportSecretKey(make([]byte, 32)); err == nil {
		t.Error("zero transport secret key accepted")
	}
	if _, err := vetkd.ParseTransportSecretKey(bytes.Repeat([]byte{0xff}, 32)); err == nil {
		t.Error("transport secret key ≥ r accepted")
	}
	tsk := newTransport(t)
	again, err := vetkd.ParseTransportSecretKey(tsk.Bytes())
	if err != nil || !bytes.Equal(again.PublicKey().Bytes(), tsk.PublicKey().Bytes()) {
		t.Fatalf("transport secret key does not round-trip: %v", err)
	}
	if s := fmt.Sprint(tsk); s != "vetkd.TransportSecretKey(REDACTED)" {
		t.Errorf("transport secret key prints as %q", s)
	}
}

func TestDerivationSteps(t *testing.T) {
	s := newSubnet(t, 4)
	m := s.master(t)
	ck := m.DeriveCanisterKey(canister)
	if !vetkd.DerivePublicKey(m, canister, nil).Equal(ck) {
		t.Fatal("empty context does not give the canister key")
	}
	sub := ck.DeriveSubKey([]byte("a"))
	if sub.Equal(ck) || sub.Equal(ck.DeriveSubKey([]byte("b"))) {
		t.Fatal("sub-keys collide")
	}
	if ck.Equal(m.DeriveCanisterKey(append(slices.Clone(canister), 0))) {
		t.Fatal("canister keys collide")
	}
	p, err := vetkd.ParseDerivedPublicKey(sub.Bytes())
	if err != nil || !p.Equal(sub) || len(sub.Bytes()) != vetkd.PublicKeySize {
		t.Fatalf("derived key does not round-trip: %v", err)
	}
}

// TestDerivationVectors checks derivations under the IC's production master
// keys against values computed by @dfinity/vetkeys (testdata/
// derivation-vectors.json.txt says how).
func TestDerivationVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/derivation-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var generic struct {
		Vectors []map[string]string `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	if len(generic.Vectors) < 32 {
		t.Fatalf("%d vectors", len(generic.Vectors))
	}
	for i, tv := range generic.Vectors {
		if want := productionKeys[tv["master_key_id"]]; tv["master_public_key"] != want {
			t.Fatalf("vector %d: master key %s is not %s", i, tv["master_public_key"], tv["master_key_id"])
		}
		mb, _ := hex.DecodeString(tv["master_public_key"])
		c, _ := hex.DecodeString(tv["canister_id"])
		ctx, _ := hex.DecodeString(tv["context"])
		m, err := vetkd.ParseMasterPublicKey(mb)
		if err != nil {
			t.Fatal(err)
		}
		ck := hex.EncodeToString(m.DeriveCanisterKey(c).Bytes())
		pk := hex.EncodeToString(vetkd.DerivePublicKey(m, c, ctx).Bytes())
		if ck != tv["canister_key"] || pk != tv["public_key"] {
			t.Errorf("vector %d (%s, canister %x, context %x): got %s / %s, want %s / %s",
				i, tv["master_key_id"], c, ctx, ck, pk, tv["canister_key"], tv["public_key"])
		}
	}
}

func TestIBE(t *testing.T) {
	s := newSubnet(t, 4)
	tsk := newTransport(t)
	identity := []byte("alice")
	req := &vetkd.Request{CanisterID: canister, Context: []byte("mail"), Input: identity,
		TransportPublicKey: tsk.PublicKey().Bytes()}
	d := newDerivation(t, s.pc, req)
	ek, _, err := d.Combine(s.encShares(t, d, all(4)))
	if err != nil {
		t.Fatal(err)
	}
	key, err := tsk.Decrypt(ek, d.PublicKey(), identity)
	if err != nil {
		t.Fatal(err)
	}
	// The key of another identity.
	d2 := newDerivation(t, s.pc, &vetkd.Request{CanisterID: canister, Context: []byte("mail"), Input: []byte("bob"),
		TransportPublicKey: tsk.PublicKey().Bytes()})
	ek2, _, err := d2.Combine(s.encShares(t, d2, all(4)))
	if err != nil {
		t.Fatal(err)
	}
	bobKey, err := tsk.Decrypt(ek2, d2.PublicKey(), []byte("bob"))
	if err != nil {
		t.Fatal(err)
	}

	for _, m := range [][]byte{{}, []byte("hello"), bytes.Repeat([]byte{1}, 5000)} {
		ct, err := vetkd.IBEEncrypt(rand.Reader, d.PublicKey(), identity, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != vetkd.IBEOverhead+len(m) {
			t.Fatalf("ciphertext of %d bytes for %d bytes", len(ct), len(m))
		}
		pt, err := vetkd.IBEDecrypt(key, ct)
		if err != nil || !bytes.Equal(pt, m) {
			t.Fatalf("round trip of %d bytes: %v", len(m), err)
		}
		if _, err := vetkd.IBEDecrypt(bobKey, ct); !errors.Is(err, vetkd.ErrIBEDecrypt) {
			t.Fatalf("another identity's key decrypts: %v", err)
		}
		for _, at := range []int{8 + 96, 8 + 96 + 31, len(ct) - 1} {
			if at >= len(ct) {
				continue
			}
			b := slices.Clone(ct)
			b[at] ^= 1
			if _, err := vetkd.IBEDecrypt(key, b); !errors.Is(err, vetkd.ErrIBEDecrypt) {
				t.Fatalf("ciphertext with byte %d flipped: %v", at, err)
			}
		}
		b := slices.Clone(ct)
		b[0] = 'X'
		if _, err := vetkd.IBEDecrypt(key, b); err == nil {
			t.Fatal("wrong header accepted")
		}
		if _, err := vetkd.IBEDecrypt(key, ct[:vetkd.IBEOverhead-1]); err == nil {
			t.Fatal("truncated ciphertext accepted")
		}
	}
}
