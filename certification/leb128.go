package certification

import "errors"

// DecodeLEB128 decodes an unsigned LEB128 number that fills b exactly. It
// refuses values above 2^64−1 and non-shortest encodings (a final zero
// byte after the first).
func DecodeLEB128(b []byte) (uint64, error) {
	var v uint64
	for i, c := range b {
		if i == 9 && c > 1 {
			return 0, errors.New("LEB128 value overflows 64 bits")
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if i != len(b)-1 {
				return 0, errors.New("trailing bytes after LEB128 value")
			}
			if c == 0 && i > 0 {
				return 0, errors.New("non-shortest LEB128 encoding")
			}
			return v, nil
		}
		if i == 9 {
			return 0, errors.New("LEB128 value overflows 64 bits")
		}
	}
	return 0, errors.New("truncated LEB128 value")
}

// AppendLEB128 appends the shortest unsigned LEB128 encoding of v.
func AppendLEB128(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
