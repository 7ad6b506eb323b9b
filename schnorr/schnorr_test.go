package schnorr_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	bschnorr "github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/txscript"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/schnorr"
)

type memLog map[string]bool

func (m memLog) Consume(id []byte) error {
	if m[string(id)] {
		return schnorr.ErrPresignatureReused
	}
	m[string(id)] = true
	return nil
}

type subnet struct {
	alg     schnorr.Algorithm
	nw      *idkgtest.Network
	key     *idkg.Transcript
	keyOpen []*idkg.Opening
	logs    []memLog
	counter int
}

func newSubnet(t testing.TB, alg schnorr.Algorithm, n int, seed uint64) *subnet {
	t.Helper()
	cfg, err := idkg.NewConfig(alg.Group(), n)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := idkgtest.New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	masked, err := nw.Run([]byte("schnorr-key-masked"), idkg.NewRandom(n), nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := nw.Run([]byte("schnorr-key"), idkg.NewReshareOfMasked(masked.Transcript),
		idkgtest.PerDealer(masked.Openings))
	if err != nil {
		t.Fatal(err)
	}
	s := &subnet{alg: alg, nw: nw, key: key.Transcript, keyOpen: key.Openings}
	for range n {
		s.logs = append(s.logs, memLog{})
	}
	return s
}

func (s *subnet) presign(t testing.TB) (*schnorr.Presignature, []*schnorr.PresignatureShare, []int) {
	t.Helper()
	s.counter++
	id := fmt.Appendf(nil, "schnorr-presig-%d", s.counter)
	nonce, err := s.nw.Run(id, idkg.NewRandomUnmasked(s.key.Receivers), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := schnorr.NewPresignature(id, s.alg, s.key, nonce.Transcript)
	if err != nil {
		t.Fatal(err)
	}
	shares := make([]*schnorr.PresignatureShare, s.key.Receivers)
	for i, o := range nonce.Openings {
		if o == nil {
			continue
		}
		if shares[i], err = schnorr.NewPresignatureShare(p, i, o); err != nil {
			t.Fatal(err)
		}
	}
	return p, shares, nonce.Culprits
}

func (s *subnet) sign(t *testing.T, p *schnorr.Presignature, shares []*schnorr.PresignatureShare, req *schnorr.Request, signers []int) []*schnorr.SignatureShare {
	t.Helper()
	var out []*schnorr.SignatureShare
	for _, i := range signers {
		sh, err := schnorr.SignShare(s.key, s.keyOpen[i], p, shares[i], req, s.logs[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := schnorr.VerifyShare(s.key, p, req, sh); err != nil {
			t.Fatalf("share of %d: %v", i, err)
		}
		out = append(out, sh)
	}
	return out
}

func request(msg []byte, caller string, path ...string) *schnorr.Request {
	r := sha256.Sum256(append([]byte("beacon:"), msg...))
	var dp [][]byte
	for _, p := range path {
		dp = append(dp, []byte(p))
	}
	return &schnorr.Request{Message: msg, Caller: []byte(caller), DerivationPath: dp, Randomness: r[:]}
}

func firstSigners(n, start int) []int {
	f := (n - 1) / 3
	var out []int
	for j := 0; j < 2*f+1; j++ {
		out = append(out, (start+j)%n)
	}
	return out
}

func TestBIP340VectorsThroughVerifier(t *testing.T) {
	f, err := os.Open("testdata/bip340-test-vectors.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 16 {
		t.Fatalf("only %d rows", len(rows))
	}
	for _, row := range rows[1:] {
		pk, _ := hex.DecodeString(row[2])
		msg, _ := hex.DecodeString(row[4])
		sig, _ := hex.DecodeString(row[5])
		want := row[6] == "TRUE"
		err := schnorr.VerifyBIP340(pk, msg, sig)
		if (err == nil) != want {
			t.Errorf("vector %s (%s): got %v, want valid=%v", row[0], row[7], err, want)
		}
	}
}

func TestBIP340Threshold(t *testing.T) {
	for _, n := range []int{4, 7} {
		s := newSubnet(t, schnorr.BIP340, n, uint64(n))
		for k, root := range [][]byte{nil, {}, bytes.Repeat([]byte{0xab}, 32)} {
			p, shares, _ := s.presign(t)
			h := sha256.Sum256(fmt.Appendf(nil, "taproot spend %d", k))
			req := request(h[:], "canister", "wallet", "0")
			req.TaprootMerkleRoot = root
			sig, culprits, err := schnorr.Combine(s.key, p, req, s.sign(t, p, shares, req, firstSigners(n, k)))
			if err != nil || len(culprits) != 0 {
				t.Fatalf("n=%d: %v %v", n, err, culprits)
			}
			// Outside verifier: btcec/v2/schnorr.
			pk, err := bschnorr.ParsePubKey(sig.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			bs, err := bschnorr.ParseSignature(sig.Bytes)
			if err != nil || !bs.Verify(h[:], pk) {
				t.Fatalf("n=%d root=%x: btcec rejects: %v", n, root, err)
			}
			// The key is the one schnorr_public_key returns, tweaked per BIP341.
			dk, _ := schnorr.DerivePublicKey(schnorr.BIP340, s.key, req.Caller, req.DerivationPath)
			internal, _ := btcec.ParsePubKey(dk.PublicKey)
			want := dk.PublicKey[1:]
			if root != nil {
				want = bschnorr.SerializePubKey(txscript.ComputeTaprootOutputKey(internal, root))
			}
			if !bytes.Equal(sig.PublicKey, want) {
				t.Fatalf("root=%x: signed under %x, want %x", root, sig.PublicKey, want)
			}
		}
		// Messages of any length.
		for _, msg := range [][]byte{{}, {1}, bytes.Repeat([]byte{7}, 100)} {
			p, shares, _ := s.presign(t)
			req := request(msg, "c")
			sig, _, err := schnorr.Combine(s.key, p, req, s.sign(t, p, shares, req, firstSigners(n, 1)))
			if err != nil || schnorr.VerifyBIP340(sig.PublicKey, msg, sig.Bytes) != nil {
				t.Fatalf("message of %d bytes: %v", len(msg), err)
			}
		}
	}
}

func TestEd25519Threshold(t *testing.T) {
	for _, n := range []int{4, 7} {
		s := newSubnet(t, schnorr.Ed25519, n, uint64(n)+100)
		for k := 0; k < 3; k++ {
			p, shares, _ := s.presign(t)
			req := request(fmt.Appendf(nil, "ed25519 message %d", k), "canister", "a", "")
			sig, _, err := schnorr.Combine(s.key, p, req, s.sign(t, p, shares, req, firstSigners(n, k)))
			if err != nil {
				t.Fatal(err)
			}
			if !ed25519.Verify(sig.PublicKey, req.Message, sig.Bytes) {
				t.Fatal("crypto/ed25519 rejects the signature")
			}
			dk, _ := schnorr.DerivePublicKey(schnorr.Ed25519, s.key, req.Caller, req.DerivationPath)
			if !bytes.Equal(dk.PublicKey, sig.PublicKey) {
				t.Fatal("signature under another key than schnorr_public_key returns")
			}
			master, _ := s.key.PublicValue()
			if ed25519.Verify(master.Bytes(), req.Message, sig.Bytes) {
				t.Fatal("verifies under the master key")
			}
		}
	}
}

func TestBadSharesAndReuse(t *testing.T) {
	for _, alg := range []schnorr.Algorithm{schnorr.BIP340, schnorr.Ed25519} {
		s := newSubnet(t, alg, 7, 21)
		p, shares, _ := s.presign(t)
		req := request([]byte("m"), "c")
		sh := s.sign(t, p, shares, req, []int{0, 1, 2, 3, 4})
		g := alg.Group()
		sh[1].Value.Add(sh[1].Value, g.NewScalar().SetUint64(1))
		sh[3].Value = g.NewScalar()
		for _, bad := range []*schnorr.SignatureShare{sh[1], sh[3]} {
			if err := schnorr.VerifyShare(s.key, p, req, bad); !errors.Is(err, schnorr.ErrInvalidShare) {
				t.Fatalf("%v: bad share accepted: %v", alg, err)
			}
		}
		sig, culprits, err := schnorr.Combine(s.key, p, req, sh)
		if err != nil || !slices.Equal(culprits, []int{1, 3}) {
			t.Fatalf("%v: %v culprits %v", alg, err, culprits)
		}
		if alg == schnorr.Ed25519 && !ed25519.Verify(sig.PublicKey, req.Message, sig.Bytes) {
			t.Fatal("bad signature")
		}
		// Reuse: the in-memory share and the durable log both refuse.
		if _, err := schnorr.SignShare(s.key, s.keyOpen[0], p, shares[0], request([]byte("m2"), "c"), memLog{}); !errors.Is(err, schnorr.ErrPresignatureReused) {
			t.Fatalf("%v: reused share: %v", alg, err)
		}
		p2, shares2, _ := s.presign(t)
		dup := *shares2[5]
		if _, err := schnorr.SignShare(s.key, s.keyOpen[5], p2, shares2[5], req, s.logs[5]); err != nil {
			t.Fatal(err)
		}
		if _, err := schnorr.SignShare(s.key, s.keyOpen[5], p2, &dup, request([]byte("m3"), "c"), s.logs[5]); !errors.Is(err, schnorr.ErrPresignatureReused) {
			t.Fatalf("%v: restored copy signed again: %v", alg, err)
		}
		// Strict share encoding.
		b, _ := sh[0].MarshalBinary()
		if d, err := schnorr.UnmarshalSignatureShare(alg, b); err != nil || schnorr.VerifyShare(s.key, p, req, d) != nil {
			t.Fatalf("round trip: %v", err)
		}
		if _, err := schnorr.UnmarshalSignatureShare(alg, b[:len(b)-1]); err == nil {
			t.Error("truncated share accepted")
		}
		over := append(bytes.Clone(b[:4]), bytes.Repeat([]byte{0xff}, 32)...)
		if _, err := schnorr.UnmarshalSignatureShare(alg, over); err == nil {
			t.Error("out-of-range share accepted")
		}
	}
}

func TestRejects(t *testing.T) {
	s := newSubnet(t, schnorr.BIP340, 4, 31)
	p, shares, _ := s.presign(t)
	good := request([]byte("m"), "c")
	bad := map[string]*schnorr.Request{
		"short randomness": {Message: good.Message, Randomness: good.Randomness[:31]},
		"bad merkle root":  {Message: good.Message, Randomness: good.Randomness, TaprootMerkleRoot: make([]byte, 31)},
	}
	for name, req := range bad {
		if _, err := schnorr.SignShare(s.key, s.keyOpen[0], p, shares[0], req, memLog{}); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	e := newSubnet(t, schnorr.Ed25519, 4, 32)
	ep, eshares, _ := e.presign(t)
	taproot := request([]byte("m"), "c")
	taproot.TaprootMerkleRoot = []byte{}
	if _, err := schnorr.SignShare(e.key, e.keyOpen[0], ep, eshares[0], taproot, memLog{}); err == nil {
		t.Error("taproot tweak accepted for Ed25519")
	}
	// Presignature of one algorithm with the key of another.
	if _, err := schnorr.NewPresignature([]byte("x"), schnorr.Ed25519, s.key, p.Nonce); err == nil {
		t.Error("secp256k1 key accepted for Ed25519")
	}
	// A share verifies for its own request only.
	sh, err := schnorr.SignShare(s.key, s.keyOpen[1], p, shares[1], good, s.logs[1])
	if err != nil {
		t.Fatal(err)
	}
	other := request([]byte("m"), "c")
	other.TaprootMerkleRoot = []byte{}
	for name, req := range map[string]*schnorr.Request{"message": request([]byte("n"), "c"), "caller": request([]byte("m"), "d"), "taproot": other} {
		if schnorr.VerifyShare(s.key, p, req, sh) == nil {
			t.Errorf("share verifies for another %s", name)
		}
	}
	// BIP340 verifier negatives beyond the vectors.
	if schnorr.VerifyBIP340(make([]byte, 31), nil, make([]byte, 64)) == nil || schnorr.VerifyBIP340(make([]byte, 32), nil, make([]byte, 63)) == nil {
		t.Error("wrong lengths accepted")
	}
}
