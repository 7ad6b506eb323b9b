package subnet

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestDecodeTxStrict(t *testing.T) {
	good := EncodeTx(&Tx{Cert: &CertTx{Height: 1, Sig: make([]byte, 48)}})
	if _, err := DecodeTx(good); err != nil {
		t.Fatal(err)
	}
	two := EncodeTx(&Tx{Cert: &CertTx{Height: 1}, Beacon: &BeaconTx{Round: 1}})
	if _, err := DecodeTx(two); err == nil {
		t.Fatal("two bodies accepted")
	}
	if _, err := DecodeTx(EncodeTx(&Tx{})); err == nil {
		t.Fatal("empty tx accepted")
	}
	if _, err := DecodeTx(good[:len(good)-1]); err == nil {
		t.Fatal("truncated tx accepted")
	}
	if _, err := DecodeTx(append(bytes.Clone(good), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	if _, err := DecodeTx(make([]byte, MaxTxBytes+1)); err == nil {
		t.Fatal("oversized tx accepted")
	}
	// Unknown field 9.
	unknown, _ := Marshal(map[int]any{9: 1})
	if _, err := DecodeTx(unknown); err == nil {
		t.Fatal("unknown field accepted")
	}
	if _, err := DecodeExt(make([]byte, MaxExtBytes+1)); err == nil {
		t.Fatal("oversized extension accepted")
	}
}

func TestCheckExtShape(t *testing.T) {
	ok := &VoteExt{CertHeight: 4, CertShare: make([]byte, 48), BeaconRound: 5, BeaconShare: make([]byte, 48)}
	if err := CheckExtShape(ok, 100, 5); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]*VoteExt{
		"short share":   {CertHeight: 4, CertShare: make([]byte, 47)},
		"future height": {CertHeight: 5, CertShare: make([]byte, 48)},
		"long beacon":   {BeaconShare: make([]byte, 49)},
	} {
		if err := CheckExtShape(e, 100, 5); err == nil {
			t.Fatalf("%s accepted", name)
		}
	}
}

func TestBitcoinPayloadCodec(t *testing.T) {
	// The codec does not parse blocks (the canister does): any bytes of at
	// least a header's length frame as a block.
	b1, b2, hdr := bytes.Repeat([]byte{1}, 81), bytes.Repeat([]byte{2}, 300), bytes.Repeat([]byte{3}, 80)
	p := &BitcoinPayload{Blocks: [][]byte{b1, b2}, Next: [][]byte{hdr}}
	enc := EncodeBitcoinPayload(p)
	if !IsBitcoinPayload(enc) {
		t.Fatal("payload not recognised")
	}
	if _, err := DecodeTx(enc); err == nil {
		t.Fatal("a bitcoin payload decodes as a replica transaction")
	}
	got, err := DecodeBitcoinPayload(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Blocks) != 2 || !bytes.Equal(got.Blocks[1], p.Blocks[1]) || len(got.Next) != 1 || !bytes.Equal(got.Next[0], p.Next[0]) {
		t.Fatal("round trip changed the payload")
	}
	if !bytes.Equal(EncodeBitcoinPayload(got), enc) {
		t.Fatal("re-encoding differs")
	}
	empty := EncodeBitcoinPayload(&BitcoinPayload{})
	if g, err := DecodeBitcoinPayload(empty); err != nil || len(g.Blocks) != 0 || len(g.Next) != 0 {
		t.Fatalf("empty payload: %v", err)
	}

	bad := map[string][]byte{
		"bad magic":      append([]byte("\xfeckbtc\x01"), enc[len(BitcoinPayloadMagic):]...),
		"truncated":      enc[:len(enc)-1],
		"trailing byte":  append(bytes.Clone(enc), 0),
		"magic only":     []byte(BitcoinPayloadMagic),
		"short next":     append(bytes.Clone(empty[:len(empty)-4]), 0, 0, 0, 1, 1, 2, 3),
		"oversized":      append(bytes.Clone(enc), make([]byte, MaxBitcoinPayloadBytes)...),
		"too many":       binary.BigEndian.AppendUint32([]byte(BitcoinPayloadMagic), MaxBitcoinPayloadBlocks+1),
		"block too long": binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32([]byte(BitcoinPayloadMagic), 1), 1<<20),
		"tiny block":     append(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32([]byte(BitcoinPayloadMagic), 1), 3), 1, 2, 3, 0, 0, 0, 0),
		"too many next":  binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32([]byte(BitcoinPayloadMagic), 0), MaxBitcoinPayloadNext+1),
	}
	for name, b := range bad {
		if _, err := DecodeBitcoinPayload(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
