package replica

import (
	"crypto/rand"
	"sync"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/thresholdsig"
)

// blsScheme is the thresholdBLS of package thresholdsig. Parsed public
// coefficients are cached by their encoding.
type blsScheme struct {
	mu    sync.Mutex
	cache map[string]*thresholdsig.PublicCoefficients
	// verified remembers the combined signatures that verified: a block's
	// certification and beacon signatures are checked in ProcessProposal
	// and again in FinalizeBlock.
	verified *certification.SignatureCache
}

func defaultBLS() thresholdBLS {
	return &blsScheme{cache: map[string]*thresholdsig.PublicCoefficients{}, verified: certification.NewSignatureCache(256)}
}

func (s *blsScheme) coeffs(pub []byte) (*thresholdsig.PublicCoefficients, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pc, ok := s.cache[string(pub)]; ok {
		return pc, nil
	}
	pc, err := thresholdsig.ParsePublicCoefficients(pub)
	if err != nil {
		return nil, err
	}
	s.cache[string(pub)] = pc
	return pc, nil
}

func (s *blsScheme) Deal(n, t int) ([]byte, [][]byte, error) {
	pc, shares, err := thresholdsig.Deal(n, t, rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	out := make([][]byte, len(shares))
	for i, sh := range shares {
		if out[i], err = sh.MarshalBinary(); err != nil {
			return nil, nil, err
		}
		sh.Zeroize()
	}
	return pc.Bytes(), out, nil
}

func (s *blsScheme) GroupKey(pub []byte) ([]byte, error) {
	pc, err := s.coeffs(pub)
	if err != nil {
		return nil, err
	}
	return pc.PublicKey().Bytes(), nil
}

func (s *blsScheme) GroupKeyDER(pub []byte) ([]byte, error) {
	pc, err := s.coeffs(pub)
	if err != nil {
		return nil, err
	}
	return pc.PublicKey().DER(), nil
}

func (s *blsScheme) Threshold(pub []byte) (int, error) {
	pc, err := s.coeffs(pub)
	if err != nil {
		return 0, err
	}
	return pc.Threshold(), nil
}

func (s *blsScheme) SignShare(secret, msg []byte) ([]byte, error) {
	var sk thresholdsig.SecretKeyShare
	if err := sk.UnmarshalBinary(secret); err != nil {
		return nil, err
	}
	defer sk.Zeroize()
	return thresholdsig.SignShare(&sk, msg)
}

func (s *blsScheme) VerifyShare(pub []byte, index int, msg, share []byte) error {
	pc, err := s.coeffs(pub)
	if err != nil {
		return err
	}
	return thresholdsig.VerifyShare(pc, index, msg, share)
}

func (s *blsScheme) CombineVerified(pub, msg []byte, shares map[int][]byte) ([]byte, []int, error) {
	pc, err := s.coeffs(pub)
	if err != nil {
		return nil, nil, err
	}
	return thresholdsig.CombineVerified(pc, msg, shares)
}

func (s *blsScheme) Verify(pub, msg, sig []byte) error {
	pc, err := s.coeffs(pub)
	if err != nil {
		return err
	}
	return s.verified.Verify(pc.PublicKey(), msg, sig)
}

func (s *blsScheme) BatchVerifyShares(pub, msg []byte, shares map[int][]byte) ([]int, error) {
	pc, err := s.coeffs(pub)
	if err != nil {
		return nil, err
	}
	return thresholdsig.BatchVerifyShares(pc, msg, shares)
}
