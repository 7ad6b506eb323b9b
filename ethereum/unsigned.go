package ethereum

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// UnsignedTx is the JSON form of a transaction to be signed offline.
// Quantities of wei are strings, decimal or 0x-prefixed hex, so that no
// JSON reader rounds them; nonce and gas_limit are JSON numbers. Type is 0
// (legacy, signed with EIP-155), 1 (EIP-2930) or 2 (EIP-1559); a field
// that the type does not have must be absent. An absent or null "to"
// creates a contract.
//
//	{"type":2,"chain_id":"1337","nonce":0,"to":"0x…","value":"1000",
//	 "gas_limit":21000,"max_fee_per_gas":"2000000000",
//	 "max_priority_fee_per_gas":"1000000000","data":"0x",
//	 "access_list":[{"address":"0x…","storage_keys":["0x…"]}]}
type UnsignedTx struct {
	Type                 *uint8            `json:"type"`
	ChainID              string            `json:"chain_id"`
	Nonce                *uint64           `json:"nonce"`
	To                   *string           `json:"to,omitempty"`
	Value                string            `json:"value,omitempty"`
	GasLimit             *uint64           `json:"gas_limit"`
	GasPrice             string            `json:"gas_price,omitempty"`
	MaxFeePerGas         string            `json:"max_fee_per_gas,omitempty"`
	MaxPriorityFeePerGas string            `json:"max_priority_fee_per_gas,omitempty"`
	Data                 string            `json:"data,omitempty"`
	AccessList           []AccessListEntry `json:"access_list,omitempty"`
}

// AccessListEntry is one address of an EIP-2930 access list with the
// storage slots (32-byte hex) the transaction declares.
type AccessListEntry struct {
	Address     string   `json:"address"`
	StorageKeys []string `json:"storage_keys"`
}

// ParseUnsignedTx decodes one UnsignedTx JSON object (unknown fields and
// trailing data are refused) into an unsigned go-ethereum transaction and
// its chain id.
func ParseUnsignedTx(data []byte) (*types.Transaction, *big.Int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var u UnsignedTx
	if err := dec.Decode(&u); err != nil {
		return nil, nil, fmt.Errorf("ethereum: unsigned transaction: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("ethereum: unsigned transaction: trailing data after the object")
	}
	return u.Transaction()
}

// Transaction checks u and builds the unsigned transaction and its chain id.
func (u *UnsignedTx) Transaction() (*types.Transaction, *big.Int, error) {
	fail := func(format string, args ...any) (*types.Transaction, *big.Int, error) {
		return nil, nil, fmt.Errorf("ethereum: unsigned transaction: "+format, args...)
	}
	if u.Type == nil {
		return fail("missing type (0 legacy, 1 EIP-2930, 2 EIP-1559)")
	}
	if u.Nonce == nil {
		return fail("missing nonce")
	}
	if u.GasLimit == nil || *u.GasLimit == 0 {
		return fail("missing gas_limit")
	}
	chainID, err := ParseWei("chain_id", u.ChainID)
	if err != nil {
		return nil, nil, err
	}
	if chainID.Sign() == 0 {
		return fail("chain_id must be positive")
	}
	value := new(big.Int)
	if u.Value != "" {
		if value, err = ParseWei("value", u.Value); err != nil {
			return nil, nil, err
		}
	}
	var to *common.Address
	if u.To != nil {
		a, err := ParseAddress(*u.To)
		if err != nil {
			return nil, nil, fmt.Errorf("ethereum: unsigned transaction: to: %w", err)
		}
		to = &a
	}
	var input []byte
	if u.Data != "" {
		if input, err = parseHex("data", u.Data); err != nil {
			return nil, nil, err
		}
	}
	if to == nil && len(input) == 0 {
		return fail("no \"to\" and no data: a contract creation needs code")
	}
	var acl types.AccessList
	for i, e := range u.AccessList {
		a, err := ParseAddress(e.Address)
		if err != nil {
			return fail("access_list[%d]: %v", i, err)
		}
		t := types.AccessTuple{Address: a, StorageKeys: []common.Hash{}}
		for j, k := range e.StorageKeys {
			b, err := parseHex("storage key", k)
			if err != nil || len(b) != 32 {
				return fail("access_list[%d].storage_keys[%d]: want 32 bytes of 0x-hex", i, j)
			}
			t.StorageKeys = append(t.StorageKeys, common.BytesToHash(b))
		}
		acl = append(acl, t)
	}
	need := func(name, v string) (*big.Int, error) {
		if v == "" {
			return nil, fmt.Errorf("ethereum: unsigned transaction: type %d needs %s", *u.Type, name)
		}
		return ParseWei(name, v)
	}
	absent := func(names ...string) error {
		vals := map[string]string{"gas_price": u.GasPrice, "max_fee_per_gas": u.MaxFeePerGas, "max_priority_fee_per_gas": u.MaxPriorityFeePerGas}
		for _, n := range names {
			if n == "access_list" {
				if u.AccessList != nil {
					return fmt.Errorf("ethereum: unsigned transaction: type %d has no access_list", *u.Type)
				}
			} else if vals[n] != "" {
				return fmt.Errorf("ethereum: unsigned transaction: type %d has no %s", *u.Type, n)
			}
		}
		return nil
	}
	var inner types.TxData
	switch *u.Type {
	case types.LegacyTxType:
		if err := absent("max_fee_per_gas", "max_priority_fee_per_gas", "access_list"); err != nil {
			return nil, nil, err
		}
		price, err := need("gas_price", u.GasPrice)
		if err != nil {
			return nil, nil, err
		}
		inner = &types.LegacyTx{Nonce: *u.Nonce, GasPrice: price, Gas: *u.GasLimit, To: to, Value: value, Data: input}
	case types.AccessListTxType:
		if err := absent("max_fee_per_gas", "max_priority_fee_per_gas"); err != nil {
			return nil, nil, err
		}
		price, err := need("gas_price", u.GasPrice)
		if err != nil {
			return nil, nil, err
		}
		inner = &types.AccessListTx{ChainID: chainID, Nonce: *u.Nonce, GasPrice: price, Gas: *u.GasLimit, To: to, Value: value, Data: input, AccessList: acl}
	case types.DynamicFeeTxType:
		if err := absent("gas_price"); err != nil {
			return nil, nil, err
		}
		feeCap, err := need("max_fee_per_gas", u.MaxFeePerGas)
		if err != nil {
			return nil, nil, err
		}
		tip, err := need("max_priority_fee_per_gas", u.MaxPriorityFeePerGas)
		if err != nil {
			return nil, nil, err
		}
		if feeCap.Cmp(tip) < 0 {
			return fail("max_fee_per_gas %s below max_priority_fee_per_gas %s", feeCap, tip)
		}
		inner = &types.DynamicFeeTx{ChainID: chainID, Nonce: *u.Nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: *u.GasLimit, To: to, Value: value, Data: input, AccessList: acl}
	default:
		return fail("type %d not supported (0 legacy, 1 EIP-2930, 2 EIP-1559)", *u.Type)
	}
	return types.NewTx(inner), chainID, nil
}

// ParseWei decodes a non-negative quantity written in decimal or as
// 0x-prefixed hex, at most 256 bits; name is used in errors.
func ParseWei(name, s string) (*big.Int, error) {
	v, ok := new(big.Int), false
	switch {
	case strings.HasPrefix(s, "0x"):
		digits := s[2:]
		if digits != "" && (len(digits) == 1 || digits[0] != '0') && !strings.ContainsAny(digits, "+-_") {
			_, ok = v.SetString(digits, 16)
		}
	case s != "" && !strings.ContainsAny(s, "+-_") && (len(s) == 1 || s[0] != '0'):
		_, ok = v.SetString(s, 10)
	}
	if !ok {
		return nil, fmt.Errorf("ethereum: %s: %q is not a decimal or 0x-hex quantity", name, s)
	}
	if v.BitLen() > 256 {
		return nil, fmt.Errorf("ethereum: %s: %s exceeds 256 bits", name, s)
	}
	return v, nil
}

func parseHex(name, s string) ([]byte, error) {
	if !strings.HasPrefix(s, "0x") {
		return nil, fmt.Errorf("ethereum: %s: missing 0x prefix", name)
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		return nil, fmt.Errorf("ethereum: %s: %w", name, err)
	}
	return b, nil
}
