package thresholdsig

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/poly"
)

// testRand is a deterministic randomness source for reproducible tests.
func testRand(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return mrand.NewChaCha8(s)
}

func identityG1() []byte { return append([]byte{0xc0}, make([]byte, SignatureSize-1)...) }
func identityG2() []byte { return append([]byte{0xc0}, make([]byte, PublicKeySize-1)...) }

func deal(t testing.TB, n, th int) (*PublicCoefficients, []*SecretKeyShare) {
	t.Helper()
	pc, sks, err := Deal(n, th, testRand(uint64(n*100+th)))
	if err != nil {
		t.Fatal(err)
	}
	return pc, sks
}

func signAll(t testing.TB, sks []*SecretKeyShare, msg []byte) [][]byte {
	t.Helper()
	out := make([][]byte, len(sks))
	for i, sk := range sks {
		s, err := SignShare(sk, msg)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

func TestDERPrefixLength(t *testing.T) {
	if len(derPrefix)+PublicKeySize != DERPublicKeySize || DERPublicKeySize != 133 {
		t.Fatalf("DER prefix %d bytes, DER key %d bytes", len(derPrefix), DERPublicKeySize)
	}
}

func TestParsePublicKeyStrict(t *testing.T) {
	pc, _ := deal(t, 4, 3)
	good := pc.PublicKey().Bytes()
	if _, err := ParsePublicKey(good); err != nil {
		t.Fatalf("valid key refused: %v", err)
	}
	offCurve := append([]byte{}, good...)
	offCurve[PublicKeySize-1] ^= 1
	uncompressedFlag := append([]byte{}, good...)
	uncompressedFlag[0] &^= 0x80
	infinityFlagNonZero := identityG2()
	infinityFlagNonZero[PublicKeySize-1] = 1
	cases := map[string][]byte{
		"empty":                {},
		"truncated":            good[:PublicKeySize-1],
		"oversized":            append(append([]byte{}, good...), 0),
		"identity":             identityG2(),
		"infinity with data":   infinityFlagNonZero,
		"not compressed":       uncompressedFlag,
		"off curve or flipped": offCurve,
		"not in subgroup":      nonSubgroupG2(t),
		"G1 point":             good[:SignatureSize],
	}
	for name, b := range cases {
		if _, err := ParsePublicKey(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := ParsePublicKeyOrDER(b); err == nil {
			t.Errorf("%s: accepted by ParsePublicKeyOrDER", name)
		}
		if len(b) == PublicKeySize {
			if _, err := ParseDERPublicKey(append(slices.Clone(derPrefix), b...)); err == nil {
				t.Errorf("%s: accepted in DER", name)
			}
		}
	}
	if _, err := NewPublicKey(nil); err == nil {
		t.Error("nil point accepted")
	}
	if _, err := NewPublicKey(g2().NewPoint()); err == nil {
		t.Error("identity point accepted")
	}
	if _, err := NewPublicKey(g1().Generator()); err == nil {
		t.Error("G1 point accepted as a public key")
	}
}

func TestVerifyNegatives(t *testing.T) {
	pc, sks := deal(t, 4, 3)
	msg := []byte("hello")
	shares := signAll(t, sks, msg)
	sig, err := Combine(3, []int{0, 1, 2}, shares[:3])
	if err != nil {
		t.Fatal(err)
	}
	pk := pc.PublicKey()
	if err := Verify(pk, msg, sig); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	otherPC, _ := deal(t, 5, 3)

	tampered := slices.Clone(sig)
	tampered[SignatureSize-1] ^= 1
	_, nonCanonical := nonCanonicalG1(t)
	uncompressed := slices.Clone(sig)
	uncompressed[0] &^= 0x80
	infinityWithData := identityG1()
	infinityWithData[5] = 1
	cases := []struct {
		name string
		pk   *PublicKey
		msg  []byte
		sig  []byte
		bad  bool // a well-formed signature that does not verify
	}{
		{"tampered signature", pk, msg, tampered, false},
		{"identity signature", pk, msg, identityG1(), false},
		{"infinity flag with data", pk, msg, infinityWithData, false},
		{"not compressed", pk, msg, uncompressed, false},
		{"non-canonical x", pk, msg, nonCanonical, false},
		{"not in subgroup", pk, msg, nonSubgroupG1(t), false},
		{"truncated", pk, msg, sig[:SignatureSize-1], false},
		{"oversized", pk, msg, append(slices.Clone(sig), 0), false},
		{"empty", pk, msg, nil, false},
		{"G2 sized", pk, msg, pk.Bytes(), false},
		{"wrong key", otherPC.PublicKey(), msg, sig, true},
		{"wrong message", pk, []byte("hellp"), sig, true},
		{"empty message", pk, nil, sig, true},
		{"share instead of signature", pk, msg, shares[0], true},
		{"nil key", nil, msg, sig, false},
	}
	for _, c := range cases {
		err := Verify(c.pk, c.msg, c.sig)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if c.bad != errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: error %v; ErrInvalidSignature expected: %v", c.name, err, c.bad)
		}
	}
	// An identity public key cannot be built.
	if _, err := ParsePublicKey(identityG2()); err == nil {
		t.Error("identity key parsed")
	}
	if err := Verify(&PublicKey{}, msg, sig); err == nil {
		t.Error("zero PublicKey accepted")
	}
}

func TestDealSignCombine(t *testing.T) {
	for _, nt := range [][2]int{{1, 1}, {4, 1}, {4, 3}, {4, 4}, {7, 5}} {
		n, th := nt[0], nt[1]
		t.Run(fmt.Sprintf("n=%d_t=%d", n, th), func(t *testing.T) {
			pc, sks := deal(t, n, th)
			if pc.Threshold() != th || len(sks) != n {
				t.Fatalf("threshold %d, %d shares", pc.Threshold(), len(sks))
			}
			msg := []byte("\x0dic-state-root" + strings.Repeat("\x42", 32))
			shares := signAll(t, sks, msg)
			for i, s := range shares {
				if sks[i].Index() != i {
					t.Fatalf("share %d has index %d", i, sks[i].Index())
				}
				if err := VerifyShare(pc, i, msg, s); err != nil {
					t.Fatalf("share %d refused: %v", i, err)
				}
				// A node's share is an ordinary signature under its node key.
				nk, err := pc.NodePublicKey(i)
				if err != nil {
					t.Fatal(err)
				}
				if !nk.Equal(g2().NewPoint().ScalarBaseMult(sks[i].Scalar())) {
					t.Fatalf("node key %d is not f(%d)·g2", i, i+1)
				}
				npk, err := NewPublicKey(nk)
				if err != nil {
					t.Fatal(err)
				}
				if err := Verify(npk, msg, s); err != nil {
					t.Fatalf("share %d under its node key: %v", i, err)
				}
				if th > 1 { // with t = 1 every node holds the same share
					if err := VerifyShare(pc, (i+1)%n, msg, s); !errors.Is(err, ErrInvalidShare) {
						t.Fatalf("share %d accepted for node %d: %v", i, (i+1)%n, err)
					}
				}
			}
			// Every t-subset (in shuffled order) yields the same signature.
			var want []byte
			r := mrand.New(mrand.NewPCG(1, 2))
			for trial := range 10 {
				idx := r.Perm(n)[:th]
				sub := make([][]byte, th)
				for j, i := range idx {
					sub[j] = shares[i]
				}
				sig, err := Combine(th, idx, sub)
				if err != nil {
					t.Fatal(err)
				}
				if err := Verify(pc.PublicKey(), msg, sig); err != nil {
					t.Fatalf("subset %v: %v", idx, err)
				}
				if trial == 0 {
					want = sig
				} else if !bytes.Equal(sig, want) {
					t.Fatalf("subset %v gives another signature", idx)
				}
			}
			// More than t shares: accepted, same signature.
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			sig, err := Combine(th, all, shares)
			if err != nil || !bytes.Equal(sig, want) {
				t.Fatalf("all shares: %x, %v", sig, err)
			}
			// t-1 shares interpolated as if the threshold were t-1 do not
			// give a valid signature.
			if th > 1 {
				sig, err := Combine(th-1, all[:th-1], shares[:th-1])
				if err == nil {
					if err := Verify(pc.PublicKey(), msg, sig); err == nil {
						t.Fatal("t-1 shares made a valid signature")
					}
				}
			}
		})
	}
}

func TestDealRejects(t *testing.T) {
	for _, nt := range [][2]int{{3, 4}, {4, 0}, {4, -1}, {0, 0}, {0, 1}, {-1, -1}, {MaxNodes + 1, 3}} {
		if _, _, err := Deal(nt[0], nt[1], rand.Reader); err == nil {
			t.Errorf("Deal(n=%d, t=%d) accepted", nt[0], nt[1])
		}
	}
	if _, _, err := Deal(4, 3, bytes.NewReader(nil)); err == nil {
		t.Error("Deal with a failing random source succeeded")
	}
}

func TestCombineRejects(t *testing.T) {
	_, sks := deal(t, 4, 3)
	msg := []byte("m")
	s := signAll(t, sks, msg)
	cases := []struct {
		name    string
		t       int
		indices []int
		shares  [][]byte
	}{
		{"t=0", 0, []int{0, 1, 2}, s[:3]},
		{"t<0", -1, []int{0, 1, 2}, s[:3]},
		{"t too large", MaxNodes + 1, []int{0, 1, 2}, s[:3]},
		{"fewer than t", 3, []int{0, 1}, s[:2]},
		{"no shares", 1, nil, nil},
		{"length mismatch", 3, []int{0, 1, 2, 3}, s[:3]},
		{"duplicate index", 3, []int{0, 1, 1}, [][]byte{s[0], s[1], s[1]}},
		{"duplicate index beyond t", 2, []int{0, 1, 0}, [][]byte{s[0], s[1], s[0]}},
		{"negative index", 3, []int{0, 1, -1}, s[:3]},
		{"index too large", 3, []int{0, 1, MaxNodes}, s[:3]},
		{"identity share", 3, []int{0, 1, 2}, [][]byte{s[0], s[1], identityG1()}},
		{"truncated share", 3, []int{0, 1, 2}, [][]byte{s[0], s[1], s[2][:47]}},
		{"non-subgroup share", 3, []int{0, 1, 2}, [][]byte{s[0], s[1], nonSubgroupG1(t)}},
	}
	for _, c := range cases {
		if _, err := Combine(c.t, c.indices, c.shares); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestCombineVerified(t *testing.T) {
	pc, sks := deal(t, 7, 5)
	msg := []byte("certify me")
	good := signAll(t, sks, msg)
	otherMsg := signAll(t, sks, []byte("something else"))
	pk := pc.PublicKey()

	shareMap := func(idx ...int) map[int][]byte {
		m := make(map[int][]byte)
		for _, i := range idx {
			m[i] = good[i]
		}
		return m
	}

	t.Run("all valid", func(t *testing.T) {
		sig, bad, err := CombineVerified(pc, msg, shareMap(0, 1, 2, 3, 4, 5, 6))
		if err != nil || len(bad) != 0 {
			t.Fatalf("bad %v, err %v", bad, err)
		}
		if err := Verify(pk, msg, sig); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("one bad share named", func(t *testing.T) {
		m := shareMap(0, 1, 2, 3, 4, 5, 6)
		m[2] = otherMsg[2] // valid point, wrong message
		sig, bad, err := CombineVerified(pc, msg, m)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(bad, []int{2}) {
			t.Fatalf("bad = %v, want [2]", bad)
		}
		if err := Verify(pk, msg, sig); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("share of another node", func(t *testing.T) {
		m := shareMap(0, 1, 2, 3, 4, 5)
		m[0] = good[6] // node 6's valid share presented as node 0's
		sig, bad, err := CombineVerified(pc, msg, m)
		if err != nil || !slices.Equal(bad, []int{0}) {
			t.Fatalf("bad %v, err %v", bad, err)
		}
		if err := Verify(pk, msg, sig); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("malformed and invalid", func(t *testing.T) {
		m := shareMap(0, 1, 2, 3, 4, 5, 6)
		m[1] = identityG1()
		m[4] = otherMsg[4]
		sig, bad, err := CombineVerified(pc, msg, m)
		if err != nil || !slices.Equal(bad, []int{1, 4}) {
			t.Fatalf("bad %v, err %v", bad, err)
		}
		if err := Verify(pk, msg, sig); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("too few valid shares", func(t *testing.T) {
		m := shareMap(0, 1, 2, 3, 4, 5)
		m[3] = otherMsg[3]
		m[5] = otherMsg[5]
		sig, bad, err := CombineVerified(pc, msg, m)
		if err == nil || sig != nil {
			t.Fatal("combined with too few valid shares")
		}
		if !errors.Is(err, ErrInvalidShare) || !slices.Equal(bad, []int{3, 5}) {
			t.Fatalf("bad %v, err %v", bad, err)
		}
	})
	t.Run("too few shares", func(t *testing.T) {
		if _, _, err := CombineVerified(pc, msg, shareMap(0, 1, 2, 3)); err == nil {
			t.Fatal("accepted 4 shares with t=5")
		}
		m := shareMap(0, 1, 2, 3, 4)
		m[0] = good[0][:10]
		if _, bad, err := CombineVerified(pc, msg, m); err == nil || !slices.Equal(bad, []int{0}) {
			t.Fatalf("bad %v, err %v", bad, err)
		}
	})
	t.Run("index out of range", func(t *testing.T) {
		m := shareMap(0, 1, 2, 3, 4)
		m[-1] = good[5]
		if _, _, err := CombineVerified(pc, msg, m); err == nil {
			t.Fatal("negative index accepted")
		}
	})
	t.Run("nil coefficients", func(t *testing.T) {
		if _, _, err := CombineVerified(nil, msg, shareMap(0, 1, 2, 3, 4)); err == nil {
			t.Fatal("accepted")
		}
	})
}

func TestBatchVerifyShares(t *testing.T) {
	pc, sks := deal(t, 7, 5)
	msg := []byte("beacon round 7")
	good := signAll(t, sks, msg)
	otherMsg := signAll(t, sks, []byte("beacon round 8"))
	all := func() map[int][]byte {
		m := make(map[int][]byte)
		for i, s := range good {
			m[i] = s
		}
		return m
	}

	if bad, err := BatchVerifyShares(pc, msg, all()); err != nil || bad != nil {
		t.Fatalf("valid batch: bad %v, err %v", bad, err)
	}
	if bad, err := BatchVerifyShares(pc, msg, map[int][]byte{3: good[3]}); err != nil || bad != nil {
		t.Fatalf("single share: bad %v, err %v", bad, err)
	}
	if _, err := BatchVerifyShares(pc, []byte("other"), all()); !errors.Is(err, ErrInvalidShare) {
		t.Fatalf("wrong message: %v", err)
	}

	m := all()
	m[5] = otherMsg[5]
	if bad, err := BatchVerifyShares(pc, msg, m); !errors.Is(err, ErrInvalidShare) || !slices.Equal(bad, []int{5}) {
		t.Fatalf("one bad: bad %v, err %v", bad, err)
	}

	m = all()
	m[0] = nonSubgroupG1(t)
	m[6] = good[6][:47]
	m[2] = otherMsg[2]
	if bad, err := BatchVerifyShares(pc, msg, m); !errors.Is(err, ErrInvalidShare) || !slices.Equal(bad, []int{0, 2, 6}) {
		t.Fatalf("three bad: bad %v, err %v", bad, err)
	}

	// Two shares whose errors cancel in a plain sum (σ_1 + D, σ_3 - D) pass
	// an unweighted batch check; the random coefficients catch them.
	d := g1().Generator()
	s1, _ := g1().DecodePoint(good[1])
	s3, _ := g1().DecodePoint(good[3])
	m = all()
	m[1] = g1().NewPoint().Add(s1, d).Bytes()
	m[3] = g1().NewPoint().Sub(s3, d).Bytes()
	if bad, err := BatchVerifyShares(pc, msg, m); !errors.Is(err, ErrInvalidShare) || !slices.Equal(bad, []int{1, 3}) {
		t.Fatalf("cancelling pair: bad %v, err %v", bad, err)
	}

	m = all()
	m[MaxNodes] = good[0]
	if _, err := BatchVerifyShares(pc, msg, m); err == nil || errors.Is(err, ErrInvalidShare) {
		t.Fatalf("out-of-range index: %v", err)
	}
	if _, err := BatchVerifyShares(pc, msg, nil); err == nil {
		t.Fatal("empty batch accepted")
	}
	if _, err := BatchVerifyShares(nil, msg, all()); err == nil {
		t.Fatal("nil coefficients accepted")
	}
	if bad, err := BatchVerifyShares(pc, msg, map[int][]byte{4: identityG1()}); err == nil || !slices.Equal(bad, []int{4}) {
		t.Fatalf("only malformed: bad %v, err %v", bad, err)
	}
}

func TestVerifyShareRejects(t *testing.T) {
	pc, sks := deal(t, 4, 3)
	msg := []byte("m")
	s, _ := SignShare(sks[1], msg)
	if err := VerifyShare(pc, 1, msg, s); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"negative index":  func() error { return VerifyShare(pc, -1, msg, s) },
		"index too large": func() error { return VerifyShare(pc, MaxNodes, msg, s) },
		"wrong node":      func() error { return VerifyShare(pc, 2, msg, s) },
		"wrong message":   func() error { return VerifyShare(pc, 1, []byte("n"), s) },
		"identity":        func() error { return VerifyShare(pc, 1, msg, identityG1()) },
		"truncated":       func() error { return VerifyShare(pc, 1, msg, s[:47]) },
		"oversized":       func() error { return VerifyShare(pc, 1, msg, append(slices.Clone(s), 0)) },
		"non-subgroup":    func() error { return VerifyShare(pc, 1, msg, nonSubgroupG1(t)) },
		"nil":             func() error { return VerifyShare(nil, 1, msg, s) },
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := pc.NodePublicKey(-1); err == nil {
		t.Error("NodePublicKey(-1) succeeded")
	}
}

func TestPublicCoefficientsEncoding(t *testing.T) {
	pc, sks := deal(t, 4, 3)
	b := pc.Bytes()
	if len(b) != 3*PublicKeySize {
		t.Fatalf("%d bytes", len(b))
	}
	pc2, err := ParsePublicCoefficients(b)
	if err != nil {
		t.Fatal(err)
	}
	if !pc2.Equal(pc) || !pc2.PublicKey().Equal(pc.PublicKey()) || pc2.Threshold() != 3 {
		t.Fatal("round trip differs")
	}
	// The parsed coefficients verify the dealer's shares.
	s, _ := SignShare(sks[3], []byte("x"))
	if err := VerifyShare(pc2, 3, []byte("x"), s); err != nil {
		t.Fatal(err)
	}
	// Through poly.Commitment, as the DKG hands it over.
	pc3, err := NewPublicCoefficients(pc.Commitment())
	if err != nil || !pc3.Equal(pc) {
		t.Fatalf("NewPublicCoefficients(Commitment()): %v", err)
	}

	withIdentity := slices.Clone(b)
	copy(withIdentity[PublicKeySize:], identityG2())
	withNonSubgroup := slices.Clone(b)
	copy(withNonSubgroup[2*PublicKeySize:], nonSubgroupG2(t))
	for name, enc := range map[string][]byte{
		"empty":           nil,
		"truncated":       b[:len(b)-1],
		"oversized":       append(slices.Clone(b), 0),
		"identity point":  withIdentity,
		"identity first":  identityG2(),
		"non-subgroup":    withNonSubgroup,
		"too many points": bytes.Repeat(b[:PublicKeySize], MaxNodes+1),
	} {
		if _, err := ParsePublicCoefficients(enc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	if _, err := NewPublicCoefficients(nil); err == nil {
		t.Error("nil commitment accepted")
	}
	c1, _ := poly.NewCommitment(g1(), []group.Point{g1().Generator()})
	if _, err := NewPublicCoefficients(c1); err == nil {
		t.Error("G1 commitment accepted")
	}
	ci, _ := poly.NewCommitment(g2(), []group.Point{g2().Generator(), g2().NewPoint()})
	if _, err := NewPublicCoefficients(ci); err == nil {
		t.Error("commitment with an identity point accepted")
	}
}

func TestSecretKeyShareEncoding(t *testing.T) {
	_, sks := deal(t, 4, 3)
	sk := sks[2]
	b, err := sk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var sk2 SecretKeyShare
	if err := sk2.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if sk2.Index() != 2 || !sk2.Scalar().Equal(sk.Scalar()) {
		t.Fatal("round trip differs")
	}
	order := g1().Order().FillBytes(make([]byte, 32))
	zero := make([]byte, 32)
	mk := func(version byte, idx uint32, s []byte) []byte {
		return append([]byte{version, byte(idx >> 24), byte(idx >> 16), byte(idx >> 8), byte(idx)}, s...)
	}
	for name, enc := range map[string][]byte{
		"empty":           nil,
		"truncated":       b[:len(b)-1],
		"oversized":       append(slices.Clone(b), 0),
		"bad version":     mk(2, 2, b[5:]),
		"index too large": mk(1, MaxNodes, b[5:]),
		"negative index":  mk(1, 0xffffffff, b[5:]),
		"scalar = order":  mk(1, 2, order),
		"zero scalar":     mk(1, 2, zero),
	} {
		var s SecretKeyShare
		if err := s.UnmarshalBinary(enc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	if _, err := NewSecretKeyShare(-1, sk.Scalar()); err == nil {
		t.Error("negative index accepted")
	}
	if _, err := NewSecretKeyShare(MaxNodes, sk.Scalar()); err == nil {
		t.Error("index MaxNodes accepted")
	}
	if _, err := NewSecretKeyShare(0, nil); err == nil {
		t.Error("nil scalar accepted")
	}
	if _, err := NewSecretKeyShare(0, g2().NewScalar()); err == nil {
		t.Error("zero scalar accepted")
	}
	if _, err := NewSecretKeyShare(0, secp256k1.Group().NewScalar().SetUint64(5)); err == nil {
		t.Error("secp256k1 scalar accepted")
	}
	// A G2 scalar (the DKG's polynomial field) is accepted and copied.
	s := g2().NewScalar().SetUint64(7)
	sk3, err := NewSecretKeyShare(1, s)
	if err != nil {
		t.Fatal(err)
	}
	s.Zeroize()
	if sk3.Scalar().IsZero() {
		t.Fatal("share aliases the caller's scalar")
	}

	sk2.Zeroize()
	if !sk2.Scalar().IsZero() {
		t.Fatal("Zeroize left the secret")
	}
	if _, err := SignShare(&sk2, []byte("m")); err == nil {
		t.Fatal("signed with a zeroized share")
	}
	if _, err := sk2.MarshalBinary(); err == nil {
		t.Fatal("marshalled a zeroized share")
	}
	if _, err := SignShare(nil, []byte("m")); err == nil {
		t.Fatal("signed with nil")
	}
}

func TestSecretKeyShareRedacts(t *testing.T) {
	_, sks := deal(t, 4, 3)
	sk := sks[1]
	secret := sk.Scalar().Bytes()
	hexSecret := hex.EncodeToString(secret)
	type holder struct{ Share *SecretKeyShare }
	type valueHolder struct{ Share SecretKeyShare }
	outs := []string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		outs = append(outs,
			fmt.Sprintf(verb, sk),
			fmt.Sprintf(verb, *sk),
			fmt.Sprintf(verb, holder{sk}),
			fmt.Sprintf(verb, valueHolder{*sk}),
			fmt.Sprintf(verb, []*SecretKeyShare{sk}),
		)
	}
	outs = append(outs, sk.String(), sk.GoString(), fmt.Sprint(sk), fmt.Sprintln(*sk))
	for _, out := range outs {
		low := strings.ToLower(out)
		if strings.Contains(low, hexSecret) || strings.Contains(out, string(secret)) {
			t.Fatalf("secret printed: %s", out)
		}
	}
	if got := fmt.Sprintf("%v", sk); !strings.Contains(got, "REDACTED") || !strings.Contains(got, "index: 1") {
		t.Fatalf("unexpected rendering %q", got)
	}
	if got := fmt.Sprintf("%+v", valueHolder{*sk}); !strings.Contains(got, "REDACTED") {
		t.Fatalf("unexpected rendering %q", got)
	}
}

// TestPublicCoefficientsConcurrent exercises the node key cache from several
// goroutines (run with -race).
func TestPublicCoefficientsConcurrent(t *testing.T) {
	pc, sks := deal(t, 4, 3)
	msg := []byte("m")
	shares := signAll(t, sks, msg)
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			i := g % 4
			errs <- VerifyShare(pc, i, msg, shares[i])
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
