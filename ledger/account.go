package ledger

import (
	"bytes"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/chainkey/chainkey/principal"
)

// Account is an ICRC-1 account: an owner and an optional 32-byte
// subaccount. A nil Subaccount and the all-zero subaccount name the same
// account (the owner's default account), but they are different values in a
// transaction and so in its deduplication identity.
type Account struct {
	Owner      principal.Principal
	Subaccount *[32]byte
}

// accountKey identifies an account for balances and allowances: the owner
// and the effective subaccount.
type accountKey struct {
	owner principal.Principal
	sub   [32]byte
}

func (a Account) key() accountKey {
	k := accountKey{owner: a.Owner}
	if a.Subaccount != nil {
		k.sub = *a.Subaccount
	}
	return k
}

func (k accountKey) account() Account {
	a := Account{Owner: k.owner}
	if k.sub != ([32]byte{}) {
		s := k.sub
		a.Subaccount = &s
	}
	return a
}

func compareKeys(a, b accountKey) int {
	if c := a.owner.Compare(b.owner); c != 0 {
		return c
	}
	return bytes.Compare(a.sub[:], b.sub[:])
}

// Same reports whether a and b name the same account (nil and all-zero
// subaccounts are the same).
func (a Account) Same(b Account) bool { return a.key() == b.key() }

// String returns the account in the ICRC-1 textual encoding: the owner for
// a default account, otherwise owner-checksum.hex(subaccount) with the
// subaccount's leading zeros dropped, where checksum is the lower-case
// unpadded base32 of the big-endian CRC-32 of owner || subaccount.
func (a Account) String() string {
	k := a.key()
	if k.sub == ([32]byte{}) {
		return a.Owner.String()
	}
	crc := crc32.ChecksumIEEE(append(a.Owner.Bytes(), k.sub[:]...))
	var c [4]byte
	binary.BigEndian.PutUint32(c[:], crc)
	sum := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(c[:])
	hex := strings.TrimLeft(fmt.Sprintf("%x", k.sub), "0")
	return fmt.Sprintf("%s-%s.%s", a.Owner, strings.ToLower(sum), hex)
}

// value returns the account as ICRC-3 blocks hold it: an array of the owner
// and, when present, the subaccount (as given, even if all zeros).
func (a Account) value() Value {
	if a.Subaccount == nil {
		return ArrayValue(BlobValue(a.Owner.Bytes()))
	}
	return ArrayValue(BlobValue(a.Owner.Bytes()), BlobValue(a.Subaccount[:]))
}

// clone returns a with its own copy of the subaccount.
func (a Account) clone() Account {
	if a.Subaccount != nil {
		a.Subaccount = Subaccount(*a.Subaccount)
	}
	return a
}

// Subaccount returns a pointer to a copy of b as a subaccount.
func Subaccount(b [32]byte) *[32]byte { return &b }
