package canisters

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

var (
	testEngine = execution.NewWasmtime(execution.EngineConfig{MaxMemory: 64 << 20})
	ctrlKey    = mustKey()
	aliceKey   = mustKey()
	ctrl       = ingress.Sender(ctrlKey)
	alice      = ingress.Sender(aliceKey)
)

func mustKey() *ingress.Ed25519Signer {
	k, err := ingress.GenerateEd25519()
	if err != nil {
		panic(err)
	}
	return k
}

// The test canisters (testdata):
//
// counter.wat counts: inc adds one, sets the certified data to the value,
// writes it into one of 16 memory pages and replies with it; boom traps
// after changing it, spin loops forever, arm sets the global timer, whose
// firings ticks counts; the value survives upgrades in stable memory.
//
// proxy.wat forwards: the argument of forward is
// len(callee) ‖ callee ‖ len(method) ‖ method ‖ payload; it calls
// callee.method(payload) and replies with the reply, or with 0xee, the
// reject code and message. forward_trap traps in its reply callback.
func counterWasm(t testing.TB) []byte { return watFile(t, "testdata/counter.wat") }
func proxyWasm(t testing.TB) []byte   { return watFile(t, "testdata/proxy.wat") }

func watFile(t testing.TB, name string) []byte {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := wasmtime.Wat2Wasm(string(src))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeKeys derives "public keys" as the caller and path, so a test sees
// which caller the component passed.
type fakeKeys struct{}

func (fakeKeys) HasKey(id string) bool { return id == "ecdsa:secp256k1:dfx_test_key" }
func (fakeKeys) PublicKey(id string, caller principal.Principal, path [][]byte) ([]byte, []byte, error) {
	return append([]byte("pub:"), caller.Bytes()...), bytes.Join(path, []byte("/")), nil
}

// harness runs a component block by block over a store in memory.
type harness struct {
	t      testing.TB
	c      *Component
	st     *memStore
	height uint64
	nonce  uint64
	beacon uint64
}

func testConfig() Config {
	return Config{Exec: execution.Config{Engine: testEngine, UpdateLimit: 20_000_000, InstallLimit: 50_000_000,
		Subnet: principal.SelfAuthenticating([]byte("subnet")), RootKey: []byte("root")}, FirstIndex: 16, Keys: fakeKeys{}}
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	c, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &harness{t: t, c: c, st: &memStore{kv: map[string][]byte{}}}
}

const startNS = 1_700_000_000_000_000_000

func (h *harness) now() uint64 { return startNS + h.height*1_000_000_000 }

// msg fills in expiry and a fresh nonce and signs the message with the
// key of its sender.
func (h *harness) msg(m Message) *Message {
	h.nonce++
	m.Nonce = binary.BigEndian.AppendUint64(nil, h.nonce)
	m.Expiry = h.now() + 60_000_000_000
	key := aliceKey
	if bytes.Equal(m.Sender, ctrl.Bytes()) {
		key = ctrlKey
	}
	if err := m.Sign(key); err != nil {
		h.t.Fatal(err)
	}
	return &m
}

// block runs one block with msgs and returns their ids.
func (h *harness) block(msgs ...*Message) [][32]byte {
	h.t.Helper()
	h.height++
	var ids [][32]byte
	if len(msgs) > 0 {
		tx, err := EncodeBatch(msgs)
		if err != nil {
			h.t.Fatal(err)
		}
		if err := h.c.Check(tx); err != nil {
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
	if err := h.c.Round(RoundInput{Height: h.height, TimeNS: h.now(), Beacon: []byte(fmt.Sprint("beacon", h.beacon)), BeaconRound: h.beacon}, h.st); err != nil {
		h.t.Fatal(err)
	}
	return ids
}

func (h *harness) record(id [32]byte) *Record {
	h.t.Helper()
	r := h.c.Status(id[:])
	if r == nil {
		h.t.Fatalf("no record for %x", id[:4])
	}
	return r
}

func (h *harness) replied(id [32]byte) []byte {
	h.t.Helper()
	r := h.record(id)
	if r.Status != StatusReplied {
		h.t.Fatalf("message %x: %s %d %q", id[:4], r.Status, r.RejectCode, r.RejectMessage)
	}
	return r.Reply
}

func (h *harness) rejected(id [32]byte, code uint64) string {
	h.t.Helper()
	r := h.record(id)
	if r.Status != StatusRejected || r.RejectCode != code {
		h.t.Fatalf("message %x: %s code %d (want rejected %d) %q", id[:4], r.Status, r.RejectCode, code, r.RejectMessage)
	}
	return r.RejectMessage
}

// create creates and installs a canister and returns its id.
func (h *harness) create(wasm []byte) principal.Principal {
	h.t.Helper()
	return h.createArg(wasm, nil)
}

// createArg is create with an init argument.
func (h *harness) createArg(wasm, arg []byte) principal.Principal {
	h.t.Helper()
	ids := h.block(h.msg(Message{Kind: KindCreate, Sender: ctrl.Bytes()}))
	var res createResult
	if err := candid.Decode(h.replied(ids[0]), &res); err != nil {
		h.t.Fatal(err)
	}
	ids = h.block(h.msg(Message{Kind: KindInstall, Sender: ctrl.Bytes(), Canister: res.CanisterID.Bytes(), Wasm: wasm, Arg: arg}))
	h.replied(ids[0])
	return res.CanisterID
}

func (h *harness) call(to principal.Principal, method string, arg []byte) *Message {
	return h.msg(Message{Kind: KindCall, Sender: alice.Bytes(), Canister: to.Bytes(), Method: method, Arg: arg})
}

func (h *harness) query(to principal.Principal, method string) uint64 {
	h.t.Helper()
	r := h.c.Query(to, execution.Message{Method: method, Caller: alice})
	if !r.Replied || len(r.Reply) != 8 {
		h.t.Fatalf("query %s: %+v", method, r)
	}
	return binary.LittleEndian.Uint64(r.Reply)
}

func forwardArg(callee principal.Principal, method string, payload []byte) []byte {
	b := append([]byte{byte(len(callee.Bytes()))}, callee.Bytes()...)
	b = append(append(b, byte(len(method))), method...)
	return append(b, payload...)
}

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func TestCanisterIDs(t *testing.T) {
	id := CanisterID(16)
	want := []byte{0, 0, 0, 0, 0, 0, 0, 16, 1, 1}
	if !bytes.Equal(id.Bytes(), want) {
		t.Fatalf("canister 16 is %x", id.Bytes())
	}
	h := newHarness(t)
	a := h.create(counterWasm(t))
	b := h.create(counterWasm(t))
	if a != CanisterID(16) || b != CanisterID(17) {
		t.Fatalf("ids %s %s", a, b)
	}
}

func TestCounterLifecycle(t *testing.T) {
	h := newHarness(t)
	can := h.create(counterWasm(t))
	ids := h.block(h.call(can, "inc", nil), h.call(can, "inc", nil), h.call(can, "boom", nil), h.call(can, "spin", nil), h.call(can, "inc", nil),
		h.call(can, "nope", nil), h.call(CanisterID(99), "inc", nil))
	for i, want := range []uint64{1, 2} {
		if got := h.replied(ids[i]); !bytes.Equal(got, le64(want)) {
			t.Fatalf("inc %d replied %x", i, got)
		}
	}
	h.rejected(ids[2], execution.RejectCanisterError)
	h.rejected(ids[3], execution.RejectCanisterError)
	if !bytes.Equal(h.replied(ids[4]), le64(3)) {
		t.Fatal("a trap or a loop changed the counter")
	}
	h.rejected(ids[5], execution.RejectDestinationInvalid)
	h.rejected(ids[6], execution.RejectDestinationInvalid)
	// A replay of a message changes nothing.
	m := h.call(can, "inc", nil)
	h.block(m)
	h.block(m)
	if h.query(can, "get") != 4 {
		t.Fatal("a replayed message ran twice")
	}
	// Upgrade keeps the value through stable memory; only controllers
	// may upgrade.
	ids = h.block(h.msg(Message{Kind: KindUpgrade, Sender: alice.Bytes(), Canister: can.Bytes(), Wasm: counterWasm(t)}),
		h.msg(Message{Kind: KindUpgrade, Sender: ctrl.Bytes(), Canister: can.Bytes(), Wasm: counterWasm(t)}))
	h.rejected(ids[0], execution.RejectCanisterError)
	h.replied(ids[1])
	if h.query(can, "get") != 4 {
		t.Fatal("upgrade lost the counter")
	}
	// Stopped canisters reject calls; a stopped canister can be deleted.
	ids = h.block(h.msg(Message{Kind: KindStop, Sender: ctrl.Bytes(), Canister: can.Bytes()}), h.call(can, "inc", nil))
	h.replied(ids[0])
	h.rejected(ids[1], execution.RejectCanisterError)
	ids = h.block(h.msg(Message{Kind: KindStart, Sender: ctrl.Bytes(), Canister: can.Bytes()}), h.call(can, "inc", nil))
	h.replied(ids[1])
	// Timer: armed in one round, fires in the next.
	h.block(h.call(can, "arm", nil))
	h.block()
	if h.query(can, "ticks") != 1 {
		t.Fatal("the global timer did not fire once")
	}
	// Reinstall clears the state.
	ids = h.block(h.msg(Message{Kind: KindReinstall, Sender: ctrl.Bytes(), Canister: can.Bytes(), Wasm: counterWasm(t)}))
	h.replied(ids[0])
	if h.query(can, "get") != 0 {
		t.Fatal("reinstall kept the counter")
	}
	ids = h.block(h.msg(Message{Kind: KindDelete, Sender: ctrl.Bytes(), Canister: can.Bytes()}))
	h.rejected(ids[0], execution.RejectCanisterError)
	ids = h.block(h.msg(Message{Kind: KindStop, Sender: ctrl.Bytes(), Canister: can.Bytes()}),
		h.msg(Message{Kind: KindDelete, Sender: ctrl.Bytes(), Canister: can.Bytes()}), h.call(can, "inc", nil))
	h.replied(ids[1])
	h.rejected(ids[2], execution.RejectDestinationInvalid)
	for k := range h.st.kv {
		if bytes.HasPrefix([]byte(k), canisterPrefix(can.Bytes())) {
			t.Fatalf("key %q of a deleted canister left", k)
		}
	}
}

func TestInterCanisterCalls(t *testing.T) {
	h := newHarness(t)
	counter := h.create(counterWasm(t))
	proxy := h.create(proxyWasm(t))
	ids := h.block(
		h.call(proxy, "forward", forwardArg(counter, "inc", nil)),
		h.call(proxy, "forward", forwardArg(counter, "boom", nil)),
		h.call(proxy, "forward", forwardArg(CanisterID(999), "inc", nil)),
		h.call(proxy, "forward_trap", forwardArg(counter, "inc", nil)),
		h.call(proxy, "forward", forwardArg(proxy, "forward", forwardArg(counter, "inc", nil))),
	)
	if got := h.replied(ids[0]); !bytes.Equal(got, le64(1)) {
		t.Fatalf("forwarded inc: %x", got)
	}
	if got := h.replied(ids[1]); got[0] != 0xee || got[1] != execution.RejectCanisterError {
		t.Fatalf("forwarded trap: %x", got)
	}
	if got := h.replied(ids[2]); got[0] != 0xee || got[1] != execution.RejectDestinationInvalid {
		t.Fatalf("call to a missing canister: %x", got)
	}
	h.rejected(ids[3], execution.RejectCanisterError)
	if got := h.replied(ids[4]); !bytes.Equal(got, le64(3)) {
		t.Fatalf("two hops: %x", got)
	}
	if h.query(counter, "get") != 3 {
		t.Fatal("counter")
	}
	if len(h.c.g.Contexts) != 0 || len(h.c.g.Calls) != 0 || len(h.c.g.Queue) != 0 {
		t.Fatalf("call contexts left: %d %d %d", len(h.c.g.Contexts), len(h.c.g.Calls), len(h.c.g.Queue))
	}
}

// TestRoundBudget: calls beyond a round's budget wait for the next round.
func TestRoundBudget(t *testing.T) {
	h := newHarness(t)
	h.c.cfg.MaxRoundCalls = 2
	counter := h.create(counterWasm(t))
	proxy := h.create(proxyWasm(t))
	var msgs []*Message
	for range 3 {
		msgs = append(msgs, h.call(proxy, "forward", forwardArg(counter, "inc", nil)))
	}
	ids := h.block(msgs...)
	// Round 1 delivers two calls, round 2 the third and the first
	// response, round 3 the other two responses.
	status := func(i int) string { return h.c.Status(ids[i][:]).Status }
	if status(0) == StatusReplied {
		t.Fatal("budget not applied")
	}
	h.block()
	if status(0) != StatusReplied || status(1) == StatusReplied {
		t.Fatal("responses not delivered first in, first out")
	}
	h.block()
	for _, id := range ids {
		h.replied(id)
	}
}

func TestManagementCanister(t *testing.T) {
	h := newHarness(t)
	proxy := h.create(proxyWasm(t))
	key := ecdsaKeyID{Name: "dfx_test_key", Curve: ecdsaCurve{Secp256k1: &candid.Null{}}}
	pkArg, err := candid.Encode(ecdsaPublicKeyArgs{DerivationPath: [][]byte{[]byte("a"), []byte("b")}, KeyID: key})
	if err != nil {
		t.Fatal(err)
	}
	hash := bytes.Repeat([]byte{7}, 32)
	signArg, err := candid.Encode(signWithECDSAArgs{MessageHash: hash, DerivationPath: [][]byte{[]byte("p")}, KeyID: key})
	if err != nil {
		t.Fatal(err)
	}
	badKey, _ := candid.Encode(signWithECDSAArgs{MessageHash: hash, KeyID: ecdsaKeyID{Name: "nope", Curve: key.Curve}})
	mgmt := principal.Management()
	ids := h.block(
		h.call(proxy, "forward", forwardArg(mgmt, "ecdsa_public_key", pkArg)),
		h.call(proxy, "forward", forwardArg(mgmt, "sign_with_ecdsa", signArg)),
		h.call(proxy, "forward", forwardArg(mgmt, "raw_rand", []byte("DIDL\x00\x00"))),
		h.call(proxy, "forward", forwardArg(mgmt, "sign_with_ecdsa", badKey)),
		h.call(proxy, "forward", forwardArg(mgmt, "take_canister_snapshot", nil)),
	)
	var pk publicKeyResult
	if err := candid.Decode(h.replied(ids[0]), &pk); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pk.PublicKey, append([]byte("pub:"), proxy.Bytes()...)) || string(pk.ChainCode) != "a/b" {
		t.Fatalf("public key derived for %q path %q", pk.PublicKey, pk.ChainCode)
	}
	if r := h.record(ids[1]); r.Status != StatusProcessing {
		t.Fatalf("signing call answered before the signature: %+v", r)
	}
	reqs := h.c.TakeSignRequests()
	if len(reqs) != 1 || reqs[0].Caller != proxy || reqs[0].KeyID != "ecdsa:secp256k1:dfx_test_key" ||
		!bytes.Equal(reqs[0].Message, hash) || len(reqs[0].Path) != 1 || string(reqs[0].Path[0]) != "p" {
		t.Fatalf("sign requests: %+v", reqs)
	}
	if got := h.replied(ids[3]); got[0] != 0xee || got[1] != execution.RejectCanisterReject {
		t.Fatalf("unknown key: %x", got)
	}
	if got := h.replied(ids[4]); got[0] != 0xee || got[1] != execution.RejectDestinationInvalid {
		t.Fatalf("unsupported method: %x", got)
	}
	// raw_rand waits for a later beacon round.
	var rnd []byte
	if r := h.record(ids[2]); r.Status != StatusProcessing {
		t.Fatal("raw_rand answered in the round it was made")
	}
	if !h.c.DeliverSignature(reqs[0].ID, []byte("signature")) {
		t.Fatal("signature not taken")
	}
	h.block()
	var sig signatureResult
	if err := candid.Decode(h.replied(ids[1]), &sig); err != nil || string(sig.Signature) != "signature" {
		t.Fatalf("signature reply: %v %q", err, sig.Signature)
	}
	if err := candid.Decode(h.replied(ids[2]), &rnd); err != nil || len(rnd) != 32 {
		t.Fatalf("raw_rand: %v %x", err, rnd)
	}
}

// workload runs calls, traps, inter-canister calls and an upgrade.
func workload(h *harness) (counter, proxy principal.Principal) {
	counter = h.create(counterWasm(h.t))
	proxy = h.create(proxyWasm(h.t))
	for i := range 5 {
		h.block(h.call(counter, "inc", nil), h.call(counter, "boom", nil),
			h.call(proxy, "forward", forwardArg(counter, "inc", nil)), h.call(proxy, "forward_trap", forwardArg(counter, "inc", nil)))
		if i == 2 {
			h.block(h.msg(Message{Kind: KindUpgrade, Sender: ctrl.Bytes(), Canister: counter.Bytes(), Wasm: counterWasm(h.t)}))
		}
	}
	return counter, proxy
}

func TestPersistAndLoad(t *testing.T) {
	h := newHarness(t)
	counter, _ := workload(h)
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("loaded state has another hash")
	}
	if fmt.Sprint(c2.Leaves()) != fmt.Sprint(h.c.Leaves()) {
		t.Fatal("loaded state has other leaves")
	}
	// Both continue alike.
	h2 := &harness{t: t, c: c2, st: h.st, height: h.height, nonce: h.nonce, beacon: h.beacon}
	m := h.call(counter, "inc", nil)
	h.block(m)
	h2.nonce = h.nonce
	h2.block(m)
	if c2.StateHash() != h.c.StateHash() || h2.query(counter, "get") != h.query(counter, "get") {
		t.Fatal("loaded component diverges")
	}
	// A snapshot restores the same state.
	c3, _ := New(testConfig())
	defer c3.Close()
	if err := c3.Restore(h.c.Snapshot()); err != nil {
		t.Fatal(err)
	}
	if c3.StateHash() != h.c.StateHash() {
		t.Fatal("restored snapshot has another hash")
	}
}

// TestPagesWritten: an increment changes two 4 KiB pages of the counter's
// 128 KiB memory (the value's and the certified copy's), and only those
// are written.
func TestPagesWritten(t *testing.T) {
	h := newHarness(t)
	counter := h.create(counterWasm(t))
	h.block(h.call(counter, "inc", nil))
	before := h.c.PagesWritten()
	h.block(h.call(counter, "inc", nil))
	if got := h.c.PagesWritten() - before; got != 2 {
		t.Fatalf("one increment wrote %d pages", got)
	}
	before = h.c.PagesWritten()
	h.block(h.call(counter, "get", nil))
	if got := h.c.PagesWritten() - before; got != 0 {
		t.Fatalf("a query method wrote %d pages", got)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	workload(a)
	workload(b)
	if a.c.StateHash() != b.c.StateHash() || len(a.st.kv) != len(b.st.kv) {
		t.Fatal("two runs of the same blocks differ")
	}
	for k, v := range a.st.kv {
		if !bytes.Equal(b.st.kv[k], v) {
			t.Fatalf("key %q differs", k)
		}
	}
}

func TestMessageAuthentication(t *testing.T) {
	h := newHarness(t)
	can := h.create(counterWasm(t))
	good := h.call(can, "inc", nil)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	forged := *good
	forged.Sender = ctrl.Bytes() // alice's signature, the controller's name
	if err := forged.Validate(); !errors.Is(err, ingress.ErrBadSignature) {
		t.Fatalf("forged sender: %v", err)
	}
	changed := *good
	changed.Method = "boom"
	if err := changed.Validate(); !errors.Is(err, ingress.ErrBadSignature) {
		t.Fatalf("changed message: %v", err)
	}
	// A message admitted (verified) before does not vouch for another.
	if err := h.c.Admit(good, h.now()); err != nil {
		t.Fatal(err)
	}
	tx, _ := EncodeBatch([]*Message{&forged})
	if err := h.c.Check(tx); !errors.Is(err, ingress.ErrBadSignature) {
		t.Fatalf("forged message after the genuine one was admitted: %v", err)
	}
	unsigned := *good
	unsigned.SenderSig = nil
	tx, _ = EncodeBatch([]*Message{&unsigned})
	if err := h.c.Check(tx); err == nil {
		t.Fatal("a block with an unsigned message passes")
	}
	anon := Message{Kind: KindCall, Sender: principal.Anonymous().Bytes(), Canister: can.Bytes(), Method: "inc", Expiry: h.now() + 1e9}
	if err := anon.Validate(); err != nil {
		t.Fatalf("anonymous call: %v", err)
	}
	ids := h.block(&anon)
	if !bytes.Equal(h.replied(ids[0]), le64(1)) {
		t.Fatal("anonymous call")
	}
}

// TestRoundInstructions: messages that loop forever use the round's
// instructions; what does not fit waits for the next round, persisted,
// and nothing is lost.
func TestRoundInstructions(t *testing.T) {
	h := newHarness(t)
	h.c.cfg.MaxRoundInstructions = 30_000_000 // one and a half spins
	can := h.create(counterWasm(t))
	ids := h.block(h.call(can, "spin", nil), h.call(can, "spin", nil), h.call(can, "spin", nil), h.call(can, "inc", nil))
	if h.record(ids[1]).Status != StatusRejected || h.record(ids[2]).Status != StatusReceived || h.record(ids[3]).Status != StatusReceived {
		t.Fatal("the round's instructions are not bounded")
	}
	// A node that restarts here has the waiting messages.
	c2, _ := New(h.c.cfg)
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if c2.StateHash() != h.c.StateHash() || len(c2.g.Ingress) != 2 {
		t.Fatal("waiting ingress not persisted")
	}
	h.block()
	h.rejected(ids[2], execution.RejectCanisterError)
	if !bytes.Equal(h.replied(ids[3]), le64(1)) {
		t.Fatal("inc after the spins")
	}
}

// TestHeartbeat: canister_heartbeat runs once every round.
func TestHeartbeat(t *testing.T) {
	h := newHarness(t)
	can := h.create(watFile(t, "testdata/beat.wat")) // installed in its block's round: one beat
	h.block()
	h.block()
	if got := h.query(can, "beats"); got != 3 {
		t.Fatalf("%d heartbeats in 3 rounds", got)
	}
}

// TestSignQueueFull: signing calls beyond MaxPendingSigns are rejected
// with the transient code.
func TestSignQueueFull(t *testing.T) {
	h := newHarness(t)
	proxy := h.create(proxyWasm(t))
	arg, err := candid.Encode(signWithECDSAArgs{MessageHash: make([]byte, 32),
		KeyID: ecdsaKeyID{Name: "dfx_test_key", Curve: ecdsaCurve{Secp256k1: &candid.Null{}}}})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*Message
	for range MaxPendingSigns + 1 {
		msgs = append(msgs, h.call(proxy, "forward", forwardArg(principal.Management(), "sign_with_ecdsa", arg)))
	}
	ids := h.block(msgs...)
	if n := len(h.c.TakeSignRequests()); n != MaxPendingSigns {
		t.Fatalf("%d signing requests", n)
	}
	if got := h.replied(ids[MaxPendingSigns]); got[0] != 0xee || got[1] != execution.RejectSysTransient {
		t.Fatalf("call beyond the queue: %x", got)
	}
}

// TestMessageIDIsRequestID: an update call's id is the IC request id of
// the call content (the interface specification's example, from
// testdata/request-id.json).
func TestMessageIDIsRequestID(t *testing.T) {
	raw, err := os.ReadFile("testdata/request-id.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Cases []struct {
			Name      string         `json:"name"`
			Map       map[string]any `json:"map"`
			RequestID string         `json:"request_id"`
		} `json:"cases"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	blob := func(x any) []byte {
		b, err := hex.DecodeString(strings.TrimPrefix(x.(string), "hex:"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range v.Cases {
		if c.Name != "spec_example_current" {
			continue
		}
		m := Message{Kind: KindCall, Sender: blob(c.Map["sender"]), Canister: blob(c.Map["canister_id"]),
			Method: c.Map["method_name"].(string), Arg: blob(c.Map["arg"])}
		exp, err := strconv.ParseUint(string(c.Map["ingress_expiry"].(json.Number)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		m.Expiry = exp
		id := m.ID()
		if hex.EncodeToString(id[:]) != c.RequestID {
			t.Fatalf("id %x, want %s", id, c.RequestID)
		}
		return
	}
	t.Fatal("no spec example in the vectors")
}

// TestAdmitVerifiesShapeDecoded: the mempool decodes a message without its
// signature check (DecodeMessageTxShape) and Admit verifies it: a forged
// or unsigned message is refused even after the genuine one was admitted.
func TestAdmitVerifiesShapeDecoded(t *testing.T) {
	h := newHarness(t)
	can := h.create(counterWasm(t))
	good := h.call(can, "inc", nil)
	decode := func(m *Message) *Message {
		t.Helper()
		tx, err := EncodeMessageTx(m)
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeMessageTxShape(tx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeMessageTx(tx); err == nil && m != good {
			t.Fatal("DecodeMessageTx accepts a bad signature")
		}
		return d
	}
	forged := *good
	forged.Sender = ctrl.Bytes()
	changed := *good
	changed.Arg = []byte{1}
	unsigned := *good
	unsigned.SenderSig = nil
	for i := range 2 {
		for name, m := range map[string]*Message{"forged": &forged, "changed": &changed, "unsigned": &unsigned} {
			if err := h.c.Admit(decode(m), h.now()); err == nil {
				t.Fatalf("pass %d: %s message admitted", i, name)
			}
		}
		if err := h.c.Admit(decode(good), h.now()); err != nil {
			t.Fatalf("pass %d: genuine message: %v", i, err)
		}
	}
}
