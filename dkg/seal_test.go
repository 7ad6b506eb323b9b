package dkg_test

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// TestSealedShares checks shares sealed together: one encapsulation for
// all of them, each decrypting alone (with and without an opener) and only
// in its own context, under its own key and sequence number.
func TestSealedShares(t *testing.T) {
	rng := testRNG(9)
	g := secp256k1.Group()
	sk, _ := dkg.GenerateEncryptionKey(rng)
	sk2, _ := dkg.GenerateEncryptionKey(rng)
	s, err := dkg.NewShareSealer(sk.PublicKey(), 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	var (
		cts      [][]byte
		ctxs     []*dkg.ShareContext
		payloads []dkg.SharePayload
	)
	for i := range 3 {
		a, _ := g.RandomScalar(rng)
		b, _ := g.RandomScalar(rng)
		p := dkg.SharePayload{Scalars: []group.Scalar{a, b}}
		ctx := &dkg.ShareContext{SessionID: []byte{'s', byte(i)}, Dealer: 1, Recipient: 2, Extra: []byte("x")}
		ct, err := s.Seal(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != dkg.CiphertextLen(g, 2)+dkg.SealOverhead {
			t.Fatalf("sealed ciphertext of %d bytes", len(ct))
		}
		cts, ctxs, payloads = append(cts, ct), append(ctxs, ctx), append(payloads, p)
	}
	if !bytes.Equal(cts[0][:1120], cts[2][:1120]) {
		t.Fatal("shares of one sealer carry different encapsulations")
	}
	o := dkg.NewShareOpener(sk)
	for i, ct := range cts {
		for name, open := range map[string]func() (dkg.SharePayload, error){
			"opener":       func() (dkg.SharePayload, error) { return o.Open(ctxs[i], g, 2, ct) },
			"DecryptShare": func() (dkg.SharePayload, error) { return dkg.DecryptShare(sk, ctxs[i], g, 2, ct) },
		} {
			got, err := open()
			if err != nil {
				t.Fatalf("%s, share %d: %v", name, i, err)
			}
			for k := range got.Scalars {
				if !got.Scalars[k].Equal(payloads[i].Scalars[k]) {
					t.Fatalf("%s, share %d: wrong plaintext", name, i)
				}
			}
		}
	}
	// Every other context, key, sequence number or byte fails.
	wrong := []*dkg.ShareContext{
		{SessionID: []byte{'s', 1}, Dealer: 1, Recipient: 2, Extra: []byte("x")}, // share 1's context
		{SessionID: []byte{'s', 0}, Dealer: 0, Recipient: 2, Extra: []byte("x")},
		{SessionID: []byte{'s', 0}, Dealer: 1, Recipient: 3, Extra: []byte("x")},
		{SessionID: []byte{'s', 0}, Dealer: 1, Recipient: 2, Extra: []byte("y")},
	}
	for i, wc := range wrong {
		if _, err := o.Open(wc, g, 2, cts[0]); err == nil {
			t.Errorf("context %d: share 0 opened in another context", i)
		}
	}
	if _, err := dkg.NewShareOpener(sk2).Open(ctxs[0], g, 2, cts[0]); err == nil {
		t.Error("opened with another key")
	}
	for _, pos := range []int{0, 1119, 1120, 1123, 1124, len(cts[0]) - 1} {
		bad := bytes.Clone(cts[0])
		bad[pos] ^= 1
		if _, err := dkg.NewShareOpener(sk).Open(ctxs[0], g, 2, bad); err == nil {
			t.Errorf("byte %d changed: accepted", pos)
		}
	}
	// Share 1's sequence number on share 0's body.
	swapped := bytes.Clone(cts[0])
	copy(swapped[1120:1124], cts[1][1120:1124])
	if _, err := o.Open(ctxs[0], g, 2, swapped); err == nil {
		t.Error("sequence number swapped: accepted")
	}
	for _, n := range []int{len(cts[0]) - 1, len(cts[0]) + 1} {
		if _, err := o.Open(ctxs[0], g, 2, append(bytes.Clone(cts[0]), 0)[:n]); err == nil {
			t.Errorf("ciphertext of %d bytes accepted", n)
		}
	}
	if _, err := o.Open(ctxs[0], g, 1, cts[0]); err == nil {
		t.Error("sealed two scalars opened as one")
	}
	// A sealer seals only its own dealer and recipient.
	if _, err := s.Seal(&dkg.ShareContext{SessionID: []byte("s"), Dealer: 1, Recipient: 3}, payloads[0]); err == nil {
		t.Error("sealer used for another recipient")
	}
	if _, err := s.Seal(&dkg.ShareContext{SessionID: []byte("s"), Dealer: 0, Recipient: 2}, payloads[0]); err == nil {
		t.Error("sealer used for another dealer")
	}
	// An opener also opens single-shot ciphertexts.
	ct, err := dkg.EncryptShare(sk.PublicKey(), ctxs[0], payloads[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Open(ctxs[0], g, 2, ct); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkSealShare(b *testing.B) {
	rng := testRNG(3)
	g := secp256k1.Group()
	sk, _ := dkg.GenerateEncryptionKey(rng)
	a, _ := g.RandomScalar(rng)
	p := dkg.SharePayload{Scalars: []group.Scalar{a, a}}
	ctx := &dkg.ShareContext{SessionID: []byte("s"), Dealer: 1, Recipient: 2}
	b.Run("EncryptShare", func(b *testing.B) {
		for b.Loop() {
			if _, err := dkg.EncryptShare(sk.PublicKey(), ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	s, _ := dkg.NewShareSealer(sk.PublicKey(), 1, 2)
	b.Run("Seal", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Seal(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	ct1, _ := dkg.EncryptShare(sk.PublicKey(), ctx, p)
	b.Run("DecryptShare", func(b *testing.B) {
		for b.Loop() {
			if _, err := dkg.DecryptShare(sk, ctx, g, 2, ct1); err != nil {
				b.Fatal(err)
			}
		}
	})
	ct2, _ := s.Seal(ctx, p)
	o := dkg.NewShareOpener(sk)
	b.Run("OpenSealed", func(b *testing.B) {
		for b.Loop() {
			if _, err := o.Open(ctx, g, 2, ct2); err != nil {
				b.Fatal(err)
			}
		}
	})
}
