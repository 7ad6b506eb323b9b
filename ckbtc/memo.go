package ckbtc

import "encoding/binary"

// MaxMemoLen is the ckBTC ledger's memo limit; every memo the minter writes
// fits in it.
const MaxMemoLen = 80

// The memos are CBOR in the layout the Internet Computer's minter writes with
// minicbor: an enum is a two-element array [variant index, fields array],
// fields are positional, an absent optional field is null and absent
// trailing fields are left out.

// cborField is one positional field; nil means absent.
type cborField []byte

func cborHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n <= 0xff:
		return []byte{major<<5 | 24, byte(n)}
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16([]byte{major<<5 | 25}, uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, uint32(n))
	}
	return binary.BigEndian.AppendUint64([]byte{major<<5 | 27}, n)
}

func cborUint(v uint64) cborField  { return cborHead(0, v) }
func cborBytes(b []byte) cborField { return append(cborHead(2, uint64(len(b))), b...) }
func cborText(s string) cborField  { return append(cborHead(3, uint64(len(s))), s...) }
func cborEnum(index uint64, fields ...cborField) []byte {
	n := len(fields)
	for n > 0 && fields[n-1] == nil {
		n--
	}
	out := append(cborHead(4, 2), cborHead(0, index)...)
	out = append(out, cborHead(4, uint64(n))...)
	for _, f := range fields[:n] {
		if f == nil {
			out = append(out, 0xf6)
			continue
		}
		out = append(out, f...)
	}
	return out
}

// MintConvertMemo is the memo of a deposit's mint:
// MintMemo::Convert{txid, vout, kyt_fee}.
func MintConvertMemo(txid [32]byte, vout uint32, checkFee uint64) []byte {
	return cborEnum(0, cborBytes(txid[:]), cborUint(uint64(vout)), cborUint(checkFee))
}

// MintReimburseWithdrawalMemo is MintMemo::ReimburseWithdrawal{withdrawal_id}.
func MintReimburseWithdrawalMemo(withdrawalID uint64) []byte {
	return cborEnum(3, cborUint(withdrawalID))
}

// BurnConvertMemo is the memo of a withdrawal's burn:
// BurnMemo::Convert{address, kyt_fee: None, status: Accepted}.
func BurnConvertMemo(address string) []byte {
	return cborEnum(0, cborText(address), nil, cborUint(0))
}

// BurnConsolidateMemo is BurnMemo::Consolidate{value, inputs}.
func BurnConsolidateMemo(value, inputs uint64) []byte {
	return cborEnum(1, cborUint(value), cborUint(inputs))
}
