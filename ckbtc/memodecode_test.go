package ckbtc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
)

func TestDecodeMemos(t *testing.T) {
	txid := [32]byte{0: 0x12, 31: 0xf0}
	m, err := DecodeMintMemo(MintConvertMemo(txid, 7, 1000))
	if err != nil || m.Convert == nil || !bytes.Equal(*m.Convert.Txid, txid[:]) || *m.Convert.Vout != 7 || *m.Convert.KytFee != 1000 {
		t.Fatalf("%+v, %v", m, err)
	}
	m, err = DecodeMintMemo([]byte{130, 3, 129, 25, 4, 210})
	if err != nil || m.ReimburseWithdrawal == nil || m.ReimburseWithdrawal.WithdrawalID != 1234 {
		t.Fatalf("%+v, %v", m, err)
	}
	if m, err = DecodeMintMemo([]byte{130, 1, 128}); err != nil || m.Kyt == nil {
		t.Fatalf("kyt: %+v, %v", m, err)
	}
	b, err := DecodeBurnMemo(BurnConvertMemo(dest))
	if err != nil || b.Convert == nil || *b.Convert.Address != dest || b.Convert.KytFee != nil || b.Convert.Status.Accepted == nil {
		t.Fatalf("%+v, %v", b, err)
	}
	// Trailing fields may be absent.
	if b, err = DecodeBurnMemo([]byte{130, 0, 129, 0xf6}); err != nil || b.Convert.Address != nil {
		t.Fatalf("%+v, %v", b, err)
	}
	for _, bad := range [][]byte{
		nil, {130}, {130, 0}, {130, 9, 128}, {130, 0, 132, 0, 0, 0, 0},
		append(MintConvertMemo(txid, 0, 0), 0), {130, 0, 131, 0x5f, 0, 0}, {130, 3, 129, 0x1c},
	} {
		if _, err := DecodeMintMemo(bad); err == nil {
			t.Errorf("mint memo %x accepted", bad)
		}
	}
	if _, err := DecodeBurnMemo([]byte{130, 0, 131, 0x62, 0xff, 0xfe, 0, 0}); err == nil {
		t.Error("invalid UTF-8 address accepted")
	}
	// Through Candid, with the did's types.
	d := loadDid(t)
	e := newEnv(t, nil)
	blob := func(b []byte) string {
		var s strings.Builder
		for _, c := range b {
			fmt.Fprintf(&s, "\\%02x", c)
		}
		return s.String()
	}
	for _, c := range []struct {
		typ  string
		memo []byte
		ok   bool
	}{
		{"Mint", MintConvertMemo(txid, 1, 2), true},
		{"Burn", BurnConvertMemo(dest), true},
		{"Mint", []byte{1, 2, 3}, false},
	} {
		v := callDid(t, d, e.m, "decode_ledger_memo", `(record { memo_type = variant { `+c.typ+` }; encoded_memo = blob "`+blob(c.memo)+`" })`, startTime)[0]
		if got := v.(candid.Variant).ID == candid.Hash("Ok"); got != c.ok {
			t.Errorf("%s %x: %v", c.typ, c.memo, v)
		}
	}
}

func FuzzDecodeMemo(f *testing.F) {
	f.Add(MintConvertMemo([32]byte{1}, 2, 3))
	f.Add(BurnConvertMemo(dest))
	f.Add([]byte{130, 3, 129, 25, 4, 210})
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := DecodeMintMemo(b); err == nil && m.Convert != nil && m.Convert.Txid != nil && m.Convert.Vout != nil && m.Convert.KytFee != nil && len(*m.Convert.Txid) == 32 {
			if got := MintConvertMemo([32]byte(*m.Convert.Txid), *m.Convert.Vout, *m.Convert.KytFee); !bytes.Equal(got, b) && len(got) == len(b) {
				t.Fatalf("%x re-encodes as %x", b, got)
			}
		}
		_, _ = DecodeBurnMemo(b)
	})
}
