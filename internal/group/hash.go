package group

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
)

// ExpandMessageXMD implements expand_message_xmd with SHA-256 from RFC 9380,
// section 5.3.1, returning n uniform bytes derived from msg under dst.
func ExpandMessageXMD(msg, dst []byte, n int) ([]byte, error) {
	const bInBytes, rInBytes = sha256.Size, sha256.BlockSize
	if len(dst) > 255 {
		return nil, errors.New("group: expand_message_xmd: DST longer than 255 bytes")
	}
	ell := (n + bInBytes - 1) / bInBytes
	if n <= 0 || ell > 255 || n > 65535 {
		return nil, fmt.Errorf("group: expand_message_xmd: invalid output length %d", n)
	}
	dstPrime := append(append([]byte{}, dst...), byte(len(dst)))
	h := sha256.New()
	h.Write(make([]byte, rInBytes))
	h.Write(msg)
	h.Write([]byte{byte(n >> 8), byte(n), 0})
	h.Write(dstPrime)
	b0 := h.Sum(nil)

	out := make([]byte, 0, ell*bInBytes)
	prev := make([]byte, bInBytes)
	for i := 1; i <= ell; i++ {
		h.Reset()
		x := make([]byte, bInBytes)
		for j := range x {
			x[j] = b0[j] ^ prev[j]
		}
		if i == 1 {
			x = x[:0]
			x = append(x, b0...)
		}
		h.Write(x)
		h.Write([]byte{byte(i)})
		h.Write(dstPrime)
		prev = h.Sum(nil)
		out = append(out, prev...)
	}
	return out[:n], nil
}

// HashToScalar maps msg to a scalar of g as hash_to_field of RFC 9380 with
// expand_message_xmd (SHA-256), one element, security parameter k = 128: 48
// uniform bytes interpreted big-endian and reduced modulo the order.
func HashToScalar(g Group, msg, dst []byte) (Scalar, error) {
	const L = 48
	b, err := ExpandMessageXMD(msg, dst, L)
	if err != nil {
		return nil, err
	}
	return g.ScalarFromBigInt(new(big.Int).SetBytes(b)), nil
}
