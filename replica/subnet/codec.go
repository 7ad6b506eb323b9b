package subnet

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Encodings: every transaction, vote extension and state record is
// canonical CBOR with integer map keys, decoded strictly (no unknown
// fields, no duplicate keys, bounded sizes, no indefinite lengths).

// codec holds the CBOR modes; they are built once and never changed.
type codec struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

var cborCodec = func() codec {
	enc, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	dec, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxArrayElements:  1 << 16,
		MaxMapPairs:       1 << 16,
		MaxNestedLevels:   16,
		IndefLength:       cbor.IndefLengthForbidden,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return codec{enc: enc, dec: dec}
}()

// Marshal encodes v as canonical (core deterministic) CBOR.
func Marshal(v any) ([]byte, error) { return cborCodec.enc.Marshal(v) }

// Unmarshal decodes CBOR strictly into v: unknown fields, duplicate map
// keys and indefinite lengths are errors.
func Unmarshal(b []byte, v any) error { return cborCodec.dec.Unmarshal(b, v) }

func errf(format string, args ...any) error { return fmt.Errorf("subnet: "+format, args...) }
