package ingress

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/principal"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// jsonToValue converts the vector file's JSON values: strings prefixed
// "hex:" are blobs, other strings text, numbers nats.
func jsonToValue(t *testing.T, v any) any {
	switch v := v.(type) {
	case string:
		if h, ok := strings.CutPrefix(v, "hex:"); ok {
			b, err := hex.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		return v
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			u, err2 := v.Float64()
			t.Fatalf("number %s: %v %v %v", v, err, u, err2)
		}
		return uint64(n)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonToValue(t, e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = jsonToValue(t, e)
		}
		return out
	}
	t.Fatalf("unsupported JSON value %T", v)
	return nil
}

func TestRequestIDVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/request-id.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name      string         `json:"name"`
			Map       map[string]any `json:"map"`
			RequestID string         `json:"request_id"`
		} `json:"cases"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 6 {
		t.Fatalf("%d cases, want 6", len(f.Cases))
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			m := jsonToValue(t, c.Map).(map[string]any)
			id, err := HashOfMap(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(id[:]); got != c.RequestID {
				t.Fatalf("request id %s, want %s", got, c.RequestID)
			}
			// Changing any value changes the id.
			m["extra"] = "x"
			id2, _ := HashOfMap(m)
			if id2 == id {
				t.Fatal("extra field did not change the request id")
			}
		})
	}
}

func TestHashOfMapRejectsNil(t *testing.T) {
	if _, err := HashOfMap(map[string]any{"a": nil}); err == nil {
		t.Fatal("nil value accepted")
	}
	if _, err := HashOfMap(map[string]any{"a": 1.5}); err == nil {
		t.Fatal("float accepted")
	}
}

func TestSLEB128(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want string
	}{{0, "00"}, {2, "02"}, {-2, "7e"}, {63, "3f"}, {64, "c000"}, {-64, "40"}, {-65, "bf7f"}, {-123456, "c0bb78"}} {
		if got := hex.EncodeToString(appendSLEB128(nil, c.v)); got != c.want {
			t.Errorf("sleb128(%d) = %s, want %s", c.v, got, c.want)
		}
	}
}

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func testContent() *SignContent {
	return &SignContent{
		IngressExpiry:  Expiry(testNow, 3*time.Minute),
		Nonce:          []byte("nonce-1"),
		KeyID:          "ecdsa:secp256k1:dfx_test_key",
		DerivationPath: [][]byte{[]byte("wallet"), {}},
		MessageHash:    bytes.Repeat([]byte{0xab}, 32),
	}
}

func signers(t *testing.T) map[string]Signer {
	t.Helper()
	ed, err := NewEd25519Signer(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	var k secp256k1.ModNScalar
	k.SetInt(12345)
	sk, err := NewSecp256k1Signer(secp256k1.NewPrivateKey(&k))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Signer{"ed25519": ed, "secp256k1": sk}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for name, s := range signers(t) {
		t.Run(name, func(t *testing.T) {
			c := testContent()
			env, err := NewSignEnvelope(s, c)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := ParseEnvelope(env.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			got, id, err := parsed.Verify(testNow, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if got.Sender != Sender(s) {
				t.Fatalf("sender %s, want %s", got.Sender, Sender(s))
			}
			if got.KeyID != c.KeyID || !bytes.Equal(got.MessageHash, c.MessageHash) || len(got.DerivationPath) != 2 ||
				!bytes.Equal(got.DerivationPath[0], []byte("wallet")) || len(got.DerivationPath[1]) != 0 || got.TaprootMerkleRoot != nil {
				t.Fatalf("content mismatch: %+v", got)
			}
			c.Sender = Sender(s)
			if id != c.RequestID() {
				t.Fatal("request id differs from SignContent.RequestID")
			}
			// The request id is the hash-of-map of the content fields.
			want, _ := HashOfMap(map[string]any{
				"request_type": "sign", "sender": Sender(s).Bytes(), "ingress_expiry": c.IngressExpiry,
				"nonce": c.Nonce, "key_id": c.KeyID, "derivation_path": []any{[]byte("wallet"), []byte{}},
				"message_hash": c.MessageHash,
			})
			if id != want {
				t.Fatal("request id is not the hash of the content map")
			}
		})
	}
}

func TestTaprootPresence(t *testing.T) {
	s := signers(t)["ed25519"]
	base := &SignContent{IngressExpiry: Expiry(testNow, time.Minute), KeyID: "schnorr:bip340secp256k1:dfx_test_key", MessageHash: []byte("any message")}
	ids := map[[32]byte]bool{}
	for _, root := range [][]byte{nil, {}, bytes.Repeat([]byte{1}, 32)} {
		c := *base
		c.TaprootMerkleRoot = root
		env, err := NewSignEnvelope(s, &c)
		if err != nil {
			t.Fatal(err)
		}
		got, id, err := env.Verify(testNow, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if (got.TaprootMerkleRoot == nil) != (root == nil) || !bytes.Equal(got.TaprootMerkleRoot, root) {
			t.Fatalf("taproot root %x (nil %v), want %x (nil %v)", got.TaprootMerkleRoot, got.TaprootMerkleRoot == nil, root, root == nil)
		}
		ids[id] = true
	}
	if len(ids) != 3 {
		t.Fatal("absent, empty and 32-byte taproot roots must give distinct request ids")
	}
	c := *base
	c.KeyID = "schnorr:ed25519:dfx_test_key"
	c.TaprootMerkleRoot = []byte{}
	if _, err := NewSignEnvelope(s, &c); err == nil {
		t.Fatal("taproot root accepted for an ed25519 key")
	}
	c = *base
	c.TaprootMerkleRoot = []byte{1, 2, 3}
	if _, err := NewSignEnvelope(s, &c); err == nil {
		t.Fatal("3-byte taproot root accepted")
	}
}

func TestVerifyNegatives(t *testing.T) {
	ss := signers(t)
	s := ss["secp256k1"]
	env, err := NewSignEnvelope(s, testContent())
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, e *Envelope, now time.Time, want error) {
		t.Helper()
		_, _, err := e.Verify(now, 5*time.Minute)
		if !errors.Is(err, want) {
			t.Fatalf("error %v, want %v", err, want)
		}
	}
	t.Run("wrong signature", func(t *testing.T) {
		e := *env
		e.SenderSig = bytes.Clone(env.SenderSig)
		e.SenderSig[5] ^= 1
		check(t, &e, testNow, ErrBadSignature)
	})
	t.Run("high s", func(t *testing.T) {
		e := *env
		var sc secp256k1.ModNScalar
		sc.SetByteSlice(env.SenderSig[32:])
		sc.Negate()
		e.SenderSig = bytes.Clone(env.SenderSig)
		sc.PutBytesUnchecked(e.SenderSig[32:])
		check(t, &e, testNow, ErrBadSignature)
	})
	t.Run("signature by other key", func(t *testing.T) {
		other, _ := NewSignEnvelope(ss["ed25519"], testContent())
		e := *env
		e.SenderSig = other.SenderSig
		check(t, &e, testNow, ErrBadSignature)
	})
	t.Run("sender mismatching key", func(t *testing.T) {
		// Content claims the secp256k1 sender, but the ed25519 key signs it.
		c := testContent()
		c.Sender = Sender(s)
		w := c.wire()
		content, _ := encMode.Marshal(w)
		id := c.RequestID()
		sig, _ := ss["ed25519"].Sign(append(bytes.Clone(domainRequest), id[:]...))
		e := &Envelope{Content: content, SenderPubKey: ss["ed25519"].PublicKeyDER(), SenderSig: sig}
		check(t, e, testNow, ErrSenderMismatch)
		if _, err := NewSignEnvelope(ss["ed25519"], c); !errors.Is(err, ErrSenderMismatch) {
			t.Fatalf("NewSignEnvelope: %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		check(t, env, testNow.Add(3*time.Minute+time.Nanosecond), ErrExpired)
	})
	t.Run("expiry too far ahead", func(t *testing.T) {
		check(t, env, testNow.Add(-2*time.Minute-time.Nanosecond), ErrExpiryTooFar)
		if _, _, err := env.Verify(testNow.Add(-2*time.Minute), 5*time.Minute); err != nil {
			t.Fatalf("expiry exactly at the limit refused: %v", err)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		c := testContent()
		c.Sender = principal.Anonymous()
		if _, err := NewSignEnvelope(s, c); !errors.Is(err, ErrAnonymous) {
			t.Fatalf("NewSignEnvelope: %v", err)
		}
		w := c.wire()
		content, _ := encMode.Marshal(w)
		e := &Envelope{Content: content, SenderPubKey: s.PublicKeyDER(), SenderSig: env.SenderSig}
		check(t, e, testNow, ErrAnonymous)
	})
	t.Run("unsupported public key", func(t *testing.T) {
		e := *env
		e.SenderPubKey = env.SenderPubKey[:len(env.SenderPubKey)-1]
		_, _, err := e.Verify(testNow, 5*time.Minute)
		if err == nil {
			t.Fatal("truncated public key accepted")
		}
	})
	t.Run("bad content", func(t *testing.T) {
		for name, c := range map[string]func(*SignContent){
			"ecdsa hash not 32":  func(c *SignContent) { c.MessageHash = c.MessageHash[:31] },
			"unknown key":        func(c *SignContent) { c.KeyID = "ecdsa:secp256r1:key" },
			"nonce too long":     func(c *SignContent) { c.Nonce = make([]byte, 33) },
			"path too long":      func(c *SignContent) { c.DerivationPath = make([][]byte, 256) },
			"path bytes too big": func(c *SignContent) { c.DerivationPath = [][]byte{make([]byte, MaxDerivationPathBytes+1)} },
		} {
			cc := testContent()
			c(cc)
			if _, err := NewSignEnvelope(s, cc); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})
}

func TestParseEnvelopeStrict(t *testing.T) {
	s := signers(t)["ed25519"]
	env, err := NewSignEnvelope(s, testContent())
	if err != nil {
		t.Fatal(err)
	}
	good := env.Marshal()
	if _, err := ParseEnvelope(good); err != nil {
		t.Fatal(err)
	}
	for i := range good {
		if _, err := ParseEnvelope(good[:i]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated at %d: %v", i, err)
		}
	}
	if _, err := ParseEnvelope(append(bytes.Clone(good), 0)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing byte: %v", err)
	}
	if _, err := ParseEnvelope(good[3:]); !errors.Is(err, ErrMalformed) {
		t.Fatalf("untagged: %v", err)
	}
	if _, err := ParseEnvelope(make([]byte, MaxEnvelopeSize+1)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversized: %v", err)
	}
	big := testContent()
	big.KeyID = "schnorr:ed25519:dfx_test_key"
	big.MessageHash = make([]byte, MaxMessageSize+1)
	if _, err := NewSignEnvelope(s, big); err == nil {
		t.Fatal("oversized message accepted")
	}
	// Unknown, duplicate and non-canonical content fields.
	mk := func(content []byte) []byte {
		return (&Envelope{Content: content, SenderPubKey: env.SenderPubKey, SenderSig: env.SenderSig}).Marshal()
	}
	var m map[string]any
	if err := decMode.Unmarshal(env.Content, &m); err != nil {
		t.Fatal(err)
	}
	m["extra"] = uint64(1)
	extra, _ := encMode.Marshal(m)
	delete(m, "extra")
	delete(m, "key_id")
	missing, _ := encMode.Marshal(m)
	m["key_id"] = "ecdsa:secp256k1:dfx_test_key"
	m["nonce"] = []byte{}
	emptyNonce, _ := encMode.Marshal(m)
	for name, content := range map[string][]byte{"extra field": extra, "missing field": missing, "empty nonce": emptyNonce} {
		e, err := ParseEnvelope(mk(content))
		if err != nil {
			continue // rejected at the envelope level is fine too
		}
		if _, _, err := e.Verify(testNow, 5*time.Minute); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Non-canonical integer encoding of the expiry (a 9-byte uint where a
	// shorter one fits would still be valid CBOR).
	var w signContentWire
	_ = decMode.Unmarshal(env.Content, &w)
	w.IngressExpiry = 5
	small, _ := encMode.Marshal(&w)
	i := bytes.Index(small, []byte("ingress_expiry"))
	long := append(bytes.Clone(small[:i+14]), append([]byte{0x1b, 0, 0, 0, 0, 0, 0, 0, 5}, small[i+15:]...)...)
	if e, err := ParseEnvelope(mk(long)); err == nil {
		if _, _, err := e.Verify(testNow, 5*time.Minute); !errors.Is(err, ErrMalformed) {
			t.Errorf("non-canonical integer: %v", err)
		}
	}
}

func TestParseKeyID(t *testing.T) {
	for _, s := range []string{"ecdsa:secp256k1:dfx_test_key", "schnorr:bip340secp256k1:test_key_1", "schnorr:ed25519:key-1"} {
		k, err := ParseKeyID(s)
		if err != nil || k.String() != s {
			t.Errorf("%s: %v %v", s, k, err)
		}
	}
	for _, s := range []string{"", "ecdsa:secp256k1:", "ecdsa:secp256k1", "ecdsa:p256:x", "schnorr:ed25519:a b", "ecdsa:secp256k1:" + strings.Repeat("a", 65)} {
		if _, err := ParseKeyID(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
