package principal

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// MaxLength is the maximum length in bytes of a principal.
const MaxLength = 29

// Class is the last byte of a principal, which tells how it was formed.
type Class byte

// The classes of principals defined by the Internet Computer interface
// specification ("Special forms of principals").
const (
	ClassOpaque             Class = 0x01 // canister ids and other system-assigned ids
	ClassSelfAuthenticating Class = 0x02 // SHA-224(DER public key) || 0x02
	ClassDerived            Class = 0x03 // SHA-224(registrant data) || 0x03
	ClassAnonymous          Class = 0x04 // the single byte 0x04
	ClassReserved           Class = 0x7f // never assigned
)

// Principal is an Internet Computer principal. The zero value is the
// management canister (the empty principal). Principals are comparable with
// == and usable as map keys.
type Principal struct {
	raw string
}

// base32 alphabet of RFC 4648 in lower case, as the textual form uses it.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// FromBytes returns the principal with binary form b. It fails if b is longer
// than MaxLength.
func FromBytes(b []byte) (Principal, error) {
	if len(b) > MaxLength {
		return Principal{}, fmt.Errorf("principal: %d bytes, more than %d", len(b), MaxLength)
	}
	return Principal{raw: string(b)}, nil
}

// Management returns the principal of the management canister, the empty
// principal, whose text form is "aaaaa-aa".
func Management() Principal { return Principal{} }

// Anonymous returns the anonymous principal 0x04 ("2vxsx-fae").
func Anonymous() Principal { return Principal{raw: "\x04"} }

// SelfAuthenticating returns the self-authenticating principal of a public
// key: SHA-224 of its DER encoding followed by the byte 0x02.
func SelfAuthenticating(derPublicKey []byte) Principal {
	h := sha256.Sum224(derPublicKey)
	return Principal{raw: string(h[:]) + string(rune(ClassSelfAuthenticating))}
}

// FromCanisterIndex returns the canister id with index n as the Internet
// Computer assigns it: the 8-byte big-endian n followed by 0x01 0x01 (a
// sub-category byte and the opaque class byte). Index 2 is the ICP ledger,
// "ryjl3-tyaaa-aaaaa-aaaba-cai".
func FromCanisterIndex(n uint64) Principal {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], n)
	b[8] = 0x01
	b[9] = byte(ClassOpaque)
	return Principal{raw: string(b[:])}
}

// CanisterIndex reports the index n for which p == FromCanisterIndex(n), and
// whether p has that form.
func (p Principal) CanisterIndex() (uint64, bool) {
	if len(p.raw) != 10 || p.raw[8] != 0x01 || p.raw[9] != byte(ClassOpaque) {
		return 0, false
	}
	return binary.BigEndian.Uint64([]byte(p.raw[:8])), true
}

// Bytes returns a copy of the binary form of p.
func (p Principal) Bytes() []byte { return []byte(p.raw) }

// Len returns the length of the binary form of p.
func (p Principal) Len() int { return len(p.raw) }

// Class returns the class byte of p (its last byte) and false for the empty
// principal, which has none.
func (p Principal) Class() (Class, bool) {
	if len(p.raw) == 0 {
		return 0, false
	}
	return Class(p.raw[len(p.raw)-1]), true
}

// Compare compares the binary forms of p and q lexicographically, the order
// the Internet Computer uses for canister ranges. It returns -1, 0 or +1.
func (p Principal) Compare(q Principal) int { return strings.Compare(p.raw, q.raw) }

// String returns the textual form of p.
func (p Principal) String() string {
	buf := make([]byte, 4+len(p.raw))
	binary.BigEndian.PutUint32(buf, crc32.ChecksumIEEE([]byte(p.raw)))
	copy(buf[4:], p.raw)
	s := encoding.EncodeToString(buf)
	var out strings.Builder
	out.Grow(len(s) + len(s)/5)
	for i := 0; i < len(s); i += 5 {
		if i > 0 {
			out.WriteByte('-')
		}
		out.WriteString(s[i:min(i+5, len(s))])
	}
	return out.String()
}

// Parse parses the textual form of a principal.
//
// Like the Internet Computer it accepts upper-case letters (the form is
// printed in lower case but parsed case-insensitively) and otherwise only the
// exact form String produces: the checksum must match, dashes must sit after
// every fifth character and nowhere else, and the Base32 must be canonical.
func Parse(s string) (Principal, error) {
	lower := strings.ToLower(s)
	compact := strings.ReplaceAll(lower, "-", "")
	if strings.ContainsAny(compact, "\r\n=") {
		return Principal{}, fmt.Errorf("principal: parse %q: invalid character", s)
	}
	raw, err := encoding.DecodeString(compact)
	if err != nil {
		return Principal{}, fmt.Errorf("principal: parse %q: %w", s, err)
	}
	if len(raw) < 4 {
		return Principal{}, fmt.Errorf("principal: parse %q: too short", s)
	}
	p, err := FromBytes(raw[4:])
	if err != nil {
		return Principal{}, fmt.Errorf("principal: parse %q: %w", s, err)
	}
	if binary.BigEndian.Uint32(raw) != crc32.ChecksumIEEE(raw[4:]) {
		return Principal{}, fmt.Errorf("principal: parse %q: %w", s, ErrChecksum)
	}
	if want := p.String(); want != lower {
		return Principal{}, fmt.Errorf("principal: parse %q: not in canonical form (expected %q)", s, want)
	}
	return p, nil
}

// ErrChecksum is returned (wrapped) by Parse when the CRC32 does not match.
var ErrChecksum = errors.New("checksum mismatch")

// MustParse is like Parse but panics on error. It is meant for constants in
// programs and tests.
func MustParse(s string) Principal {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// MarshalText implements encoding.TextMarshaler with the textual form.
func (p Principal) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with Parse.
func (p *Principal) UnmarshalText(text []byte) error {
	q, err := Parse(string(text))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// InRange reports whether lo <= p <= hi in the lexicographic order of binary
// forms, the test the Internet Computer applies to canister ranges.
func (p Principal) InRange(lo, hi Principal) bool {
	return lo.raw <= p.raw && p.raw <= hi.raw
}
