package replica

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/vetkd"
)

// Candid of the management canister's vetKD methods as a canister sends
// them (ic.did).
type simVetKDKeyID struct {
	Curve struct {
		candid.IsVariant
		BLS12381G2 *candid.Null `candid:"bls12_381_g2"`
	} `candid:"curve"`
	Name string `candid:"name"`
}

type simVetKDPublicKeyArgs struct {
	CanisterID *principal.Principal `candid:"canister_id"`
	Context    []byte               `candid:"context"`
	KeyID      simVetKDKeyID        `candid:"key_id"`
}

type simVetKDDeriveArgs struct {
	Input              []byte        `candid:"input"`
	Context            []byte        `candid:"context"`
	TransportPublicKey []byte        `candid:"transport_public_key"`
	KeyID              simVetKDKeyID `candid:"key_id"`
}

// TestSimCanisterVetKD: on four nodes, a canister calls vetkd_public_key
// and vetkd_derive_key through the management canister. Its public key
// is the one the node derives for the canister id as caller; its
// encrypted key, combined from the nodes' shares and checked in a block,
// reaches its callback and decrypts, with the transport secret key the
// test made, into a vetKey that verifies under that public key (in
// package vetkd and in the unmodified @dfinity/vetkeys). A transport key
// that is not a G1 point and an unknown key are rejected. One node sends
// bad encrypted key shares; it is convicted and the key is still made.
func TestSimCanisterVetKD(t *testing.T) {
	const liar = 3
	s := newSimSubnet(t, 4, subnetOptions{}, lying(liar, faults{BadVetKDShares: true}))
	c := &canClient{s: s}
	proxy := c.create(canisterWasm(t, "proxy.wat"))
	s.run(200, "vetKD master key", s.vetkdReady)
	mgmt := principal.Management()
	var key simVetKDKeyID
	key.Curve.BLS12381G2 = &candid.Null{}
	key.Name = testVetKDKey[strings.IndexByte(testVetKDKey, ':')+1:]
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx, input := []byte("encrypted-notes-v1"), []byte("alice@example.com")
	enc := func(v any) []byte {
		b, err := candid.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	unknown := key
	unknown.Name = "nope"
	start := s.height()
	r := c.run(0,
		c.call(proxy, "forward", fwd(mgmt, "vetkd_public_key", enc(simVetKDPublicKeyArgs{Context: ctx, KeyID: key}))),
		c.call(proxy, "forward", fwd(mgmt, "vetkd_derive_key", enc(simVetKDDeriveArgs{Input: input, Context: ctx,
			TransportPublicKey: tsk.PublicKey().Bytes(), KeyID: key}))),
		c.call(proxy, "forward", fwd(mgmt, "vetkd_derive_key", enc(simVetKDDeriveArgs{Input: input, Context: ctx,
			TransportPublicKey: bytes.Repeat([]byte{0xaa}, 48), KeyID: key}))),
		c.call(proxy, "forward", fwd(mgmt, "vetkd_derive_key", enc(simVetKDDeriveArgs{Input: input, Context: ctx,
			TransportPublicKey: tsk.PublicKey().Bytes(), KeyID: unknown}))),
	)
	t.Logf("vetkd_derive_key from a canister: %d heights", s.height()-start)
	var pk struct {
		PublicKey []byte `candid:"public_key"`
	}
	var res struct {
		EncryptedKey []byte `candid:"encrypted_key"`
	}
	if r[0].Status != canisters.StatusReplied || candid.Decode(r[0].Reply, &pk) != nil {
		t.Fatalf("vetkd_public_key: %+v", r[0])
	}
	if r[1].Status != canisters.StatusReplied || candid.Decode(r[1].Reply, &res) != nil {
		t.Fatalf("vetkd_derive_key: %+v", r[1])
	}
	want, err := s.nodes[2].app.vetkdPublicKey(testVetKDKey, proxy, ctx)
	if err != nil || !bytes.Equal(want, pk.PublicKey) {
		t.Fatalf("public key is not the canister's: %v", err)
	}
	dpk, err := vetkd.ParseDerivedPublicKey(pk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := vetkd.ParseEncryptedKey(res.EncryptedKey)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := tsk.Decrypt(ek, dpk, input)
	if err != nil {
		t.Fatalf("the canister's encrypted key does not decrypt: %v", err)
	}
	if err := vk.Verify(dpk, input); err != nil {
		t.Fatal(err)
	}
	other, _ := vetkd.GenerateTransportSecretKey(rand.Reader)
	if _, err := other.Decrypt(ek, dpk, input); err == nil {
		t.Fatal("the encrypted key decrypts under another transport key")
	}
	for i, what := range map[int]string{2: "transport public key", 3: "unknown vetKD key"} {
		got := r[i].Reply
		if r[i].Status != canisters.StatusReplied || len(got) < 2 || got[0] != 0xee || got[1] != execution.RejectCanisterReject ||
			!strings.Contains(string(got[2:]), what) {
			t.Fatalf("call %d: want a reject about the %s, got %+v %q", i, what, r[i], got)
		}
	}
	s.sameCanisters()
	s.waitConvicted(liar, 10)
	for i := range s.nodes {
		if cs := s.state(i); len(cs.VetKDPending) != 0 {
			t.Fatalf("node %d: %d derivation requests still pending", i, len(cs.VetKDPending))
		}
	}

	// The unmodified @dfinity/vetkeys decrypts and verifies the key the
	// canister got for the library's transport key.
	t.Run("vetkeys.js", func(t *testing.T) {
		js := startVetKeysJS(t)
		var tk struct {
			ID        int    `json:"id"`
			PublicKey string `json:"publicKey"`
		}
		js.call(map[string]any{"op": "transportKey"}, &tk)
		tpk, _ := hex.DecodeString(tk.PublicKey)
		r := c.run(1, c.call(proxy, "forward", fwd(mgmt, "vetkd_derive_key", enc(simVetKDDeriveArgs{Input: input, Context: ctx,
			TransportPublicKey: tpk, KeyID: key}))))
		var res struct {
			EncryptedKey []byte `candid:"encrypted_key"`
		}
		if r[0].Status != canisters.StatusReplied || candid.Decode(r[0].Reply, &res) != nil {
			t.Fatalf("vetkd_derive_key: %+v", r[0])
		}
		message := []byte("the notes of alice")
		var ct struct{ Ciphertext string }
		if msg := js.call(map[string]any{"op": "ibeEncrypt", "publicKey": hex.EncodeToString(pk.PublicKey),
			"identity": hex.EncodeToString(input), "message": hex.EncodeToString(message)}, &ct); msg != "" {
			t.Fatal(msg)
		}
		var out struct {
			IBEPlaintext string `json:"ibePlaintext"`
		}
		if msg := js.call(map[string]any{"op": "decrypt", "transportKeyId": tk.ID, "encryptedKey": hex.EncodeToString(res.EncryptedKey),
			"publicKey": hex.EncodeToString(pk.PublicKey), "input": hex.EncodeToString(input), "ibeCiphertext": ct.Ciphertext,
			"symmetricDomain": "chainkey-test"}, &out); msg != "" {
			t.Fatalf("decryptAndVerify refuses the canister's encrypted key: %s", msg)
		}
		if out.IBEPlaintext != hex.EncodeToString(message) {
			t.Fatalf("IBE plaintext %s", out.IBEPlaintext)
		}
	})
}

// BenchmarkSimCanisterVetKD measures a canister's vetkd_derive_key on the
// simulated four-node subnet: heights from the block that carries the
// ingress message to the block whose round runs the callback, and the
// processing time of the four state machines in one process (ns/op).
func BenchmarkSimCanisterVetKD(b *testing.B) {
	s := newSimSubnet(b, 4, subnetOptions{}, nil)
	c := &canClient{s: s}
	proxy := c.create(canisterWasm(b, "proxy.wat"))
	s.run(200, "vetKD master key", s.vetkdReady)
	var key simVetKDKeyID
	key.Curve.BLS12381G2 = &candid.Null{}
	key.Name = testVetKDKey[strings.IndexByte(testVetKDKey, ':')+1:]
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	heights := int64(0)
	b.ResetTimer()
	for i := range b.N {
		arg, err := candid.Encode(simVetKDDeriveArgs{Input: []byte{byte(i), byte(i >> 8)}, TransportPublicKey: tsk.PublicKey().Bytes(), KeyID: key})
		if err != nil {
			b.Fatal(err)
		}
		start := s.height()
		r := c.run(i%4, c.call(proxy, "forward", fwd(principal.Management(), "vetkd_derive_key", arg)))
		if r[0].Status != canisters.StatusReplied || r[0].Reply[0] == 0xee {
			b.Fatalf("vetkd_derive_key: %+v", r[0])
		}
		heights += s.height() - start
	}
	b.ReportMetric(float64(heights)/float64(b.N), "heights/op")
}
