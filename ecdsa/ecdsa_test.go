package ecdsa_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	becdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainkey/chainkey/ecdsa"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// memLog is an in-memory ConsumptionLog.
type memLog map[string]bool

func (m memLog) Consume(id []byte) error {
	if m[string(id)] {
		return ecdsa.ErrPresignatureReused
	}
	m[string(id)] = true
	return nil
}

type subnet struct {
	nw      *idkgtest.Network
	key     *idkg.Transcript
	keyOpen []*idkg.Opening
	logs    []memLog
	counter int
}

func newSubnet(t testing.TB, n int, seed uint64) *subnet {
	t.Helper()
	cfg, err := idkg.NewConfig(secp256k1.Group(), n)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := idkgtest.New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	masked, err := nw.Run([]byte("ecdsa-key-masked"), idkg.NewRandom(n), nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := nw.Run([]byte("ecdsa-key"), idkg.NewReshareOfMasked(masked.Transcript),
		idkgtest.PerDealer(masked.Openings))
	if err != nil {
		t.Fatal(err)
	}
	s := &subnet{nw: nw, key: key.Transcript, keyOpen: key.Openings}
	for range n {
		s.logs = append(s.logs, memLog{})
	}
	return s
}

// presign makes one presignature and every live node's share of it.
func (s *subnet) presign(t testing.TB) (*ecdsa.Presignature, []*ecdsa.PresignatureShare, []int) {
	t.Helper()
	s.counter++
	id := func(name string) []byte { return fmt.Appendf(nil, "presig-%d-%s", s.counter, name) }
	n := s.key.Receivers
	kappa, err := s.nw.Run(id("kappa"), idkg.NewRandomUnmasked(n), nil)
	if err != nil {
		t.Fatal(err)
	}
	lambda, err := s.nw.Run(id("lambda"), idkg.NewRandom(n), nil)
	if err != nil {
		t.Fatal(err)
	}
	kl, err := s.nw.Run(id("kappa-lambda"), idkg.NewUnmaskedTimesMasked(kappa.Transcript, lambda.Transcript),
		idkgtest.PerDealer(kappa.Openings, lambda.Openings))
	if err != nil {
		t.Fatal(err)
	}
	xl, err := s.nw.Run(id("key-lambda"), idkg.NewUnmaskedTimesMasked(s.key, lambda.Transcript),
		idkgtest.PerDealer(s.keyOpen, lambda.Openings))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ecdsa.NewPresignature(id("quadruple"), s.key, kappa.Transcript, lambda.Transcript, kl.Transcript, xl.Transcript)
	if err != nil {
		t.Fatal(err)
	}
	shares := make([]*ecdsa.PresignatureShare, n)
	for i := range n {
		if lambda.Openings[i] == nil {
			continue
		}
		if shares[i], err = ecdsa.NewPresignatureShare(p, i, lambda.Openings[i], kl.Openings[i], xl.Openings[i]); err != nil {
			t.Fatal(err)
		}
	}
	culprits := slices.Concat(kappa.Culprits, lambda.Culprits, kl.Culprits, xl.Culprits)
	slices.Sort(culprits)
	return p, shares, slices.Compact(culprits)
}

func request(msg string, caller string, path ...string) *ecdsa.Request {
	h := sha256.Sum256([]byte(msg))
	r := sha256.Sum256([]byte("beacon:" + msg))
	var dp [][]byte
	for _, p := range path {
		dp = append(dp, []byte(p))
	}
	return &ecdsa.Request{MessageHash: h[:], Caller: []byte(caller), DerivationPath: dp, Randomness: r[:]}
}

// checkOutside verifies sig with btcec and go-ethereum's Ecrecover.
func checkOutside(t *testing.T, req *ecdsa.Request, sig *ecdsa.Signature) {
	t.Helper()
	pk, err := btcec.ParsePubKey(sig.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var r, s btcec.ModNScalar
	r.SetByteSlice(sig.R[:])
	s.SetByteSlice(sig.S[:])
	if !becdsa.NewSignature(&r, &s).Verify(req.MessageHash, pk) {
		t.Fatal("btcec/v2/ecdsa rejects the signature")
	}
	if s.IsOverHalfOrder() {
		t.Fatal("high S")
	}
	rec, err := crypto.Ecrecover(req.MessageHash, append(sig.Bytes(), sig.RecoveryID))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec, pk.SerializeUncompressed()) {
		t.Fatal("Ecrecover recovers another key")
	}
	if !crypto.VerifySignature(sig.PublicKey, req.MessageHash, sig.Bytes()) {
		t.Fatal("go-ethereum VerifySignature rejects the signature")
	}
}

func signAll(t *testing.T, s *subnet, p *ecdsa.Presignature, shares []*ecdsa.PresignatureShare, req *ecdsa.Request, signers []int) []*ecdsa.SignatureShare {
	t.Helper()
	var out []*ecdsa.SignatureShare
	for _, i := range signers {
		sh, err := ecdsa.SignShare(s.key, p, shares[i], req, s.logs[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := ecdsa.VerifyShare(s.key, p, req, sh); err != nil {
			t.Fatalf("share of %d: %v", i, err)
		}
		out = append(out, sh)
	}
	return out
}

func TestSignAndVerifyOutside(t *testing.T) {
	for _, n := range []int{4, 7} {
		s := newSubnet(t, n, uint64(n))
		for k := 0; k < 8/n; k++ {
			p, shares, _ := s.presign(t)
			req := request(fmt.Sprintf("message %d", k), "\x00\x00\x00\x00\x01\xb0\x65\x5c\x01\x01", "Hello", "Threshold")
			f := (n - 1) / 3
			// 2f+1 signers, starting at a different node each time.
			var signers []int
			for j := 0; j < 2*f+1; j++ {
				signers = append(signers, (k+j)%n)
			}
			sig, culprits, err := ecdsa.Combine(s.key, p, req, signAll(t, s, p, shares, req, signers))
			if err != nil || len(culprits) != 0 {
				t.Fatalf("n=%d: %v %v", n, err, culprits)
			}
			checkOutside(t, req, sig)
			dk, _ := ecdsa.DerivePublicKey(s.key, req.Caller, req.DerivationPath)
			if !bytes.Equal(dk.PublicKey, sig.PublicKey) {
				t.Fatal("signature under another key than ecdsa_public_key returns")
			}
			master, _ := s.key.PublicValue()
			if ecdsa.Verify(master.Bytes(), req.MessageHash, sig.Bytes()) == nil {
				t.Fatal("signature verifies under the underived master key")
			}
			other, _ := ecdsa.DerivePublicKey(s.key, []byte("another canister"), req.DerivationPath)
			if ecdsa.Verify(other.PublicKey, req.MessageHash, sig.Bytes()) == nil {
				t.Fatal("signature verifies under another caller's key")
			}
		}
	}
}

func TestBadShareIdentified(t *testing.T) {
	s := newSubnet(t, 7, 11)
	p, shares, _ := s.presign(t)
	req := request("bad share", "caller")
	sh := signAll(t, s, p, shares, req, []int{0, 1, 2, 3, 4})
	// Signer 0 and 1 lie (f = 2).
	sh[0].Numerator.Value.Add(sh[0].Numerator.Value, secp256k1.Group().NewScalar().SetUint64(1))
	sh[1].Denominator.Mask.Add(sh[1].Denominator.Mask, secp256k1.Group().NewScalar().SetUint64(1))
	for _, bad := range sh[:2] {
		if err := ecdsa.VerifyShare(s.key, p, req, bad); !errors.Is(err, ecdsa.ErrInvalidShare) {
			t.Fatalf("tampered share accepted: %v", err)
		}
	}
	sig, culprits, err := ecdsa.Combine(s.key, p, req, sh)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(culprits, []int{0, 1}) {
		t.Fatalf("culprits %v", culprits)
	}
	checkOutside(t, req, sig)
	// Too few valid shares: combination fails and names the culprits.
	if _, c, err := ecdsa.Combine(s.key, p, req, sh[:3]); err == nil || !slices.Equal(c, []int{0, 1}) {
		t.Fatalf("combined from f valid shares: %v %v", err, c)
	}
}

func TestPresignatureNeverReused(t *testing.T) {
	s := newSubnet(t, 4, 12)
	p, shares, _ := s.presign(t)
	req := request("once", "caller")
	if _, err := ecdsa.SignShare(s.key, p, shares[0], req, s.logs[0]); err != nil {
		t.Fatal(err)
	}
	// The same in-memory share refuses, whatever the log says.
	if _, err := ecdsa.SignShare(s.key, p, shares[0], request("twice", "caller"), memLog{}); !errors.Is(err, ecdsa.ErrPresignatureReused) {
		t.Fatalf("reused share: %v", err)
	}
	// A copy restored from storage is refused by the durable log.
	p2, shares2, _ := s.presign(t)
	_ = p2
	if _, err := ecdsa.SignShare(s.key, p2, shares2[1], req, s.logs[1]); err != nil {
		t.Fatal(err)
	}
	dup := *shares2[2]
	if _, err := ecdsa.SignShare(s.key, p2, shares2[2], req, s.logs[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := ecdsa.SignShare(s.key, p2, &dup, request("other", "caller"), s.logs[2]); !errors.Is(err, ecdsa.ErrPresignatureReused) {
		t.Fatalf("restored copy signed again: %v", err)
	}
	if fmt.Sprint(shares2[3]) == "" || bytes.Contains([]byte(fmt.Sprintf("%v %+v %#v", shares2[3], shares2[3], shares2[3])), []byte("Scalar{")) {
		t.Fatal("presignature share not redacted")
	}
}

func TestRejects(t *testing.T) {
	s := newSubnet(t, 4, 13)
	p, shares, _ := s.presign(t)
	q, _, _ := s.presign(t)
	good := request("m", "c")
	for name, req := range map[string]*ecdsa.Request{
		"short hash":       {MessageHash: good.MessageHash[:31], Randomness: good.Randomness},
		"long hash":        {MessageHash: append(bytes.Clone(good.MessageHash), 0), Randomness: good.Randomness},
		"short randomness": {MessageHash: good.MessageHash, Randomness: good.Randomness[:31]},
	} {
		if _, err := ecdsa.SignShare(s.key, p, shares[0], req, s.logs[0]); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	// Share of another presignature.
	if _, err := ecdsa.SignShare(s.key, q, shares[0], good, memLog{}); err == nil {
		t.Error("signed with the share of another presignature")
	}
	// Presignature for another key.
	other := newSubnet(t, 4, 14)
	if _, err := ecdsa.SignShare(other.key, p, shares[0], good, memLog{}); err == nil {
		t.Error("signed under another key")
	}
	// A valid share does not verify for another request or presignature.
	sh, err := ecdsa.SignShare(s.key, p, shares[1], good, s.logs[1])
	if err != nil {
		t.Fatal(err)
	}
	if ecdsa.VerifyShare(s.key, p, request("m2", "c"), sh) == nil {
		t.Error("share verifies for another message")
	}
	if ecdsa.VerifyShare(s.key, p, request("m", "c2"), sh) == nil {
		t.Error("share verifies for another caller")
	}
	r2 := request("m", "c")
	r2.Randomness[0] ^= 1
	if ecdsa.VerifyShare(s.key, p, r2, sh) == nil {
		t.Error("share verifies for other randomness")
	}
	// Encoding is strict.
	b, _ := sh.MarshalBinary()
	if d, err := ecdsa.UnmarshalSignatureShare(b); err != nil || ecdsa.VerifyShare(s.key, p, good, d) != nil {
		t.Fatalf("round trip: %v", err)
	}
	for name, bb := range map[string][]byte{"truncated": b[:len(b)-1], "oversized": append(bytes.Clone(b), 0)} {
		if _, err := ecdsa.UnmarshalSignatureShare(bb); err == nil {
			t.Errorf("%s share decoded", name)
		}
	}
	// Presignature made of wrong transcripts.
	if _, err := ecdsa.NewPresignature([]byte("x"), s.key, p.Lambda, p.Lambda, p.KappaLambda, p.KeyLambda); err == nil {
		t.Error("masked κ accepted")
	}
	if _, err := ecdsa.NewPresignature([]byte("x"), s.key, p.Kappa, p.Lambda, p.KeyLambda, p.KappaLambda); err == nil {
		t.Error("swapped products accepted")
	}
	if _, err := ecdsa.NewPresignature([]byte("x"), s.key, q.Kappa, p.Lambda, p.KappaLambda, p.KeyLambda); err == nil {
		t.Error("κλ of another κ accepted")
	}
	// Verify rejects.
	sig := make([]byte, 64)
	pk, _ := s.key.PublicValue()
	if ecdsa.Verify(pk.Bytes(), good.MessageHash, sig) == nil {
		t.Error("zero signature accepted")
	}
}
