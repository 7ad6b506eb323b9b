package certification

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// The certificate format uses a small part of CBOR (RFC 8949): unsigned
// integers, byte and text strings, arrays, maps, tag 55799 and null. This
// file reads and writes exactly that part, strictly: every length and integer
// must use its shortest encoding, indefinite lengths and reserved additional
// information values are refused, and a length larger than the remaining
// input is refused before anything is allocated. The Internet Computer always
// produces this form, and with it decode → encode reproduces the input bytes.

// CBOR major types.
const (
	majorUint   = 0
	majorNegInt = 1
	majorBytes  = 2
	majorText   = 3
	majorArray  = 4
	majorMap    = 5
	majorTag    = 6
	majorSimple = 7
)

// selfDescribingTag is the CBOR tag 55799 that marks IC certificates.
const selfDescribingTag = 55799

// maxSkipDepth bounds the nesting of values skipped under unknown map keys.
const maxSkipDepth = 32

var errTruncated = errors.New("truncated CBOR")

// cborReader reads strict CBOR from a byte slice.
type cborReader struct {
	b   []byte
	off int
}

func (r *cborReader) remaining() int { return len(r.b) - r.off }

// peek returns the next initial byte without consuming it.
func (r *cborReader) peek() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	return r.b[r.off], nil
}

// head reads an initial byte and its argument. Indefinite lengths, reserved
// values and non-shortest arguments are errors. For major type 7 only the
// simple values below 24 are accepted (floats never occur in certificates).
func (r *cborReader) head() (major byte, arg uint64, err error) {
	if r.off >= len(r.b) {
		return 0, 0, errTruncated
	}
	ib := r.b[r.off]
	r.off++
	major, ai := ib>>5, ib&0x1f
	var n int
	switch {
	case ai < 24:
		return major, uint64(ai), nil
	case ai == 24:
		n = 1
	case ai == 25:
		n = 2
	case ai == 26:
		n = 4
	case ai == 27:
		n = 8
	case ai == 31:
		return 0, 0, fmt.Errorf("indefinite-length CBOR item at offset %d", r.off-1)
	default:
		return 0, 0, fmt.Errorf("reserved CBOR additional information %d at offset %d", ai, r.off-1)
	}
	if major == majorSimple {
		return 0, 0, fmt.Errorf("CBOR float or extended simple value at offset %d", r.off-1)
	}
	if r.remaining() < n {
		return 0, 0, errTruncated
	}
	for _, c := range r.b[r.off : r.off+n] {
		arg = arg<<8 | uint64(c)
	}
	r.off += n
	// Shortest form: the argument must not fit a smaller encoding.
	minimum := [...]uint64{1: 24, 2: 1 << 8, 4: 1 << 16, 8: 1 << 32}[n]
	if arg < minimum {
		return 0, 0, fmt.Errorf("non-shortest CBOR argument at offset %d", r.off-1-n)
	}
	return major, arg, nil
}

// bytesOf reads a byte string (major 2) or text string (major 3) body of
// length n, which the caller has read the head of.
func (r *cborReader) body(n uint64) ([]byte, error) {
	if n > uint64(r.remaining()) {
		return nil, errTruncated
	}
	v := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return v, nil
}

// byteString reads a byte string; the result aliases the input.
func (r *cborReader) byteString() ([]byte, error) {
	m, n, err := r.head()
	if err != nil {
		return nil, err
	}
	if m != majorBytes {
		return nil, fmt.Errorf("expected CBOR byte string, got major type %d", m)
	}
	return r.body(n)
}

// textString reads a UTF-8 text string.
func (r *cborReader) textString() (string, error) {
	m, n, err := r.head()
	if err != nil {
		return "", err
	}
	if m != majorText {
		return "", fmt.Errorf("expected CBOR text string, got major type %d", m)
	}
	v, err := r.body(n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(v) {
		return "", errors.New("CBOR text string is not UTF-8")
	}
	return string(v), nil
}

// container reads the head of an array or map of the given major type and
// returns its element count, which is bounded by the remaining input.
func (r *cborReader) container(major byte) (int, error) {
	m, n, err := r.head()
	if err != nil {
		return 0, err
	}
	if m != major {
		return 0, fmt.Errorf("expected CBOR major type %d, got %d", major, m)
	}
	if n > uint64(r.remaining()) {
		return 0, errTruncated
	}
	return int(n), nil
}

// optionalSelfDescribingTag consumes tag 55799 if it comes next. Any other
// tag is left for the caller to refuse.
func (r *cborReader) optionalSelfDescribingTag() error {
	c, err := r.peek()
	if err != nil {
		return err
	}
	if c>>5 != majorTag {
		return nil
	}
	_, arg, err := r.head()
	if err != nil {
		return err
	}
	if arg != selfDescribingTag {
		return fmt.Errorf("unexpected CBOR tag %d", arg)
	}
	return nil
}

// isNull reports whether the next item is null (0xf6), consuming it if so.
func (r *cborReader) isNull() bool {
	if r.off < len(r.b) && r.b[r.off] == 0xf6 {
		r.off++
		return true
	}
	return false
}

// skip reads and discards one well-formed item (used for map entries under
// unknown keys).
func (r *cborReader) skip(depth int) error {
	if depth > maxSkipDepth {
		return errors.New("CBOR nested too deeply")
	}
	m, n, err := r.head()
	if err != nil {
		return err
	}
	switch m {
	case majorUint, majorNegInt, majorSimple:
		return nil
	case majorBytes:
		_, err := r.body(n)
		return err
	case majorText:
		v, err := r.body(n)
		if err == nil && !utf8.Valid(v) {
			err = errors.New("CBOR text string is not UTF-8")
		}
		return err
	case majorArray, majorMap:
		if n > uint64(r.remaining()) {
			return errTruncated
		}
		items := n
		if m == majorMap {
			items *= 2
		}
		for range items {
			if err := r.skip(depth + 1); err != nil {
				return err
			}
		}
		return nil
	default: // majorTag
		return r.skip(depth + 1)
	}
}

// appendHead appends a CBOR head in its shortest form.
func appendHead(b []byte, major byte, arg uint64) []byte {
	m := major << 5
	switch {
	case arg < 24:
		return append(b, m|byte(arg))
	case arg < 1<<8:
		return append(b, m|24, byte(arg))
	case arg < 1<<16:
		return append(b, m|25, byte(arg>>8), byte(arg))
	case arg < 1<<32:
		return append(b, m|26, byte(arg>>24), byte(arg>>16), byte(arg>>8), byte(arg))
	default:
		return append(b, m|27, byte(arg>>56), byte(arg>>48), byte(arg>>40), byte(arg>>32),
			byte(arg>>24), byte(arg>>16), byte(arg>>8), byte(arg))
	}
}

func appendBytes(b []byte, v []byte) []byte {
	return append(appendHead(b, majorBytes, uint64(len(v))), v...)
}

func appendText(b []byte, s string) []byte {
	return append(appendHead(b, majorText, uint64(len(s))), s...)
}
