package ingress

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
)

// HashOfMap returns the Internet Computer's representation-independent hash
// of a map ("hash-of-map" in the interface specification), which is the
// request id when m is the content of a request:
//
//	H(concat(sort_bytewise([H(key) || hashValue(value) for each field])))
//
// with H = SHA-256. Supported value types are []byte (blob), string (text),
// uint64 (nat, hashed as ULEB128), int64 (int, hashed as SLEB128),
// []any and [][]byte (arrays) and map[string]any (nested maps). A nil value
// is an error: absent optional fields are left out of m, never set to nil.
func HashOfMap(m map[string]any) ([32]byte, error) {
	entries := make([][]byte, 0, len(m))
	for k, v := range m {
		hv, err := hashValue(v)
		if err != nil {
			return [32]byte{}, fmt.Errorf("ingress: hash field %q: %w", k, err)
		}
		hk := sha256.Sum256([]byte(k))
		e := make([]byte, 0, 64)
		e = append(e, hk[:]...)
		e = append(e, hv[:]...)
		entries = append(entries, e)
	}
	slices.SortFunc(entries, bytes.Compare)
	h := sha256.New()
	for _, e := range entries {
		h.Write(e)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out, nil
}

func hashValue(v any) ([32]byte, error) {
	switch v := v.(type) {
	case []byte:
		return sha256.Sum256(v), nil
	case string:
		return sha256.Sum256([]byte(v)), nil
	case uint64:
		return sha256.Sum256(binary.AppendUvarint(nil, v)), nil
	case int64:
		return sha256.Sum256(appendSLEB128(nil, v)), nil
	case [][]byte:
		h := sha256.New()
		for _, e := range v {
			he := sha256.Sum256(e)
			h.Write(he[:])
		}
		var out [32]byte
		h.Sum(out[:0])
		return out, nil
	case []any:
		h := sha256.New()
		for i, e := range v {
			he, err := hashValue(e)
			if err != nil {
				return [32]byte{}, fmt.Errorf("element %d: %w", i, err)
			}
			h.Write(he[:])
		}
		var out [32]byte
		h.Sum(out[:0])
		return out, nil
	case map[string]any:
		return HashOfMap(v)
	default:
		return [32]byte{}, fmt.Errorf("unsupported value type %T", v)
	}
}

// appendSLEB128 appends the signed LEB128 encoding of v.
func appendSLEB128(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
