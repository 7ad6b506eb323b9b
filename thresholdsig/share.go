package thresholdsig

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/chainkey/chainkey/internal/group"
)

// shareEncodingVersion is the first byte of a marshalled SecretKeyShare.
const shareEncodingVersion = 1

// secretKeyShareSize is the length of a marshalled SecretKeyShare: version,
// 4-byte big-endian node index, 32-byte big-endian scalar.
const secretKeyShareSize = 1 + 4 + 32

// SecretKeyShare is one node's share of a threshold BLS key: the node index
// i and the secret scalar f(i+1). It never prints its secret: String, Format
// and GoString redact it. Call Zeroize when the share is no longer needed.
type SecretKeyShare struct {
	index int
	s     group.Scalar // scalar of G1 (the scalar field is shared with G2)
}

// NewSecretKeyShare returns the share of node index i holding the secret
// scalar s = f(i+1), as produced by a DKG. s must be a non-zero BLS12-381
// scalar (of either G1 or G2); it is copied, and the caller may zeroize its
// own copy.
func NewSecretKeyShare(index int, s group.Scalar) (*SecretKeyShare, error) {
	if err := checkIndex(index); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errors.New("thresholdsig: nil secret scalar")
	}
	if !isScalar(s) {
		return nil, errors.New("thresholdsig: secret scalar is not a BLS12-381 scalar")
	}
	b := s.Bytes()
	defer clear(b)
	return newShareFromBytes(index, b)
}

func newShareFromBytes(index int, b []byte) (*SecretKeyShare, error) {
	if len(b) != g1().ScalarLen() {
		return nil, fmt.Errorf("thresholdsig: secret scalar is %d bytes, want %d", len(b), g1().ScalarLen())
	}
	c, err := g1().DecodeScalar(b)
	if err != nil {
		return nil, fmt.Errorf("thresholdsig: secret scalar: %w", err)
	}
	if c.IsZero() {
		return nil, errors.New("thresholdsig: secret scalar is zero")
	}
	return &SecretKeyShare{index: index, s: c}, nil
}

// Index returns the node index i of the share (the share is f(i+1)).
func (sk *SecretKeyShare) Index() int { return sk.index }

// Scalar returns a copy of the secret scalar, for resharing. The caller
// zeroizes it when done.
func (sk *SecretKeyShare) Scalar() group.Scalar { return g1().NewScalar().Set(sk.s) }

// Zeroize overwrites the secret scalar with zero. The share is unusable
// afterwards.
func (sk *SecretKeyShare) Zeroize() {
	if sk.s != nil {
		sk.s.Zeroize()
	}
}

// MarshalBinary encodes the share for storage by its node: a version byte,
// the node index as 4 big-endian bytes and the secret scalar as 32
// big-endian bytes. The result is secret; the caller clears it after use.
func (sk *SecretKeyShare) MarshalBinary() ([]byte, error) {
	if sk.s == nil || sk.s.IsZero() {
		return nil, errors.New("thresholdsig: marshal: empty or zeroized secret key share")
	}
	out := make([]byte, 0, secretKeyShareSize)
	out = append(out, shareEncodingVersion)
	out = binary.BigEndian.AppendUint32(out, uint32(sk.index))
	s := sk.s.Bytes()
	out = append(out, s...)
	clear(s)
	return out, nil
}

// UnmarshalBinary decodes a share written by MarshalBinary, strictly: exact
// length and version, index in range, canonical non-zero scalar.
func (sk *SecretKeyShare) UnmarshalBinary(b []byte) error {
	if len(b) != secretKeyShareSize {
		return fmt.Errorf("thresholdsig: secret key share is %d bytes, want %d", len(b), secretKeyShareSize)
	}
	if b[0] != shareEncodingVersion {
		return fmt.Errorf("thresholdsig: secret key share: unknown version %d", b[0])
	}
	idx := binary.BigEndian.Uint32(b[1:5])
	if idx >= MaxNodes {
		return fmt.Errorf("thresholdsig: secret key share: node index %d out of range", idx)
	}
	n, err := newShareFromBytes(int(idx), b[5:])
	if err != nil {
		return err
	}
	sk.Zeroize()
	*sk = *n
	return nil
}

// String describes the share without its secret.
func (sk SecretKeyShare) String() string {
	return fmt.Sprintf("thresholdsig.SecretKeyShare{index: %d, secret: REDACTED}", sk.index)
}

// GoString describes the share without its secret.
func (sk SecretKeyShare) GoString() string { return sk.String() }

// Format prints the share without its secret, whatever the verb and flags.
func (sk SecretKeyShare) Format(f fmt.State, _ rune) { io.WriteString(f, sk.String()) }

// checkIndex refuses node indices outside [0, MaxNodes).
func checkIndex(i int) error {
	if i < 0 || i >= MaxNodes {
		return fmt.Errorf("thresholdsig: node index %d out of range [0, %d)", i, MaxNodes)
	}
	return nil
}
