package replica

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/internal/nodejstest"
	"github.com/chainkey/chainkey/replica/subnet"
	"github.com/chainkey/chainkey/vetkd"
)

// vetkeysJSDir is the Node project of package vetkd's tests that runs
// @dfinity/vetkeys 0.4.0, unmodified.
const vetkeysJSDir = "../vetkd/testdata/vetkeysjs"

const testVetKDKey = "bls12_381_g2:dfx_test_key"

// vetkeysJS is one running `node vetkeys.mjs`, answering one JSON request
// per line (see the script's header for the operations).
type vetkeysJS struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

func startVetKeysJS(t *testing.T) *vetkeysJS {
	t.Helper()
	proj := nodejstest.Install(t, vetkeysJSDir, "@dfinity/vetkeys")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cmd := proj.Command(ctx, "vetkeys.mjs")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("node vetkeys.mjs: %v\n%s", err, stderr.Bytes())
		}
		cancel()
	})
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	js := &vetkeysJS{t: t, in: in, out: sc}
	var info struct{ Name, Version string }
	if msg := js.call(map[string]any{"op": "info"}, &info); msg != "" || info.Version != "0.4.0" {
		t.Fatalf("vetkeys.mjs: %s %s %s, want @dfinity/vetkeys 0.4.0", msg, info.Name, info.Version)
	}
	return js
}

// call sends one request and decodes the reply into out; it returns the
// library's error message if it refused the request.
func (js *vetkeysJS) call(req map[string]any, out any) string {
	js.t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		js.t.Fatal(err)
	}
	if _, err := js.in.Write(append(b, '\n')); err != nil {
		js.t.Fatalf("write to vetkeys.mjs: %v", err)
	}
	if !js.out.Scan() {
		js.t.Fatalf("no reply from vetkeys.mjs to %s: %v", b, js.out.Err())
	}
	var e struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(js.out.Bytes(), &e); err != nil {
		js.t.Fatalf("reply %q: %v", js.out.Bytes(), err)
	}
	if e.Error != nil {
		return *e.Error
	}
	if err := json.Unmarshal(js.out.Bytes(), out); err != nil {
		js.t.Fatalf("reply %q: %v", js.out.Bytes(), err)
	}
	return ""
}

// vetkdReady reports whether every live node has the vetKD master key.
func (s *simSubnet) vetkdReady() bool {
	for _, nd := range s.live() {
		if cs, _ := nd.app.committed(); cs.VetKDPub[testVetKDKey] == nil {
			return false
		}
	}
	return true
}

// vetkdEnvelope makes a derivation request of caller.
func (s *simSubnet) vetkdEnvelope(caller ingress.Signer, keyID string, context, input, tpk []byte) *ingress.Envelope {
	s.t.Helper()
	env, err := ingress.NewVetKDEnvelope(caller, &ingress.VetKDContent{IngressExpiry: ingress.Expiry(time.Now(), 4*time.Minute),
		Nonce: binary.BigEndian.AppendUint64(nil, uint64(s.height())), KeyID: keyID, Context: context, Input: input,
		TransportPublicKey: tpk})
	if err != nil {
		s.t.Fatal(err)
	}
	return env
}

// vetkdDerive submits a derivation request to node i and runs the subnet
// until every live node has it replied; it returns node i's record.
func (s *simSubnet) vetkdDerive(i int, env *ingress.Envelope) *subnet.RequestRecord {
	s.t.Helper()
	_, id, err := env.DecodeVetKDContent()
	if err != nil {
		s.t.Fatal(err)
	}
	if !s.submit(i, subnet.EncodeTx(&subnet.Tx{VetKD: &subnet.VetKDTx{Envelope: env.Marshal()}})) {
		s.t.Fatalf("node %d refuses a derivation request", i)
	}
	s.run(20, "encrypted key", func() bool {
		for _, nd := range s.live() {
			if r := nd.app.lookupRecord(id[:]); r == nil || r.Status != subnet.StatusReplied {
				return false
			}
		}
		return true
	})
	return s.nodes[i].app.lookupRecord(id[:])
}

// TestSimVetKD: a subnet of 4 nodes, one of which sends bad encrypted key
// shares, makes its vetKD master key with the BLS keys, derives an
// encrypted key for a transport key that @dfinity/vetkeys made, and the
// library's EncryptedVetKey.decryptAndVerify accepts it under the derived
// public key the node returns (and the vetKey decrypts what the library
// encrypted to the identity); the library refuses it for another transport
// key, input or context. The liar is convicted; a tampered combined key
// and a request for a key the subnet lacks are refused.
func TestSimVetKD(t *testing.T) {
	js := startVetKeysJS(t)
	const liar = 0
	s := newSimSubnet(t, 4, subnetOptions{}, lying(liar, faults{BadVetKDShares: true}))
	s.run(200, "vetKD master key", s.vetkdReady)
	t.Logf("vetKD master key at height %d", s.height())

	var tk, otherTK struct {
		ID        int    `json:"id"`
		PublicKey string `json:"publicKey"`
	}
	js.call(map[string]any{"op": "transportKey"}, &tk)
	js.call(map[string]any{"op": "transportKey"}, &otherTK)
	tpk, _ := hex.DecodeString(tk.PublicKey)
	caller, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	context, identity := []byte("encrypted-notes-v1"), []byte("alice@example.com")
	r := s.vetkdDerive(1, s.vetkdEnvelope(caller, testVetKDKey, context, identity, tpk))

	dpk, err := s.nodes[2].app.vetkdPublicKey(testVetKDKey, ingress.Sender(caller), context)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dpk, r.PublicKey) {
		t.Fatal("the reply's public key is not the one VetKDPublicKey returns")
	}
	// The library derives the same key offline from the master key.
	cs := s.state(3)
	mk, err := s.nodes[3].app.vk.coefficients(cs.VetKDPub[testVetKDKey])
	if err != nil {
		t.Fatal(err)
	}
	var derived struct{ PublicKey string }
	if msg := js.call(map[string]any{"op": "derive", "masterKey": hex.EncodeToString(mk.PublicKey().Bytes()),
		"canisterId": hex.EncodeToString(ingress.Sender(caller).Bytes()), "context": hex.EncodeToString(context)}, &derived); msg != "" {
		t.Fatal(msg)
	}
	if derived.PublicKey != hex.EncodeToString(dpk) {
		t.Fatalf("library derives %s, node returns %x", derived.PublicKey, dpk)
	}

	message := []byte("the notes of alice")
	var ct struct{ Ciphertext string }
	if msg := js.call(map[string]any{"op": "ibeEncrypt", "publicKey": hex.EncodeToString(dpk),
		"identity": hex.EncodeToString(identity), "message": hex.EncodeToString(message)}, &ct); msg != "" {
		t.Fatal(msg)
	}
	decrypt := func(tkID int, pub, input []byte) (string, string) {
		var out struct {
			IBEPlaintext string `json:"ibePlaintext"`
		}
		msg := js.call(map[string]any{"op": "decrypt", "transportKeyId": tkID, "encryptedKey": hex.EncodeToString(r.Signature),
			"publicKey": hex.EncodeToString(pub), "input": hex.EncodeToString(input), "ibeCiphertext": ct.Ciphertext,
			"symmetricDomain": "chainkey-test"}, &out)
		return out.IBEPlaintext, msg
	}
	plain, refusal := decrypt(tk.ID, dpk, identity)
	if refusal != "" {
		t.Fatalf("decryptAndVerify refuses the subnet's encrypted key: %s", refusal)
	}
	if plain != hex.EncodeToString(message) {
		t.Fatalf("IBE plaintext %s", plain)
	}
	if _, refusal := decrypt(otherTK.ID, dpk, identity); refusal == "" {
		t.Fatal("library accepts the key under another transport key")
	}
	if _, refusal := decrypt(tk.ID, dpk, []byte("bob@example.com")); refusal == "" {
		t.Fatal("library accepts the key for another input")
	}
	otherCtx, err := s.nodes[0].app.vetkdPublicKey(testVetKDKey, ingress.Sender(caller), []byte("other"))
	if err != nil {
		t.Fatal(err)
	}
	if _, refusal := decrypt(tk.ID, otherCtx, identity); refusal == "" {
		t.Fatal("library accepts the key under another context's public key")
	}

	// The liar's bad share was named and proven.
	s.waitConvicted(liar, 10)

	// A combined key that does not verify is refused: the key of the
	// first request offered for a second one.
	env := s.vetkdEnvelope(caller, testVetKDKey, context, []byte("second"), tpk)
	_, id2, _ := env.DecodeVetKDContent()
	if !s.submit(2, subnet.EncodeTx(&subnet.Tx{VetKD: &subnet.VetKDTx{Envelope: env.Marshal()}})) {
		t.Fatal("second request refused")
	}
	s.run(5, "second request pending", func() bool {
		return s.state(0).VetKDPendingIndex(id2[:]) >= 0 ||
			s.nodes[0].app.lookupRecord(id2[:]) != nil
	})
	if s.state(0).VetKDPendingIndex(id2[:]) < 0 {
		t.Fatal("second request not pending")
	}
	bad := subnet.EncodeTx(&subnet.Tx{VetKDReply: &subnet.ReplyTx{RequestID: id2[:], Signature: r.Signature}})
	if s.accepts([][]byte{bad}) {
		t.Fatal("a block with a wrong encrypted key is accepted")
	}

	// Keys the subnet lacks and invalid transport keys are refused at the
	// mempool.
	if s.submit(0, subnet.EncodeTx(&subnet.Tx{VetKD: &subnet.VetKDTx{Envelope: s.vetkdEnvelope(caller,
		"bls12_381_g2:key_1", nil, identity, tpk).Marshal()}})) {
		t.Fatal("request for an unknown vetKD key admitted")
	}
	if s.submit(0, subnet.EncodeTx(&subnet.Tx{VetKD: &subnet.VetKDTx{Envelope: s.vetkdEnvelope(caller,
		testVetKDKey, nil, identity, make([]byte, 48)).Marshal()}})) {
		t.Fatal("request with a zero transport key admitted")
	}
	if _, err := vetkd.ParseTransportPublicKey(make([]byte, 48)); err == nil {
		t.Fatal("zero transport key parses")
	}
}

// TestSimVetKDResharing: resharing gives the vetKD master key new public
// coefficients and new shares but keeps its public key, so derived public
// keys do not change, and derivation goes on with the new shares.
func TestSimVetKDResharing(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{reshareInterval: 8}, nil)
	s.run(200, "vetKD master key", s.vetkdReady)
	caller, _ := ingress.GenerateEd25519()
	before, err := s.nodes[0].app.vetkdPublicKey(testVetKDKey, ingress.Sender(caller), nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := string(s.state(0).VetKDPub[testVetKDKey])
	s.run(60, "resharing", func() bool {
		cs := s.state(0)
		return string(cs.VetKDPub[testVetKDKey]) != pub && cs.BLSEpoch >= 2 && !cs.BLSResharing
	})
	after, err := s.nodes[1].app.vetkdPublicKey(testVetKDKey, ingress.Sender(caller), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("derived public key changed by resharing")
	}
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r := s.vetkdDerive(3, s.vetkdEnvelope(caller, testVetKDKey, nil, []byte("after"), tsk.PublicKey().Bytes()))
	ek, err := vetkd.ParseEncryptedKey(r.Signature)
	if err != nil {
		t.Fatal(err)
	}
	dpk, err := vetkd.ParseDerivedPublicKey(after)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tsk.Decrypt(ek, dpk, []byte("after")); err != nil {
		t.Fatalf("key derived after resharing: %v", err)
	}
	for i := range s.nodes {
		if c := s.convicted(i); len(c) != 0 {
			t.Fatalf("node %d convicted %v", i, c)
		}
	}
}

// TestSimVetKDRestartAndTwoLiars: in a subnet of 7 nodes, two send bad
// encrypted key shares (f = 2) and one crashes and restarts from its
// store (its master key share is read back from its file); derivation
// goes on, and both liars are convicted.
func TestSimVetKDRestartAndTwoLiars(t *testing.T) {
	if testing.Short() {
		t.Skip("a 7-node subnet")
	}
	s := newSimSubnet(t, 7, subnetOptions{}, func(c *Config) {
		if c.Index == 1 || c.Index == 5 {
			c.lie = faults{BadVetKDShares: true}
		}
	})
	s.run(200, "vetKD master key", s.vetkdReady)
	s.crash(3)
	s.steps(2)
	s.restart(3)
	caller, _ := ingress.GenerateEd25519()
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r := s.vetkdDerive(3, s.vetkdEnvelope(caller, testVetKDKey, []byte("c"), []byte("x"), tsk.PublicKey().Bytes()))
	ek, _ := vetkd.ParseEncryptedKey(r.Signature)
	dpk, _ := vetkd.ParseDerivedPublicKey(r.PublicKey)
	if _, err := tsk.Decrypt(ek, dpk, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if held := s.nodes[3].app.vetkdSharesOf(subnet.KeyEpoch(s.state(3))); held[testVetKDKey] == nil {
		t.Fatal("restarted node has no master key share")
	}
	if fi, err := os.Stat(s.nodes[3].cfg.secretPath(vetkdShareFile(testVetKDKey))); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key share file: %v %v", fi, err)
	}
	s.run(10, "conviction of both liars", func() bool {
		for _, nd := range s.live() {
			c := s.convicted(nd.cfg.Index)
			for k := range c {
				if k != 1 && k != 5 {
					t.Fatalf("node %d convicted honest node %d", nd.cfg.Index, k)
				}
			}
			if c[1] == 0 || c[5] == 0 {
				return false
			}
		}
		return true
	})
}
