package ckbtc

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/chainkey/chainkey/candid"
)

// MemoStatus is the did's Status of a burn memo.
type MemoStatus struct {
	candid.IsVariant
	Accepted   *candid.Null `candid:"Accepted"`
	Rejected   *candid.Null `candid:"Rejected"`
	CallFailed *candid.Null `candid:"CallFailed"`
}

// MintMemoConvert is MintMemo::Convert.
type MintMemoConvert struct {
	Txid   *[]byte `candid:"txid"`
	Vout   *uint32 `candid:"vout"`
	KytFee *uint64 `candid:"kyt_fee"`
}

// MintMemoKytFail is MintMemo::KytFail.
type MintMemoKytFail struct {
	KytFee              *uint64     `candid:"kyt_fee"`
	Status              *MemoStatus `candid:"status"`
	AssociatedBurnIndex *uint64     `candid:"associated_burn_index"`
}

// MintMemoReimburse is MintMemo::ReimburseWithdrawal.
type MintMemoReimburse struct {
	WithdrawalID uint64 `candid:"withdrawal_id"`
}

// MintMemo is the did's MintMemo.
type MintMemo struct {
	candid.IsVariant
	Convert             *MintMemoConvert   `candid:"Convert"`
	Kyt                 *candid.Null       `candid:"Kyt"`
	KytFail             *MintMemoKytFail   `candid:"KytFail"`
	ReimburseWithdrawal *MintMemoReimburse `candid:"ReimburseWithdrawal"`
}

// BurnMemoConvert is BurnMemo::Convert.
type BurnMemoConvert struct {
	Address *string     `candid:"address"`
	KytFee  *uint64     `candid:"kyt_fee"`
	Status  *MemoStatus `candid:"status"`
}

// BurnMemoConsolidate is BurnMemo::Consolidate.
type BurnMemoConsolidate struct {
	Value  uint64 `candid:"value"`
	Inputs uint64 `candid:"inputs"`
}

// BurnMemo is the did's BurnMemo.
type BurnMemo struct {
	candid.IsVariant
	Convert     *BurnMemoConvert     `candid:"Convert"`
	Consolidate *BurnMemoConsolidate `candid:"Consolidate"`
}

// DecodedMemo is the did's DecodedMemo.
type DecodedMemo struct {
	candid.IsVariant
	Mint *MintMemo `candid:"Mint"`
	Burn *BurnMemo `candid:"Burn"`
}

// cborReader reads the definite-length CBOR subset the memos use.
type cborReader struct{ b []byte }

var errMemo = errors.New("malformed CBOR")

func (r *cborReader) head() (major byte, v uint64, err error) {
	if len(r.b) == 0 {
		return 0, 0, errMemo
	}
	ib := r.b[0]
	r.b = r.b[1:]
	major, ai := ib>>5, ib&0x1f
	switch {
	case ai < 24:
		return major, uint64(ai), nil
	case ai <= 27:
		n := 1 << (ai - 24)
		if len(r.b) < n {
			return 0, 0, errMemo
		}
		for _, c := range r.b[:n] {
			v = v<<8 | uint64(c)
		}
		r.b = r.b[n:]
		return major, v, nil
	}
	return 0, 0, errMemo
}

// null consumes a CBOR null if one comes next.
func (r *cborReader) null() bool {
	if len(r.b) > 0 && r.b[0] == 0xf6 {
		r.b = r.b[1:]
		return true
	}
	return false
}

func (r *cborReader) uint() (uint64, error) {
	m, v, err := r.head()
	if err != nil || m != 0 {
		return 0, errMemo
	}
	return v, nil
}

func (r *cborReader) array() (int, error) {
	m, v, err := r.head()
	if err != nil || m != 4 || v > uint64(len(r.b)) {
		return 0, errMemo
	}
	return int(v), nil
}

func (r *cborReader) bytesOrText(major byte) ([]byte, error) {
	m, v, err := r.head()
	if err != nil || m != major || v > uint64(len(r.b)) {
		return nil, errMemo
	}
	out := append([]byte(nil), r.b[:v]...)
	r.b = r.b[v:]
	return out, nil
}

// fields reads an enum [index, [fields]] header and returns the index and
// the number of fields present.
func (r *cborReader) enum() (uint64, int, error) {
	if n, err := r.array(); err != nil || n != 2 {
		return 0, 0, errMemo
	}
	idx, err := r.uint()
	if err != nil {
		return 0, 0, err
	}
	n, err := r.array()
	return idx, n, err
}

// optional fields: each reader reads one field when i < n and it is not null.
func optUint(r *cborReader, i, n int) (*uint64, error) {
	if i >= n || r.null() {
		return nil, nil
	}
	v, err := r.uint()
	return &v, err
}

func optStatus(r *cborReader, i, n int) (*MemoStatus, error) {
	v, err := optUint(r, i, n)
	if err != nil || v == nil {
		return nil, err
	}
	switch *v {
	case 0:
		return &MemoStatus{Accepted: null()}, nil
	case 1:
		return &MemoStatus{Rejected: null()}, nil
	case 2:
		return &MemoStatus{CallFailed: null()}, nil
	}
	return nil, errMemo
}

// DecodeMintMemo parses a mint memo the minter wrote.
func DecodeMintMemo(b []byte) (*MintMemo, error) {
	r := &cborReader{b}
	idx, n, err := r.enum()
	if err != nil {
		return nil, err
	}
	var m MintMemo
	switch {
	case idx == 0 && n <= 3:
		c := &MintMemoConvert{}
		if n > 0 && !r.null() {
			t, err := r.bytesOrText(2)
			if err != nil {
				return nil, err
			}
			c.Txid = &t
		}
		v, err := optUint(r, 1, n)
		if err != nil || (v != nil && *v > 0xffffffff) {
			return nil, errMemo
		}
		if v != nil {
			w := uint32(*v)
			c.Vout = &w
		}
		if c.KytFee, err = optUint(r, 2, n); err != nil {
			return nil, err
		}
		m.Convert = c
	case idx == 1 && n == 0:
		m.Kyt = null()
	case idx == 2 && n <= 3:
		k := &MintMemoKytFail{}
		if k.KytFee, err = optUint(r, 0, n); err != nil {
			return nil, err
		}
		if k.Status, err = optStatus(r, 1, n); err != nil {
			return nil, err
		}
		if k.AssociatedBurnIndex, err = optUint(r, 2, n); err != nil {
			return nil, err
		}
		m.KytFail = k
	case idx == 3 && n == 1:
		id, err := r.uint()
		if err != nil {
			return nil, err
		}
		m.ReimburseWithdrawal = &MintMemoReimburse{WithdrawalID: id}
	default:
		return nil, fmt.Errorf("unknown mint memo variant %d with %d fields", idx, n)
	}
	if len(r.b) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return &m, nil
}

// DecodeBurnMemo parses a burn memo the minter wrote.
func DecodeBurnMemo(b []byte) (*BurnMemo, error) {
	r := &cborReader{b}
	idx, n, err := r.enum()
	if err != nil {
		return nil, err
	}
	var m BurnMemo
	switch {
	case idx == 0 && n <= 3:
		c := &BurnMemoConvert{}
		if n > 0 && !r.null() {
			t, err := r.bytesOrText(3)
			if err != nil || !utf8.Valid(t) {
				return nil, errMemo
			}
			s := string(t)
			c.Address = &s
		}
		if c.KytFee, err = optUint(r, 1, n); err != nil {
			return nil, err
		}
		if c.Status, err = optStatus(r, 2, n); err != nil {
			return nil, err
		}
		m.Convert = c
	case idx == 1 && n == 2:
		v, err := r.uint()
		if err != nil {
			return nil, err
		}
		in, err := r.uint()
		if err != nil {
			return nil, err
		}
		m.Consolidate = &BurnMemoConsolidate{Value: v, Inputs: in}
	default:
		return nil, fmt.Errorf("unknown burn memo variant %d with %d fields", idx, n)
	}
	if len(r.b) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return &m, nil
}

// decode_ledger_memo's Candid types.
type memoType struct {
	candid.IsVariant
	Burn *candid.Null `candid:"Burn"`
	Mint *candid.Null `candid:"Mint"`
}

type decodeMemoArgs struct {
	MemoType    memoType `candid:"memo_type"`
	EncodedMemo []byte   `candid:"encoded_memo"`
}

type decodeMemoError struct {
	candid.IsVariant
	InvalidMemo *string `candid:"InvalidMemo"`
}

type decodeMemoResult struct {
	candid.IsVariant
	Ok  **DecodedMemo     `candid:"Ok"`
	Err **decodeMemoError `candid:"Err"`
}

func decodeLedgerMemo(a decodeMemoArgs) decodeMemoResult {
	var d DecodedMemo
	var err error
	if a.MemoType.Mint != nil {
		d.Mint, err = DecodeMintMemo(a.EncodedMemo)
	} else {
		d.Burn, err = DecodeBurnMemo(a.EncodedMemo)
	}
	if err != nil {
		msg := err.Error()
		e := &decodeMemoError{InvalidMemo: &msg}
		return decodeMemoResult{Err: &e}
	}
	p := &d
	return decodeMemoResult{Ok: &p}
}
