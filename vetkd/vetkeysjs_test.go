package vetkd_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/vetkd"

	"github.com/chainkey/chainkey/internal/nodejstest"
)

// vetkeysJSDir holds the Node project that runs @dfinity/vetkeys.
const vetkeysJSDir = "testdata/vetkeysjs"

// vetkeysJS is one running `node vetkeys.mjs`, answering one request per
// line.
type vetkeysJS struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Scanner
}

// startVetKeysJS installs the Node project if needed and starts vetkeys.mjs
// for the duration of the test. It skips the test when CHAINKEY_SKIP_NODE=1
// and fails it when node or npm is missing.
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
	js.mustCall(map[string]any{"op": "info"}, &info)
	if info.Name != "@dfinity/vetkeys" || info.Version != "0.4.0" {
		t.Fatalf("vetkeys.mjs runs %s %s, want @dfinity/vetkeys 0.4.0", info.Name, info.Version)
	}
	return js
}

// call sends one request and decodes the reply into out; it returns the
// library's error message if it refused the request.
func (js *vetkeysJS) call(req map[string]any, out any) (refusal string) {
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
	line := js.out.Bytes()
	var e struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(line, &e); err != nil {
		js.t.Fatalf("reply %q: %v", line, err)
	}
	if e.Error != nil {
		return *e.Error
	}
	if err := json.Unmarshal(line, out); err != nil {
		js.t.Fatalf("reply %q: %v", line, err)
	}
	return ""
}

func (js *vetkeysJS) mustCall(req map[string]any, out any) {
	js.t.Helper()
	if msg := js.call(req, out); msg != "" {
		js.t.Fatalf("%v: refused by @dfinity/vetkeys: %s", req["op"], msg)
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsTransportKey is a transport key made by the library.
type jsTransportKey struct {
	ID        int    `json:"id"`
	PublicKey string `json:"publicKey"`
	SecretKey string `json:"secretKey"`
}

type jsDecrypted struct {
	VetKey       string `json:"vetKey"`
	IBEPlaintext string `json:"ibePlaintext"`
	SymmetricKey string `json:"symmetricKey"`
}

// TestVetKeysJSDecryptsCombinedKeys has the library make transport keys,
// lets simulated subnets of 4 and 13 nodes (a dealt master key, threshold
// n−f, f liars) derive encrypted keys for them, and checks that the
// library's EncryptedVetKey.decryptAndVerify accepts each under the derived
// public key we compute, that the vetKey decrypts an IBE ciphertext the
// library encrypted to that identity, and that the library refuses a wrong
// transport key, input, context or canister and tampered keys.
func TestVetKeysJSDecryptsCombinedKeys(t *testing.T) {
	js := startVetKeysJS(t)
	for _, n := range []int{4, 13} {
		t.Run(fmt.Sprint("n=", n), func(t *testing.T) {
			s := newSubnet(t, n)
			var tk, otherTK jsTransportKey
			js.mustCall(map[string]any{"op": "transportKey"}, &tk)
			js.mustCall(map[string]any{"op": "transportKey"}, &otherTK)
			identity := []byte("alice@example.com")
			req := &vetkd.Request{
				CanisterID:         canister,
				Context:            []byte("encrypted-notes-v1"),
				Input:              identity,
				TransportPublicKey: unhex(t, tk.PublicKey),
			}
			d := newDerivation(t, s.pc, req)
			dpk := d.PublicKey()

			// The library derives the same public key offline.
			var derived struct{ CanisterKey, PublicKey string }
			js.mustCall(map[string]any{"op": "derive", "masterKey": hex.EncodeToString(s.pc.PublicKey().Bytes()),
				"canisterId": hex.EncodeToString(canister), "context": hex.EncodeToString(req.Context)}, &derived)
			if derived.PublicKey != hex.EncodeToString(dpk.Bytes()) {
				t.Fatalf("derived public key: library %s, ours %x", derived.PublicKey, dpk.Bytes())
			}

			// f nodes lie: their shares are for another input.
			lying := newDerivation(t, s.pc, &vetkd.Request{CanisterID: canister, Context: req.Context,
				Input: []byte("mallory"), TransportPublicKey: req.TransportPublicKey})
			shares := s.encShares(t, d, all(n))
			var liars []int
			for i := range s.f {
				sh, err := lying.CreateShare(rand.Reader, s.shares[i])
				if err != nil {
					t.Fatal(err)
				}
				shares[i] = sh
				liars = append(liars, i)
			}
			ek, bad, err := d.Combine(shares)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(bad, liars) {
				t.Fatalf("bad shares %v, want %v", bad, liars)
			}

			// The library encrypts to the identity under our derived key.
			message := []byte("the notes of alice")
			var ct struct{ Ciphertext string }
			js.mustCall(map[string]any{"op": "ibeEncrypt", "publicKey": hex.EncodeToString(dpk.Bytes()),
				"identity": hex.EncodeToString(identity), "message": hex.EncodeToString(message)}, &ct)

			decrypt := func(tkID int, ek []byte, dpk *vetkd.DerivedPublicKey, input []byte) (jsDecrypted, string) {
				var out jsDecrypted
				msg := js.call(map[string]any{"op": "decrypt", "transportKeyId": tkID,
					"encryptedKey": hex.EncodeToString(ek), "publicKey": hex.EncodeToString(dpk.Bytes()),
					"input": hex.EncodeToString(input), "ibeCiphertext": ct.Ciphertext,
					"symmetricDomain": "chainkey-test-aes-key"}, &out)
				return out, msg
			}
			got, refusal := decrypt(tk.ID, ek.Bytes(), dpk, identity)
			if refusal != "" {
				t.Fatalf("decryptAndVerify refused our encrypted key: %s", refusal)
			}
			if got.IBEPlaintext != hex.EncodeToString(message) {
				t.Fatalf("IBE plaintext %q, want %q", unhex(t, got.IBEPlaintext), message)
			}
			// Our own decryption with the library's transport secret key
			// gives the same vetKey and symmetric key.
			tsk, err := vetkd.ParseTransportSecretKey(unhex(t, tk.SecretKey))
			if err != nil {
				t.Fatal(err)
			}
			key, err := tsk.Decrypt(ek, dpk, identity)
			if err != nil {
				t.Fatal(err)
			}
			if got.VetKey != hex.EncodeToString(key.Bytes()) {
				t.Fatalf("vetKey: library %s, ours %x", got.VetKey, key.Bytes())
			}
			sym, err := key.DeriveSymmetricKey("chainkey-test-aes-key", 32)
			if err != nil {
				t.Fatal(err)
			}
			if got.SymmetricKey != hex.EncodeToString(sym) {
				t.Fatalf("symmetric key: library %s, ours %x", got.SymmetricKey, sym)
			}
			// Our IBE decrypts the library's ciphertext, and the library
			// decrypts ours.
			if pt, err := vetkd.IBEDecrypt(key, unhex(t, ct.Ciphertext)); err != nil || !bytes.Equal(pt, message) {
				t.Fatalf("our IBE decryption of the library's ciphertext: %q, %v", pt, err)
			}
			for _, m := range [][]byte{nil, message, bytes.Repeat([]byte{7}, 1000)} {
				ours, err := vetkd.IBEEncrypt(rand.Reader, dpk, identity, m)
				if err != nil {
					t.Fatal(err)
				}
				var pt struct{ Plaintext string }
				js.mustCall(map[string]any{"op": "ibeDecrypt", "ciphertext": hex.EncodeToString(ours),
					"vetKey": hex.EncodeToString(key.Bytes())}, &pt)
				if pt.Plaintext != hex.EncodeToString(m) {
					t.Fatalf("library's decryption of our IBE ciphertext of %d bytes: %s", len(m), pt.Plaintext)
				}
			}
			t.Logf("n=%d t=%d: library decrypted and verified the key combined despite liars %v; IBE both ways",
				n, d.Threshold(), liars)

			// Refusals.
			m := s.master(t)
			g1 := bls12381.G1().Generator().Bytes()
			tamperedC3 := slices.Clone(ek.Bytes())
			copy(tamperedC3[144:], g1)
			tamperedC1 := slices.Clone(ek.Bytes())
			copy(tamperedC1, g1)
			flipped := slices.Clone(ek.Bytes())
			flipped[150] ^= 0x01
			for _, tc := range []struct {
				name  string
				tkID  int
				ek    []byte
				dpk   *vetkd.DerivedPublicKey
				input []byte
			}{
				{"wrong transport key", otherTK.ID, ek.Bytes(), dpk, identity},
				{"wrong input", tk.ID, ek.Bytes(), dpk, []byte("bob@example.com")},
				{"wrong context", tk.ID, ek.Bytes(), vetkd.DerivePublicKey(m, canister, []byte("other")), identity},
				{"wrong canister", tk.ID, ek.Bytes(), vetkd.DerivePublicKey(m, []byte{9}, req.Context), identity},
				{"tampered C3", tk.ID, tamperedC3, dpk, identity},
				{"tampered C1", tk.ID, tamperedC1, dpk, identity},
				{"flipped bit in C3", tk.ID, flipped, dpk, identity},
				{"a lying node's share", tk.ID, shares[0], dpk, identity},
			} {
				if _, msg := decrypt(tc.tkID, tc.ek, tc.dpk, tc.input); msg == "" {
					t.Errorf("%s: accepted by the library", tc.name)
				} else if testing.Verbose() {
					t.Logf("%s: refused by the library: %s", tc.name, msg)
				}
			}
		})
	}
}

// TestVetKeysJSDerivation checks that the library's offline derivation
// (MasterPublicKey.deserialize(...).deriveCanisterKey(...).deriveSubKey(...))
// gives our public keys, for dealt master keys and for the Internet
// Computer's production master keys key_1 and test_key_1, whose bytes are
// read from the library.
func TestVetKeysJSDerivation(t *testing.T) {
	js := startVetKeysJS(t)
	masters := map[string][]byte{}
	for _, id := range []string{"key_1", "test_key_1"} {
		var pk struct{ MasterKey string }
		js.mustCall(map[string]any{"op": "productionKey", "keyId": id}, &pk)
		masters[id] = unhex(t, pk.MasterKey)
		if want := productionKeys[id]; pk.MasterKey != want {
			t.Errorf("library's %s is %s, testdata has %s", id, pk.MasterKey, want)
		}
	}
	masters["dealt"] = newSubnet(t, 4).pc.PublicKey().Bytes()
	contexts := [][]byte{nil, {0}, []byte("encrypted-notes-v1"), bytes.Repeat([]byte{0xab}, 300)}
	canisters := [][]byte{
		{},
		canister,
		unhex(t, "00000000013001f90101"), // a mainnet canister id
		bytes.Repeat([]byte{0xff}, 29),
	}
	count := 0
	for name, mb := range masters {
		m, err := vetkd.ParseMasterPublicKey(mb)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range canisters {
			for _, ctx := range contexts {
				var got struct{ CanisterKey, PublicKey string }
				js.mustCall(map[string]any{"op": "derive", "masterKey": hex.EncodeToString(mb),
					"canisterId": hex.EncodeToString(c), "context": hex.EncodeToString(ctx)}, &got)
				ck := m.DeriveCanisterKey(c)
				dpk := vetkd.DerivePublicKey(m, c, ctx)
				if got.CanisterKey != hex.EncodeToString(ck.Bytes()) || got.PublicKey != hex.EncodeToString(dpk.Bytes()) {
					t.Errorf("%s canister %x context %x: library %s / %s, ours %x / %x",
						name, c, ctx, got.CanisterKey, got.PublicKey, ck.Bytes(), dpk.Bytes())
				}
				count++
			}
		}
	}
	t.Logf("%d derivations agree with @dfinity/vetkeys", count)
}
