package replica

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	btcschnorr "github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/txscript"

	"github.com/chainkey/chainkey/ecdsa"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/schnorr"

	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/replica/subnet"
)

// thresholdEngine signs with one master key made by the IDKG lifecycle,
// through package ecdsa (ecdsa:secp256k1) or package schnorr
// (schnorr:bip340secp256k1, schnorr:ed25519).
type thresholdEngine struct {
	keyID string
	idkg  *idkgState
	// committed returns the committed state (its master key transcript).
	committed func() *subnet.State

	// derived caches derived public keys and chain codes by caller and
	// path: the master public key never changes (resharing keeps it), and
	// every node derives the key of a request several times (the check of
	// the combined signature, the reply).
	mu      sync.Mutex
	derived map[string][2][]byte
}

// maxDerived bounds the cache of derived keys.
const maxDerived = 1 << 12

func derivedKey(caller principal.Principal, path [][]byte) string {
	b := binary.AppendUvarint(nil, uint64(len(caller.Bytes())))
	b = append(b, caller.Bytes()...)
	for _, p := range path {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return string(b)
}

func (e *thresholdEngine) alg() schnorr.Algorithm {
	if strings.HasPrefix(e.keyID, "schnorr:ed25519:") {
		return schnorr.Ed25519
	}
	return schnorr.BIP340
}

func (e *thresholdEngine) key() (*idkg.Transcript, error) {
	id := e.committed().KeyTr[e.keyID]
	if id == nil {
		return nil, fmt.Errorf("%w: key %s is being created", api.ErrNotReady, e.keyID)
	}
	return e.idkg.transcript(id)
}

func (e *thresholdEngine) Threshold() int { return faultBound(e.idkg.size()) + 1 }

func (e *thresholdEngine) PublicKey(caller principal.Principal, path [][]byte) ([]byte, []byte, error) {
	ck := derivedKey(caller, path)
	e.mu.Lock()
	if v, ok := e.derived[ck]; ok {
		e.mu.Unlock()
		return slices.Clone(v[0]), slices.Clone(v[1]), nil
	}
	e.mu.Unlock()
	key, err := e.key()
	if err != nil {
		return nil, nil, err
	}
	var pub, code []byte
	if subnet.IsECDSA(e.keyID) {
		k, err := ecdsa.DerivePublicKey(key, caller.Bytes(), path)
		if err != nil {
			return nil, nil, err
		}
		pub, code = k.PublicKey, k.ChainCode
	} else {
		k, err := schnorr.DerivePublicKey(e.alg(), key, caller.Bytes(), path)
		if err != nil {
			return nil, nil, err
		}
		pub, code = k.PublicKey, k.ChainCode
	}
	e.mu.Lock()
	if e.derived == nil || len(e.derived) >= maxDerived {
		e.derived = map[string][2][]byte{}
	}
	e.derived[ck] = [2][]byte{slices.Clone(pub), slices.Clone(code)}
	e.mu.Unlock()
	return pub, code, nil
}

// signingKey is the key a signature verifies under: the derived key for
// ECDSA and Ed25519, the x-only (BIP341-tweaked when asked) key for BIP340.
func (e *thresholdEngine) signingKey(in *subnet.SignInput) ([]byte, error) {
	pub, _, err := e.PublicKey(in.Caller, in.Path)
	if err != nil {
		return nil, err
	}
	if subnet.IsECDSA(e.keyID) || e.alg() == schnorr.Ed25519 {
		return pub, nil
	}
	pk, err := btcec.ParsePubKey(pub)
	if err != nil {
		return nil, err
	}
	switch {
	case in.Taproot == nil:
		return btcschnorr.SerializePubKey(pk), nil
	case len(in.Taproot) == 0:
		return btcschnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(pk)), nil
	default:
		return btcschnorr.SerializePubKey(txscript.ComputeTaprootOutputKey(pk, in.Taproot)), nil
	}
}

type presigParts struct {
	id  []byte
	key *idkg.Transcript
	ts  []*idkg.Transcript // ECDSA: κ, λ, κλ, xλ; Schnorr: nonce
	ids [][]byte
	ep  *ecdsa.Presignature
	sp  *schnorr.Presignature
}

func (e *thresholdEngine) presig(in *subnet.SignInput) (*presigParts, error) {
	if in.Presig == nil {
		return nil, errors.New("replica: request has no presignature")
	}
	r := in.Presig
	var key *idkg.Transcript
	var err error
	if r.KeyTr != nil {
		key, err = e.idkg.transcript(r.KeyTr)
	} else {
		key, err = e.key()
	}
	if err != nil {
		return nil, err
	}
	p := &presigParts{key: key}
	if subnet.IsECDSA(e.keyID) {
		p.ids = [][]byte{r.Kappa, r.Lambda, r.KappaLambda, r.KeyLambda}
	} else {
		p.ids = [][]byte{r.Kappa}
	}
	for _, id := range p.ids {
		t, err := e.idkg.transcript(id)
		if err != nil {
			return nil, err
		}
		p.ts = append(p.ts, t)
	}
	p.id = presigID(e.keyID, r.ID)
	if subnet.IsECDSA(e.keyID) {
		p.ep, err = ecdsa.NewPresignature(p.id, key, p.ts[0], p.ts[1], p.ts[2], p.ts[3])
	} else {
		p.sp, err = schnorr.NewPresignature(p.id, e.alg(), key, p.ts[0])
	}
	return p, err
}

func (p *presigParts) presigID() []byte { return p.id }

// presigID names a presignature (in the consumption log and in its
// signature's re-randomisation).
func presigID(keyID string, n uint64) []byte { return []byte(fmt.Sprintf("%s/presig/%d", keyID, n)) }

func (e *thresholdEngine) ecdsaRequest(in *subnet.SignInput) *ecdsa.Request {
	return &ecdsa.Request{MessageHash: in.Message, Caller: in.Caller.Bytes(), DerivationPath: in.Path, Randomness: in.Randomness}
}

func (e *thresholdEngine) schnorrRequest(in *subnet.SignInput) *schnorr.Request {
	return &schnorr.Request{Message: in.Message, Caller: in.Caller.Bytes(), DerivationPath: in.Path,
		Randomness: in.Randomness, TaprootMerkleRoot: in.Taproot}
}

// SignShare makes this node's share. The presignature is recorded as
// consumed (durably) and this node's presignature shares are wiped from
// memory before the share is returned; the share itself is kept in memory so that
// the same share (never a second one) is sent again until the reply lands.
func (e *thresholdEngine) SignShare(in *subnet.SignInput) ([]byte, error) {
	s := e.idkg
	s.mu.Lock()
	if sh, ok := s.shares[string(in.RequestID)]; ok {
		s.mu.Unlock()
		return sh, nil
	}
	s.mu.Unlock()
	me := e.idkg.me()
	if me < 0 {
		return nil, errors.New("replica: this node is not a member of the committee")
	}
	p, err := e.presig(in)
	if err != nil {
		return nil, err
	}
	log := s.consumed
	if log.Used(p.presigID()) {
		// Consumed before a restart: never a second share, and make sure
		// no share of it is left in memory.
		for _, id := range p.ids {
			s.forget(id)
		}
		return nil, fmt.Errorf("replica: presignature %s: %w", p.presigID(), ecdsa.ErrPresignatureReused)
	}
	var share []byte
	if subnet.IsECDSA(e.keyID) {
		var ops [3]*idkg.Opening
		for i, id := range p.ids[1:] {
			if ops[i], err = s.opening(id); err != nil {
				return nil, err
			}
		}
		ps, err := ecdsa.NewPresignatureShare(p.ep, me, ops[0], ops[1], ops[2])
		if err != nil {
			return nil, err
		}
		sh, err := ecdsa.SignShare(p.key, p.ep, ps, e.ecdsaRequest(in), log)
		if err != nil {
			return nil, err
		}
		if share, err = sh.MarshalBinary(); err != nil {
			return nil, err
		}
	} else {
		nonce, err := s.opening(p.ids[0])
		if err != nil {
			return nil, err
		}
		keyShare, err := s.opening(p.key.ID)
		if err != nil {
			return nil, err
		}
		ps, err := schnorr.NewPresignatureShare(p.sp, me, nonce)
		if err != nil {
			return nil, err
		}
		sh, err := schnorr.SignShare(p.key, keyShare, p.sp, ps, e.schnorrRequest(in), log)
		if err != nil {
			return nil, err
		}
		if share, err = sh.MarshalBinary(); err != nil {
			return nil, err
		}
	}
	// The presignature's secret parts go before the share leaves.
	for _, id := range p.ids {
		s.forget(id)
	}
	s.mu.Lock()
	s.shares[string(in.RequestID)] = share
	s.mu.Unlock()
	return share, nil
}

func (e *thresholdEngine) decodeShare(index int, b []byte) (any, error) {
	if subnet.IsECDSA(e.keyID) {
		s, err := ecdsa.UnmarshalSignatureShare(b)
		if err != nil {
			return nil, err
		}
		if s.Signer != index {
			return nil, fmt.Errorf("replica: share of signer %d sent by node %d", s.Signer, index)
		}
		return s, nil
	}
	s, err := schnorr.UnmarshalSignatureShare(e.alg(), b)
	if err != nil {
		return nil, err
	}
	if s.Signer != index {
		return nil, fmt.Errorf("replica: share of signer %d sent by node %d", s.Signer, index)
	}
	return s, nil
}

func (e *thresholdEngine) VerifyShare(in *subnet.SignInput, index int, share []byte) error {
	p, err := e.presig(in)
	if err != nil {
		return err
	}
	s, err := e.decodeShare(index, share)
	if err != nil {
		return err
	}
	if subnet.IsECDSA(e.keyID) {
		return ecdsa.VerifyShare(p.key, p.ep, e.ecdsaRequest(in), s.(*ecdsa.SignatureShare))
	}
	return schnorr.VerifyShare(p.key, p.sp, e.schnorrRequest(in), s.(*schnorr.SignatureShare))
}

func (e *thresholdEngine) CombineVerified(in *subnet.SignInput, shares map[int][]byte) ([]byte, []int, error) {
	p, err := e.presig(in)
	if err != nil {
		return nil, nil, err
	}
	var bad []int
	if subnet.IsECDSA(e.keyID) {
		var list []*ecdsa.SignatureShare
		for i, b := range shares {
			s, err := e.decodeShare(i, b)
			if err != nil {
				bad = append(bad, i)
				continue
			}
			list = append(list, s.(*ecdsa.SignatureShare))
		}
		sig, culprits, err := ecdsa.Combine(p.key, p.ep, e.ecdsaRequest(in), list)
		bad = append(bad, culprits...)
		if err != nil {
			return nil, bad, err
		}
		return sig.Bytes(), bad, nil
	}
	var list []*schnorr.SignatureShare
	for i, b := range shares {
		s, err := e.decodeShare(i, b)
		if err != nil {
			bad = append(bad, i)
			continue
		}
		list = append(list, s.(*schnorr.SignatureShare))
	}
	sig, culprits, err := schnorr.Combine(p.key, p.sp, e.schnorrRequest(in), list)
	bad = append(bad, culprits...)
	if err != nil {
		return nil, bad, err
	}
	return sig.Bytes, bad, nil
}

func (e *thresholdEngine) Verify(in *subnet.SignInput, sig []byte) error {
	pub, err := e.signingKey(in)
	if err != nil {
		return err
	}
	switch {
	case subnet.IsECDSA(e.keyID):
		return ecdsa.Verify(pub, in.Message, sig)
	case e.alg() == schnorr.Ed25519:
		return schnorr.VerifyEd25519(pub, in.Message, sig)
	default:
		return schnorr.VerifyBIP340(pub, in.Message, sig)
	}
}

// ReplyKey is the public key recorded with a reply.
func (e *thresholdEngine) ReplyKey(in *subnet.SignInput) ([]byte, error) { return e.signingKey(in) }
