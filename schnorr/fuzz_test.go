package schnorr_test

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/schnorr"
)

// FuzzSignatureShare feeds arbitrary bytes to the signature-share decoder
// of both algorithms (shares arrive from peers) and checks every accepted
// share against a real presignature and request. An accepted share must
// re-encode to the same bytes, and a share that VerifyShare accepts must be
// exactly the share its signer computed (s_i is determined by the public
// data, so no other value may pass).
func FuzzSignatureShare(f *testing.F) {
	type setup struct {
		s      *subnet
		p      *schnorr.Presignature
		req    *schnorr.Request
		honest map[int][]byte
	}
	var setups []setup
	for k, alg := range []schnorr.Algorithm{schnorr.BIP340, schnorr.Ed25519} {
		s := newSubnet(f, alg, 4, uint64(31+k))
		p, pshares, _ := s.presign(f)
		req := request([]byte("fuzz"), "caller", "path")
		if alg == schnorr.BIP340 {
			req.TaprootMerkleRoot = []byte{}
		}
		st := setup{s: s, p: p, req: req, honest: map[int][]byte{}}
		for i, ps := range pshares {
			sh, err := schnorr.SignShare(s.key, s.keyOpen[i], p, ps, req, s.logs[i])
			if err != nil {
				f.Fatal(err)
			}
			b, err := sh.MarshalBinary()
			if err != nil {
				f.Fatal(err)
			}
			st.honest[i] = b
			f.Add(b)
		}
		setups = append(setups, st)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, st := range setups {
			sh, err := schnorr.UnmarshalSignatureShare(st.s.alg, b)
			if err != nil {
				continue
			}
			again, err := sh.MarshalBinary()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("accepted share re-encodes differently (%v)", err)
			}
			if schnorr.VerifyShare(st.s.key, st.p, st.req, sh) == nil && !bytes.Equal(b, st.honest[sh.Signer]) {
				t.Fatalf("%v: VerifyShare accepted a share that signer %d did not make: %x", st.s.alg, sh.Signer, b)
			}
		}
	})
}
