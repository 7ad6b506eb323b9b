package certification

import (
	"crypto/sha256"
	"sync"

	"github.com/chainkey/chainkey/thresholdsig"
)

// SignatureCache remembers certificate signatures that verified, so that
// the certificates of one certified height, which all carry the same root
// hash and signature however their trees are pruned, cost one pairing
// check. Only a signature that verified is remembered, under the hash of
// the key, the signed message and the signature, so a hit is exactly a
// repeated check that passed. It is safe for concurrent use; the zero
// value is not usable, see NewSignatureCache.
type SignatureCache struct {
	mu   sync.Mutex
	max  int
	seen map[[32]byte]struct{}
}

// NewSignatureCache returns a cache of at most n signatures (it is
// emptied when full).
func NewSignatureCache(n int) *SignatureCache {
	return &SignatureCache{max: max(n, 1), seen: map[[32]byte]struct{}{}}
}

func sigCacheKey(key *thresholdsig.PublicKey, msg, sig []byte) [32]byte {
	h := sha256.New()
	kb := key.Bytes()
	for _, b := range [][]byte{kb, msg, sig} {
		var n [4]byte
		n[0], n[1], n[2], n[3] = byte(len(b)>>24), byte(len(b)>>16), byte(len(b)>>8), byte(len(b))
		h.Write(n[:])
		h.Write(b)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Verify is thresholdsig.Verify, skipped for a signature that verified
// before. A nil cache verifies every time.
func (c *SignatureCache) Verify(key *thresholdsig.PublicKey, msg, sig []byte) error {
	if c == nil {
		return thresholdsig.Verify(key, msg, sig)
	}
	k := sigCacheKey(key, msg, sig)
	c.mu.Lock()
	_, ok := c.seen[k]
	c.mu.Unlock()
	if ok {
		return nil
	}
	if err := thresholdsig.Verify(key, msg, sig); err != nil {
		return err
	}
	c.mu.Lock()
	if len(c.seen) >= c.max {
		clear(c.seen)
	}
	c.seen[k] = struct{}{}
	c.mu.Unlock()
	return nil
}
