package subnet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Limits of the Bitcoin payload a block proposer puts in its block.
const (
	// MaxBitcoinPayloadBytes bounds the encoded payload (blocks and next
	// headers); the adapter's own answers stay under 2 MB.
	MaxBitcoinPayloadBytes = 4 << 20
	// MaxBitcoinPayloadBlocks and MaxBitcoinPayloadNext bound the counts.
	MaxBitcoinPayloadBlocks = 1000
	MaxBitcoinPayloadNext   = 1000
	// bitcoinHeaderBytes is the size of a Bitcoin block header.
	bitcoinHeaderBytes = 80
)

// BitcoinPayloadMagic starts the block transaction that carries a Bitcoin
// payload. 0xff cannot start a CBOR data item, so DecodeTx never accepts
// it and no mempool transaction can pass for a payload.
const BitcoinPayloadMagic = "\xffckbtc\x01"

// BitcoinPayload is the decoded Bitcoin payload of a block: what the
// proposer's adapter returned, applied to the Bitcoin canister by every node.
type BitcoinPayload struct {
	// Blocks are serialised Bitcoin blocks.
	Blocks [][]byte
	// Next are 80-byte headers of blocks after them, not yet sent whole.
	Next [][]byte
}

// EncodeBitcoinPayload lays a payload out as
// magic ‖ u32 n ‖ n × (u32 len ‖ block) ‖ u32 m ‖ m × 80-byte header.
func EncodeBitcoinPayload(p *BitcoinPayload) []byte {
	var b bytes.Buffer
	b.WriteString(BitcoinPayloadMagic)
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p.Blocks))))
	for _, blk := range p.Blocks {
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(blk))))
		b.Write(blk)
	}
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p.Next))))
	for _, h := range p.Next {
		b.Write(h)
	}
	return b.Bytes()
}

// IsBitcoinPayload reports whether a block transaction is a Bitcoin payload.
func IsBitcoinPayload(raw []byte) bool {
	return len(raw) >= len(BitcoinPayloadMagic) && string(raw[:len(BitcoinPayloadMagic)]) == BitcoinPayloadMagic
}

// DecodeBitcoinPayload parses a payload strictly: bounded size and counts,
// no trailing bytes, next headers of exactly 80 bytes.
func DecodeBitcoinPayload(raw []byte) (*BitcoinPayload, error) {
	if !IsBitcoinPayload(raw) {
		return nil, errors.New("subnet: bitcoin payload: bad magic")
	}
	if len(raw) > MaxBitcoinPayloadBytes {
		return nil, fmt.Errorf("subnet: bitcoin payload of %d bytes exceeds %d", len(raw), MaxBitcoinPayloadBytes)
	}
	r := raw[len(BitcoinPayloadMagic):]
	u32 := func() (uint32, error) {
		if len(r) < 4 {
			return 0, errors.New("subnet: bitcoin payload: truncated")
		}
		v := binary.BigEndian.Uint32(r)
		r = r[4:]
		return v, nil
	}
	n, err := u32()
	if err != nil {
		return nil, err
	}
	if n > MaxBitcoinPayloadBlocks {
		return nil, fmt.Errorf("subnet: bitcoin payload: %d blocks exceed %d", n, MaxBitcoinPayloadBlocks)
	}
	p := &BitcoinPayload{}
	for i := uint32(0); i < n; i++ {
		l, err := u32()
		if err != nil {
			return nil, err
		}
		if uint64(l) > uint64(len(r)) || l < bitcoinHeaderBytes {
			return nil, fmt.Errorf("subnet: bitcoin payload: block %d of %d bytes", i, l)
		}
		p.Blocks = append(p.Blocks, r[:l:l])
		r = r[l:]
	}
	m, err := u32()
	if err != nil {
		return nil, err
	}
	if m > MaxBitcoinPayloadNext {
		return nil, fmt.Errorf("subnet: bitcoin payload: %d next headers exceed %d", m, MaxBitcoinPayloadNext)
	}
	if uint64(len(r)) != uint64(m)*bitcoinHeaderBytes {
		return nil, fmt.Errorf("subnet: bitcoin payload: %d bytes for %d next headers", len(r), m)
	}
	for i := uint32(0); i < m; i++ {
		p.Next = append(p.Next, r[:bitcoinHeaderBytes:bitcoinHeaderBytes])
		r = r[bitcoinHeaderBytes:]
	}
	return p, nil
}
