package replica

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
	"github.com/chainkey/chainkey/thresholdsig"
)

func canisterWasm(t testing.TB, name string) []byte {
	t.Helper()
	src, err := os.ReadFile("canisters/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := wasmtime.Wat2Wasm(string(src))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The test's canister users: a controller and a caller.
var simCtrlKey, simAliceKey = mustEd25519(), mustEd25519()

var (
	simCtrl  = ingress.Sender(simCtrlKey)
	simAlice = ingress.Sender(simAliceKey)
)

func mustEd25519() *ingress.Ed25519Signer {
	k, err := ingress.GenerateEd25519()
	if err != nil {
		panic(err)
	}
	return k
}

// canClient submits canister messages to a simulated subnet.
type canClient struct {
	s       *simSubnet
	nonce   uint64
	lastIDs [][32]byte
}

func (c *canClient) msg(m canisters.Message) *canisters.Message {
	c.nonce++
	m.Nonce = binary.BigEndian.AppendUint64(nil, c.nonce)
	m.Expiry = uint64(time.Now().Add(4 * time.Minute).UnixNano())
	key := simAliceKey
	if bytes.Equal(m.Sender, simCtrl.Bytes()) {
		key = simCtrlKey
	}
	if err := m.Sign(key); err != nil {
		c.s.t.Fatal(err)
	}
	return &m
}

func (c *canClient) call(to principal.Principal, method string, arg []byte) *canisters.Message {
	return c.msg(canisters.Message{Kind: canisters.KindCall, Sender: simAlice.Bytes(), Canister: to.Bytes(), Method: method, Arg: arg})
}

// submit puts messages into the mempool through node i.
func (c *canClient) submit(i int, msgs ...*canisters.Message) [][32]byte {
	c.s.t.Helper()
	var ids [][32]byte
	for _, m := range msgs {
		raw, err := canisters.EncodeMessageTx(m)
		if err != nil {
			c.s.t.Fatal(err)
		}
		if !c.s.submit(i, raw) {
			c.s.t.Fatalf("node %d refuses a canister message", i)
		}
		ids = append(ids, m.ID())
	}
	return ids
}

// final reports whether every live node has a final status for every id.
func (c *canClient) final(ids [][32]byte) bool {
	for _, nd := range c.s.live() {
		for _, id := range ids {
			r := nd.app.canisterStatus(id[:])
			if r == nil || (r.Status != canisters.StatusReplied && r.Status != canisters.StatusRejected) {
				return false
			}
		}
	}
	return true
}

// run submits msgs through node i and steps until all are final; it
// returns node i's records (lastIDs are the messages' ids).
func (c *canClient) run(i int, msgs ...*canisters.Message) []*canisters.Record {
	c.s.t.Helper()
	ids := c.submit(i, msgs...)
	c.lastIDs = ids
	c.s.run(60, "canister messages", func() bool { return c.final(ids) })
	out := make([]*canisters.Record, len(ids))
	for k, id := range ids {
		out[k] = c.s.nodes[i].app.canisterStatus(id[:])
	}
	return out
}

func (c *canClient) create(wasm []byte) principal.Principal {
	c.s.t.Helper()
	r := c.run(0, c.msg(canisters.Message{Kind: canisters.KindCreate, Sender: simCtrl.Bytes()}))
	var res struct {
		ID principal.Principal `candid:"canister_id"`
	}
	if r[0].Status != canisters.StatusReplied || candid.Decode(r[0].Reply, &res) != nil {
		c.s.t.Fatalf("create: %+v", r[0])
	}
	r = c.run(1, c.msg(canisters.Message{Kind: canisters.KindInstall, Sender: simCtrl.Bytes(), Canister: res.ID.Bytes(), Wasm: wasm}))
	if r[0].Status != canisters.StatusReplied {
		c.s.t.Fatalf("install: %+v", r[0])
	}
	return res.ID
}

func fwd(callee principal.Principal, method string, payload []byte) []byte {
	b := append([]byte{byte(len(callee.Bytes()))}, callee.Bytes()...)
	b = append(append(b, byte(len(method))), method...)
	return append(b, payload...)
}

// sameCanisters fails unless every live node has the same canister state.
func (s *simSubnet) sameCanisters() [32]byte {
	s.t.Helper()
	var want [32]byte
	for k, nd := range s.live() {
		nd.app.cans.mu.Lock()
		h := nd.app.cans.c.StateHash()
		nd.app.cans.mu.Unlock()
		if k == 0 {
			want = h
		} else if h != want {
			s.t.Fatalf("node %d has another canister state", nd.cfg.Index)
		}
	}
	return want
}

// TestSimCanisters runs a workload of calls, traps, a loop, calls between
// canisters and an upgrade on four nodes, with one node killed and
// restarted in the middle, and checks that every node reaches the same
// state and no answered message is lost.
func TestSimCanisters(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	c := &canClient{s: s}
	counter := c.create(canisterWasm(t, "counter.wat"))
	proxy := c.create(canisterWasm(t, "proxy.wat"))
	r := c.run(2, c.call(counter, "inc", nil), c.call(counter, "boom", nil), c.call(counter, "spin", nil),
		c.call(proxy, "forward", fwd(counter, "inc", nil)), c.call(proxy, "forward_trap", fwd(counter, "inc", nil)))
	if r[0].Status != canisters.StatusReplied || r[1].Status != canisters.StatusRejected || r[1].RejectCode != 5 ||
		r[2].Status != canisters.StatusRejected || r[3].Status != canisters.StatusReplied || r[4].Status != canisters.StatusRejected {
		t.Fatalf("workload: %+v %+v %+v %+v %+v", r[0], r[1], r[2], r[3], r[4])
	}
	// Kill node 3 in the middle of a workload; the others go on.
	var acked [][32]byte
	ids := c.submit(0, c.call(counter, "inc", nil), c.call(proxy, "forward", fwd(counter, "inc", nil)))
	s.step()
	s.crash(3)
	ids = append(ids, c.submit(1, c.call(counter, "inc", nil),
		c.msg(canisters.Message{Kind: canisters.KindUpgrade, Sender: simCtrl.Bytes(), Canister: counter.Bytes(), Wasm: canisterWasm(t, "counter.wat")}),
		c.call(counter, "inc", nil))...)
	s.run(30, "workload without node 3", func() bool { return c.final(ids) })
	acked = append(acked, ids...)
	s.steps(2)
	s.restart(3)
	s.steps(2)
	s.sameCanisters()
	for _, id := range acked {
		if r := s.nodes[3].app.canisterStatus(id[:]); r == nil || r.Status != canisters.StatusReplied {
			t.Fatalf("restarted node lost message %x: %+v", id[:4], r)
		}
	}
	q := s.nodes[3].app.canisterQuery(counter, simAlice, "get", nil)
	if !q.Replied || binary.LittleEndian.Uint64(q.Reply) != 7 {
		t.Fatalf("counter after the workload: %+v", q)
	}
	// The certified tree carries the canister's leaves.
	wantHash := sha256.Sum256(canisterWasm(t, "counter.wat"))
	for _, nd := range s.live() {
		found := false
		for _, l := range certification.Leaves(nd.app.trees[uint64(s.height())]) {
			if len(l.Path) == 3 && string(l.Path[0]) == "canister" && bytes.Equal(l.Path[1], counter.Bytes()) &&
				string(l.Path[2]) == "module_hash" {
				found = bytes.Equal(l.Value, wantHash[:])
			}
		}
		if !found {
			t.Fatalf("node %d: no module hash of the counter in the certified tree", nd.cfg.Index)
		}
	}
}

type simKeyID struct {
	candid.IsVariant
	Secp256k1 *candid.Null `candid:"secp256k1"`
}

// TestSimCanisterSigns: a canister's calls to the management canister
// reach the threshold signing with the canister as the caller, and the
// signature verifies under the key ecdsa_public_key returned to it.
func TestSimCanisterSigns(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	c := &canClient{s: s}
	proxy := c.create(canisterWasm(t, "proxy.wat"))
	s.run(200, "keys", s.keysReady)
	mgmt := principal.Management()
	hash := sha256.Sum256([]byte("signed by a canister"))
	path := [][]byte{[]byte("wallet"), {0, 1}}
	type keyID struct {
		Curve simKeyID `candid:"curve"`
		Name  string   `candid:"name"`
	}
	key := keyID{Curve: simKeyID{Secp256k1: &candid.Null{}}, Name: "dfx_test_key"}
	pkArg, err := candid.Encode(struct {
		CanisterID     *principal.Principal `candid:"canister_id"`
		DerivationPath [][]byte             `candid:"derivation_path"`
		KeyID          keyID                `candid:"key_id"`
	}{DerivationPath: path, KeyID: key})
	if err != nil {
		t.Fatal(err)
	}
	signArg, err := candid.Encode(struct {
		MessageHash    []byte   `candid:"message_hash"`
		DerivationPath [][]byte `candid:"derivation_path"`
		KeyID          keyID    `candid:"key_id"`
	}{MessageHash: hash[:], DerivationPath: path, KeyID: key})
	if err != nil {
		t.Fatal(err)
	}
	start := s.height()
	r := c.run(0, c.call(proxy, "forward", fwd(mgmt, "ecdsa_public_key", pkArg)), c.call(proxy, "forward", fwd(mgmt, "sign_with_ecdsa", signArg)),
		c.call(proxy, "forward", fwd(mgmt, "raw_rand", []byte("DIDL\x00\x00"))))
	t.Logf("sign_with_ecdsa from a canister: %d heights", s.height()-start)
	var pk struct {
		PublicKey []byte `candid:"public_key"`
		ChainCode []byte `candid:"chain_code"`
	}
	var sig struct {
		Signature []byte `candid:"signature"`
	}
	if r[0].Status != canisters.StatusReplied || candid.Decode(r[0].Reply, &pk) != nil {
		t.Fatalf("ecdsa_public_key: %+v", r[0])
	}
	if r[1].Status != canisters.StatusReplied || candid.Decode(r[1].Reply, &sig) != nil {
		t.Fatalf("sign_with_ecdsa: %+v", r[1])
	}
	checkSignature(t, "ecdsa:secp256k1:dfx_test_key", hash[:], &subnet.RequestRecord{PublicKey: pk.PublicKey, Signature: sig.Signature})
	// The key is the canister's: the node derives the same for the
	// canister id as caller, and another for another caller.
	want, _, err := s.nodes[1].app.engines["ecdsa:secp256k1:dfx_test_key"].PublicKey(proxy, path)
	if err != nil || !bytes.Equal(want, pk.PublicKey) {
		t.Fatalf("public key is not the canister's: %v", err)
	}
	// The reply is certified: /request_status/<id>/reply under the
	// subnet's root key.
	id := c.lastIDs[1]
	var cert []byte
	s.run(10, "certified reply", func() bool {
		var ok bool
		cert, _, ok = s.nodes[2].app.certificateFor(id[:], r[1].Height)
		return ok
	})
	parsed, err := certification.ParseCertificate(cert)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := thresholdsig.ParseDERPublicKey(s.nodes[2].app.keys(s.state(2)).rootKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certification.Verify(parsed, rk, certification.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	if st, v := certification.Lookup(parsed.Tree, [][]byte{[]byte("request_status"), id[:], []byte("reply")}); st != certification.Found || !bytes.Equal(v, r[1].Reply) {
		t.Fatalf("certified reply: %v", st)
	}
	var rnd []byte
	if r[2].Status != canisters.StatusReplied || candid.Decode(r[2].Reply, &rnd) != nil || len(rnd) != 32 {
		t.Fatalf("raw_rand: %+v", r[2])
	}
	// Schnorr: BIP340 and Ed25519.
	for _, alg := range []string{"bip340secp256k1", "ed25519"} {
		type algorithm struct {
			candid.IsVariant
			BIP340  *candid.Null `candid:"bip340secp256k1"`
			Ed25519 *candid.Null `candid:"ed25519"`
		}
		type schnorrKey struct {
			Algorithm algorithm `candid:"algorithm"`
			Name      string    `candid:"name"`
		}
		k := schnorrKey{Name: "dfx_test_key"}
		if alg == "ed25519" {
			k.Algorithm.Ed25519 = &candid.Null{}
		} else {
			k.Algorithm.BIP340 = &candid.Null{}
		}
		pkArg, _ := candid.Encode(struct {
			CanisterID     *principal.Principal `candid:"canister_id"`
			DerivationPath [][]byte             `candid:"derivation_path"`
			KeyID          schnorrKey           `candid:"key_id"`
		}{DerivationPath: path, KeyID: k})
		signArg, err := candid.Encode(struct {
			Message        []byte     `candid:"message"`
			DerivationPath [][]byte   `candid:"derivation_path"`
			KeyID          schnorrKey `candid:"key_id"`
			Aux            *struct {
				candid.IsVariant
				BIP341 *struct {
					MerkleRootHash []byte `candid:"merkle_root_hash"`
				} `candid:"bip341"`
			} `candid:"aux"`
		}{Message: hash[:], DerivationPath: path, KeyID: k})
		if err != nil {
			t.Fatal(err)
		}
		r := c.run(3, c.call(proxy, "forward", fwd(mgmt, "schnorr_public_key", pkArg)), c.call(proxy, "forward", fwd(mgmt, "sign_with_schnorr", signArg)))
		if r[0].Status != canisters.StatusReplied || candid.Decode(r[0].Reply, &pk) != nil {
			t.Fatalf("schnorr_public_key %s: %+v", alg, r[0])
		}
		if r[1].Status != canisters.StatusReplied || candid.Decode(r[1].Reply, &sig) != nil {
			t.Fatalf("sign_with_schnorr %s: %+v", alg, r[1])
		}
		pub := pk.PublicKey
		if alg != "ed25519" && len(pub) == 33 {
			pub = pub[1:] // BIP340 verifies under the x-only key
		}
		checkSignature(t, "schnorr:"+alg+":dfx_test_key", hash[:], &subnet.RequestRecord{PublicKey: pub, Signature: sig.Signature})
	}
	s.sameCanisters()
}

// BenchmarkSimCanisterSign measures a canister's sign_with_ecdsa on the
// simulated four-node subnet: heights from the block that carries the
// ingress message to the block whose round runs the callback (the
// latency is that many block intervals), and the processing time of the
// four state machines in one process (ns/op).
func BenchmarkSimCanisterSign(b *testing.B) {
	s := newSimSubnet(b, 4, subnetOptions{}, nil)
	c := &canClient{s: s}
	proxy := c.create(canisterWasm(b, "proxy.wat"))
	s.run(200, "keys", s.keysReady)
	type keyID struct {
		Curve simKeyID `candid:"curve"`
		Name  string   `candid:"name"`
	}
	heights := int64(0)
	b.ResetTimer()
	for i := range b.N {
		hash := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		arg, err := candid.Encode(struct {
			MessageHash    []byte   `candid:"message_hash"`
			DerivationPath [][]byte `candid:"derivation_path"`
			KeyID          keyID    `candid:"key_id"`
		}{MessageHash: hash[:], KeyID: keyID{Curve: simKeyID{Secp256k1: &candid.Null{}}, Name: "dfx_test_key"}})
		if err != nil {
			b.Fatal(err)
		}
		start := s.height()
		r := c.run(i%4, c.call(proxy, "forward", fwd(principal.Management(), "sign_with_ecdsa", arg)))
		if r[0].Status != canisters.StatusReplied {
			b.Fatalf("sign_with_ecdsa: %+v", r[0])
		}
		heights += s.height() - start
	}
	b.ReportMetric(float64(heights)/float64(b.N), "heights/op")
}
