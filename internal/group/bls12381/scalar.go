package bls12381

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/bits"
	"unsafe"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	blst "github.com/supranational/blst/bindings/go"

	"github.com/chainkey/chainkey/internal/group"
)

const scalarLen = 32

// rLimbs is the group order r in little-endian 64-bit limbs.
var rLimbs = [4]uint64{
	0xffffffff00000001, 0x53bda402fffe5bfe, 0x3339d80809a1d805, 0x73eda753299d7d48,
}

// orderHex is the group order r of G1 and G2.
const orderHex = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"

func order() *big.Int {
	r, _ := new(big.Int).SetString(orderHex, 16)
	return r
}

// blst.Scalar wraps blst_scalar, a 32-byte little-endian array; Scalar keeps
// that array and hands blst a pointer to it. These two declarations fail to
// compile if the sizes ever differ.
var (
	_ [unsafe.Sizeof(blst.Scalar{}) - scalarLen]byte
	_ [scalarLen - unsafe.Sizeof(blst.Scalar{})]byte
)

// Scalar is an integer modulo r, shared by G1 and G2. The zero value is the
// scalar zero. Its arithmetic runs in blst's constant-time code.
type Scalar struct {
	le [scalarLen]byte // little-endian, always < r
}

var _ group.Scalar = (*Scalar)(nil)

func (s *Scalar) blst() *blst.Scalar { return (*blst.Scalar)(unsafe.Pointer(&s.le)) }

func toScalar(a group.Scalar) *Scalar {
	s, ok := a.(*Scalar)
	if !ok {
		panic(fmt.Sprintf("bls12381: scalar of another group (%T)", a))
	}
	return s
}

// lessThanR reports, in constant time, whether the little-endian value le is
// below r.
func lessThanR(le *[scalarLen]byte) bool {
	var borrow uint64
	for i := 0; i < 4; i++ {
		_, borrow = bits.Sub64(binary.LittleEndian.Uint64(le[8*i:]), rLimbs[i], borrow)
	}
	return borrow == 1
}

// DecodeScalar decodes a 32-byte big-endian scalar, rejecting values that
// are not below r.
func DecodeScalar(b []byte) (*Scalar, error) {
	if len(b) != scalarLen {
		return nil, fmt.Errorf("bls12381: scalar must be %d bytes, got %d", scalarLen, len(b))
	}
	s := new(Scalar)
	for i := range s.le {
		s.le[i] = b[scalarLen-1-i]
	}
	if !lessThanR(&s.le) {
		return nil, errors.New("bls12381: scalar not below the group order")
	}
	return s, nil
}

func randomScalar(rand io.Reader) (*Scalar, error) {
	s := new(Scalar)
	for {
		if _, err := io.ReadFull(rand, s.le[:]); err != nil {
			return nil, fmt.Errorf("bls12381: random scalar: %w", err)
		}
		// r is just below 2^255: clear the top bit and reject values ≥ r
		// (about 10% of draws) and zero.
		s.le[scalarLen-1] &= 0x7f
		if lessThanR(&s.le) && !s.IsZero() {
			return s, nil
		}
	}
}

func scalarFromBigInt(v *big.Int) *Scalar {
	m := new(big.Int).Mod(v, order())
	var be [scalarLen]byte
	m.FillBytes(be[:])
	s := new(Scalar)
	for i := range s.le {
		s.le[i] = be[scalarLen-1-i]
	}
	return s
}

// scalarField holds the group.Group methods about scalars, which G1 and G2
// share; g1Group and g2Group embed it.
type scalarField struct{}

func (scalarField) ScalarLen() int                           { return scalarLen }
func (scalarField) Order() *big.Int                          { return order() }
func (scalarField) NewScalar() group.Scalar                  { return new(Scalar) }
func (scalarField) ScalarFromBigInt(v *big.Int) group.Scalar { return scalarFromBigInt(v) }

func (scalarField) RandomScalar(rand io.Reader) (group.Scalar, error) { return randomScalar(rand) }

func (scalarField) DecodeScalar(b []byte) (group.Scalar, error) { return DecodeScalar(b) }

// NewScalarFromFr returns the Scalar equal to the gnark-crypto element e.
func NewScalarFromFr(e *fr.Element) *Scalar {
	be := e.Bytes()
	s := new(Scalar)
	for i := range s.le {
		s.le[i] = be[scalarLen-1-i]
	}
	return s
}

// Fr returns s as a gnark-crypto scalar field element. gnark's field
// arithmetic is not guaranteed constant time; use it for public values.
func (s *Scalar) Fr() fr.Element {
	var e fr.Element
	be := s.Bytes()
	if err := e.SetBytesCanonical(be); err != nil {
		panic("bls12381: scalar not canonical")
	}
	return e
}

// bigInt returns s as a big.Int, for variable-time gnark operations.
func (s *Scalar) bigInt() *big.Int { return new(big.Int).SetBytes(s.Bytes()) }

// Set sets s = a and returns s.
func (s *Scalar) Set(a group.Scalar) group.Scalar { s.le = toScalar(a).le; return s }

// SetUint64 sets s = v and returns s.
func (s *Scalar) SetUint64(v uint64) group.Scalar {
	s.le = [scalarLen]byte{}
	binary.LittleEndian.PutUint64(s.le[:], v)
	return s
}

// Add sets s = a + b and returns s.
func (s *Scalar) Add(a, b group.Scalar) group.Scalar {
	x, y := *toScalar(a), *toScalar(b)
	x.blst().AddAssign(y.blst())
	s.le = x.le
	return s
}

// Sub sets s = a - b and returns s.
func (s *Scalar) Sub(a, b group.Scalar) group.Scalar {
	x, y := *toScalar(a), *toScalar(b)
	x.blst().SubAssign(y.blst())
	s.le = x.le
	return s
}

// Mul sets s = a * b and returns s.
func (s *Scalar) Mul(a, b group.Scalar) group.Scalar {
	x, y := *toScalar(a), *toScalar(b)
	x.blst().MulAssign(y.blst())
	s.le = x.le
	return s
}

// Neg sets s = -a and returns s.
func (s *Scalar) Neg(a group.Scalar) group.Scalar {
	var z Scalar
	y := *toScalar(a)
	z.blst().SubAssign(y.blst())
	s.le = z.le
	return s
}

// Invert sets s = 1/a and returns s; the inverse of zero is zero.
func (s *Scalar) Invert(a group.Scalar) group.Scalar {
	y := *toScalar(a)
	inv := y.blst().Inverse()
	s.le = *(*[scalarLen]byte)(unsafe.Pointer(inv))
	return s
}

// IsZero reports whether s is zero, in constant time.
func (s *Scalar) IsZero() bool {
	var z [scalarLen]byte
	return subtle.ConstantTimeCompare(s.le[:], z[:]) == 1
}

// Equal reports whether s and b are equal, in constant time.
func (s *Scalar) Equal(b group.Scalar) bool {
	return subtle.ConstantTimeCompare(s.le[:], toScalar(b).le[:]) == 1
}

// Bytes returns the 32-byte big-endian encoding of s.
func (s *Scalar) Bytes() []byte {
	b := make([]byte, scalarLen)
	for i := range b {
		b[i] = s.le[scalarLen-1-i]
	}
	return b
}

// Zeroize sets s to zero.
func (s *Scalar) Zeroize() { clear(s.le[:]) }

// String redacts the value; scalars are often secret.
func (s *Scalar) String() string { return "bls12381.Scalar(REDACTED)" }

// GoString redacts the value.
func (s *Scalar) GoString() string { return s.String() }

// Format redacts the value for every verb.
func (s *Scalar) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }
