package canisters

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/chainkey/chainkey/vetkd"
)

const testVetKDKeyName = "test_key_1"

// vetkdBlock runs one block as h.block does, with the master keys keys.
func vetkdBlock(h *harness, keys map[string]*vetkd.MasterPublicKey, msgs ...*Message) [][32]byte {
	h.t.Helper()
	h.height++
	var ids [][32]byte
	if len(msgs) > 0 {
		tx, err := EncodeBatch(msgs)
		if err != nil {
			h.t.Fatal(err)
		}
		if err := h.c.Apply(tx, h.st); err != nil {
			h.t.Fatal(err)
		}
		for _, m := range msgs {
			ids = append(ids, m.ID())
		}
	}
	h.beacon++
	in := RoundInput{Height: h.height, TimeNS: h.now(), Beacon: []byte(fmt.Sprint("beacon", h.beacon)), BeaconRound: h.beacon, VetKDKeys: keys}
	if err := h.c.Round(in, h.st); err != nil {
		h.t.Fatal(err)
	}
	return ids
}

// testVetKDMaster deals a 4-node master key (threshold 3).
func testVetKDMaster(t *testing.T) (*thresholdsig.PublicCoefficients, []*thresholdsig.SecretKeyShare, map[string]*vetkd.MasterPublicKey) {
	t.Helper()
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mk, err := vetkd.NewMasterPublicKey(pc.PublicKey().Point())
	if err != nil {
		t.Fatal(err)
	}
	return pc, shares, map[string]*vetkd.MasterPublicKey{"bls12_381_g2:" + testVetKDKeyName: mk}
}

func vetkdKey(name string) vetkdKeyID {
	return vetkdKeyID{Curve: vetkdCurve{BLS12381G2: &candid.Null{}}, Name: name}
}

// rejectedWith checks a proxy reply that carries a reject (0xee, code,
// message) and returns the message.
func rejectedWith(t *testing.T, got []byte, code int) string {
	t.Helper()
	if len(got) < 2 || got[0] != 0xee || got[1] != byte(code) {
		t.Fatalf("want reject code %d, got %x", code, got)
	}
	return string(got[2:])
}

// TestManagementVetKD: a canister gets its derived public key (and
// another canister's) from the round's master key, its vetkd_derive_key
// call becomes a request with the canister as caller that survives a
// reload, and the encrypted key a threshold of shares combine into comes
// back to its callback, where the transport secret key decrypts it into a
// vetKey that verifies under the public key the canister got. A bad
// transport key or an unknown key is rejected at once.
func TestManagementVetKD(t *testing.T) {
	h := newHarness(t)
	proxy := h.create(proxyWasm(t))
	pc, shares, keys := testVetKDMaster(t)
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx, input := []byte("notes-v1"), []byte("alice")
	other := CanisterID(99)
	mgmt := principal.Management()
	key := vetkdKey(testVetKDKeyName)
	pkArg := mustEncode(t, vetkdPublicKeyArgs{Context: ctx, KeyID: key})
	otherPkArg := mustEncode(t, vetkdPublicKeyArgs{CanisterID: &other, Context: ctx, KeyID: key})
	deriveArg := mustEncode(t, vetkdDeriveKeyArgs{Input: input, Context: ctx, TransportPublicKey: tsk.PublicKey().Bytes(), KeyID: key})
	badTPK := mustEncode(t, vetkdDeriveKeyArgs{Input: input, Context: ctx, TransportPublicKey: bytes.Repeat([]byte{1}, 48), KeyID: key})
	unknown := mustEncode(t, vetkdDeriveKeyArgs{Input: input, Context: ctx, TransportPublicKey: tsk.PublicKey().Bytes(), KeyID: vetkdKey("nope")})
	unknownPk := mustEncode(t, vetkdPublicKeyArgs{Context: ctx, KeyID: vetkdKey("nope")})
	ids := vetkdBlock(h, keys,
		h.call(proxy, "forward", forwardArg(mgmt, "vetkd_public_key", pkArg)),
		h.call(proxy, "forward", forwardArg(mgmt, "vetkd_public_key", otherPkArg)),
		h.call(proxy, "forward", forwardArg(mgmt, "vetkd_derive_key", deriveArg)),
		h.call(proxy, "forward", forwardArg(mgmt, "vetkd_derive_key", badTPK)),
		h.call(proxy, "forward", forwardArg(mgmt, "vetkd_derive_key", unknown)),
		h.call(proxy, "forward", forwardArg(mgmt, "vetkd_public_key", unknownPk)),
	)
	mk := keys["bls12_381_g2:"+testVetKDKeyName]
	var pk, otherPk vetkdPublicKeyResult
	if err := candid.Decode(h.replied(ids[0]), &pk); err != nil {
		t.Fatal(err)
	}
	if want := vetkd.DerivePublicKey(mk, proxy.Bytes(), ctx).Bytes(); !bytes.Equal(pk.PublicKey, want) {
		t.Fatal("vetkd_public_key is not the calling canister's key")
	}
	if err := candid.Decode(h.replied(ids[1]), &otherPk); err != nil {
		t.Fatal(err)
	}
	if want := vetkd.DerivePublicKey(mk, other.Bytes(), ctx).Bytes(); !bytes.Equal(otherPk.PublicKey, want) {
		t.Fatal("vetkd_public_key with canister_id is not that canister's key")
	}
	if msg := rejectedWith(t, h.replied(ids[3]), execution.RejectCanisterReject); !strings.Contains(msg, "transport public key") {
		t.Fatalf("bad transport key: %q", msg)
	}
	if msg := rejectedWith(t, h.replied(ids[4]), execution.RejectCanisterReject); !strings.Contains(msg, "unknown vetKD key bls12_381_g2:nope") {
		t.Fatalf("unknown key: %q", msg)
	}
	if msg := rejectedWith(t, h.replied(ids[5]), execution.RejectCanisterReject); !strings.Contains(msg, "unknown vetKD key") {
		t.Fatalf("unknown key: %q", msg)
	}
	if r := h.record(ids[2]); r.Status != StatusProcessing {
		t.Fatalf("vetkd_derive_key answered before the key: %+v", r)
	}
	if n := len(h.c.TakeSignRequests()); n != 0 {
		t.Fatalf("%d signing requests", n)
	}
	reqs := h.c.TakeVetKDRequests()
	if len(reqs) != 1 || reqs[0].Caller != proxy || reqs[0].KeyID != "bls12_381_g2:"+testVetKDKeyName ||
		!bytes.Equal(reqs[0].Context, ctx) || !bytes.Equal(reqs[0].Input, input) ||
		!bytes.Equal(reqs[0].TransportPublicKey, tsk.PublicKey().Bytes()) {
		t.Fatalf("vetKD requests: %+v", reqs)
	}
	if len(h.c.TakeVetKDRequests()) != 0 {
		t.Fatal("requests taken twice")
	}

	// The request waits across a reload of the component.
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c2.Close)
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("loaded state has another hash")
	}
	h.c = c2

	// The subnet's side: a threshold of shares combine.
	d, err := vetkd.NewDerivation(pc, &vetkd.Request{CanisterID: reqs[0].Caller.Bytes(), Context: reqs[0].Context,
		Input: reqs[0].Input, TransportPublicKey: reqs[0].TransportPublicKey})
	if err != nil {
		t.Fatal(err)
	}
	received := map[int][]byte{}
	for i, sk := range shares[:3] {
		if received[i], err = d.CreateShare(rand.Reader, sk); err != nil {
			t.Fatal(err)
		}
	}
	ek, _, err := d.Combine(received)
	if err != nil {
		t.Fatal(err)
	}
	if h.c.DeliverVetKDKey([]byte("not a request"), ek.Bytes()) {
		t.Fatal("key taken for an unknown request")
	}
	if !h.c.DeliverVetKDKey(reqs[0].ID, ek.Bytes()) {
		t.Fatal("key not taken")
	}
	if h.c.DeliverVetKDKey(reqs[0].ID, ek.Bytes()) {
		t.Fatal("key taken twice")
	}
	vetkdBlock(h, keys)
	var res vetkdDeriveKeyResult
	if err := candid.Decode(h.replied(ids[2]), &res); err != nil {
		t.Fatal(err)
	}
	got, err := vetkd.ParseEncryptedKey(res.EncryptedKey)
	if err != nil {
		t.Fatal(err)
	}
	dpk, err := vetkd.ParseDerivedPublicKey(pk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := tsk.Decrypt(got, dpk, input)
	if err != nil {
		t.Fatalf("the canister's encrypted key does not decrypt: %v", err)
	}
	if err := vk.Verify(dpk, input); err != nil {
		t.Fatal(err)
	}
	if _, err := tsk.Decrypt(got, dpk, []byte("bob")); err == nil {
		t.Fatal("key decrypts for another input")
	}
}

// TestManagementVetKDFee: on a subnet that charges cycles,
// vetkd_derive_key costs the IC's vetKD fee scaled to the subnet, taken
// from the attached cycles (the rest comes back with the key); a call with
// fewer is rejected and refunded.
func TestManagementVetKDFee(t *testing.T) {
	h := newHarness(t)
	fees := execution.ApplicationSubnetFees(13)
	h.c.cfg.Exec.Fees = fees
	ids := h.block(h.msg(Message{Kind: KindCreate, Sender: ctrl.Bytes(), Cycles: fees.CanisterCreation + 1_000_000_000_000_000}))
	var created createResult
	if err := candid.Decode(h.replied(ids[0]), &created); err != nil {
		t.Fatal(err)
	}
	payer := created.CanisterID
	ids = h.block(h.msg(Message{Kind: KindInstall, Sender: ctrl.Bytes(), Canister: payer.Bytes(), Wasm: watFile(t, "testdata/payproxy.wat")}))
	h.replied(ids[0])
	_, _, keys := testVetKDMaster(t)
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	arg := mustEncode(t, vetkdDeriveKeyArgs{Input: []byte("x"), TransportPublicKey: tsk.PublicKey().Bytes(), KeyID: vetkdKey(testVetKDKeyName)})
	pay := func(cycles uint64) *Message {
		return h.call(payer, "pay", append(le64(cycles), forwardArg(principal.Management(), "vetkd_derive_key", arg)...))
	}
	fee := fees.VetKD
	ids = vetkdBlock(h, keys, pay(fee-1), pay(fee+5))
	msg := rejectedWith(t, h.replied(ids[0]), execution.RejectCanisterReject)
	if want := fmt.Sprintf("costs %d cycles, %d attached", fee, fee-1); !strings.Contains(msg, want) {
		t.Fatalf("vetkd_derive_key with too few cycles: %q, want %q", msg, want)
	}
	reqs := h.c.TakeVetKDRequests()
	if len(reqs) != 1 || reqs[0].Caller != payer {
		t.Fatalf("vetKD requests: %+v", reqs)
	}
	before := balance(h, payer)
	if !h.c.DeliverVetKDKey(reqs[0].ID, []byte("encrypted key")) {
		t.Fatal("key not taken")
	}
	vetkdBlock(h, keys)
	got := h.replied(ids[1])
	var res vetkdDeriveKeyResult
	if len(got) < 16 || candid.Decode(got[:len(got)-16], &res) != nil || string(res.EncryptedKey) != "encrypted key" {
		t.Fatalf("reply %x", got)
	}
	if refund := got[len(got)-16:]; !bytes.Equal(refund, append(le64(5), make([]byte, 8)...)) {
		t.Fatalf("refund %x, want 5 cycles", refund)
	}
	// What comes back with the reply (the refund and the unused
	// reservation for the callback) does not include the fee.
	if after := balance(h, payer); after-before >= fee {
		t.Fatalf("balance %d after %d: the fee came back", after, before)
	}
}
