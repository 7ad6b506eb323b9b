package subnet

import (
	"bytes"
	"testing"
)

// The decoders below read what other nodes send (block transactions, vote
// extensions, Bitcoin payloads). Beyond not panicking, what they accept
// must re-encode to the same bytes: a second encoding of the same value
// would let two nodes disagree about a transaction's identity.

func FuzzDecodeTx(f *testing.F) {
	f.Add(EncodeTx(&Tx{Cert: &CertTx{Height: 1, Sig: make([]byte, 48)}}))
	f.Add(EncodeTx(&Tx{Beacon: &BeaconTx{Round: 7, Sig: make([]byte, 48)}}))
	f.Add(EncodeTx(&Tx{Evidence: &EvidenceTx{Validator: make([]byte, 20), Height: 3, Round: 0, Extension: []byte{0xa0}, ExtSig: make([]byte, 64)}}))
	f.Add(EncodeTx(&Tx{Sign: &SignTx{Envelope: []byte{0xd9, 0xd9, 0xf7, 0xa0}}}))
	f.Add(EncodeTx(&Tx{Reply: &ReplyTx{RequestID: make([]byte, 32), Signature: make([]byte, 64)}}))
	f.Add(EncodeTx(&Tx{Protocol: &ProtocolTx{Kind: 1, Sender: 2, Epoch: 3, Body: []byte("body"), Sig: make([]byte, 64)}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			return
		}
		if tx.count() != 1 {
			t.Fatalf("accepted a transaction with %d bodies", tx.count())
		}
		if re := EncodeTx(tx); !bytes.Equal(re, b) {
			t.Fatalf("accepted %x re-encodes as %x", b, re)
		}
	})
}

func FuzzDecodeExt(f *testing.F) {
	f.Add(EncodeExt(&VoteExt{}))
	f.Add(EncodeExt(&VoteExt{CertHeight: 4, CertShare: make([]byte, 48), BeaconRound: 5, BeaconShare: make([]byte, 48), KeyEpoch: 1,
		SignShares: []SignShare{{RequestID: make([]byte, 32), Share: make([]byte, 130)}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeExt(b)
		if err != nil {
			return
		}
		if len(e.SignShares) > MaxSharesPerExt {
			t.Fatalf("accepted %d signing shares", len(e.SignShares))
		}
		if re := EncodeExt(e); !bytes.Equal(re, b) {
			t.Fatalf("accepted %x re-encodes as %x", b, re)
		}
		_ = CheckExtShape(e, len(b), 10)
	})
}

func FuzzDecodeBitcoinPayload(f *testing.F) {
	f.Add(EncodeBitcoinPayload(&BitcoinPayload{}))
	f.Add(EncodeBitcoinPayload(&BitcoinPayload{Blocks: [][]byte{bytes.Repeat([]byte{1}, 81)}, Next: [][]byte{make([]byte, 80)}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeBitcoinPayload(b)
		if err != nil {
			return
		}
		if len(p.Blocks) > MaxBitcoinPayloadBlocks || len(p.Next) > MaxBitcoinPayloadNext {
			t.Fatalf("accepted %d blocks, %d next headers", len(p.Blocks), len(p.Next))
		}
		if re := EncodeBitcoinPayload(p); !bytes.Equal(re, b) {
			t.Fatalf("accepted %x re-encodes as %x", b, re)
		}
		if _, err := DecodeTx(b); err == nil {
			t.Fatal("a Bitcoin payload decodes as a transaction")
		}
	})
}
