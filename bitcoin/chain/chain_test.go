package chain

import (
	"errors"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// mapSource is a HeaderSource over a slice of headers by height.
type mapSource struct {
	byHash map[chainhash.Hash]int32
	hs     []wire.BlockHeader
}

func newSource(hs ...wire.BlockHeader) *mapSource {
	s := &mapSource{byHash: map[chainhash.Hash]int32{}}
	for _, h := range hs {
		s.push(h)
	}
	return s
}

func (s *mapSource) push(h wire.BlockHeader) {
	s.byHash[h.BlockHash()] = int32(len(s.hs))
	s.hs = append(s.hs, h)
}

func (s *mapSource) HeaderByHash(h chainhash.Hash) (wire.BlockHeader, int32, bool) {
	i, ok := s.byHash[h]
	if !ok {
		return wire.BlockHeader{}, 0, false
	}
	return s.hs[i], i, true
}

func TestTestnet4Genesis(t *testing.T) {
	p := Testnet.Params()
	b := btcutil.NewBlock(p.GenesisBlock)
	if got := blockchain.CalcMerkleRoot(b.Transactions(), false); got != p.GenesisBlock.Header.MerkleRoot {
		t.Fatalf("genesis coinbase gives merkle root %s", got)
	}
	if p.GenesisBlock.BlockHash() != *p.GenesisHash {
		t.Fatalf("genesis hash %s", p.GenesisBlock.BlockHash())
	}
	if err := CheckProofOfWork(p, &p.GenesisBlock.Header); err != nil {
		t.Fatal(err)
	}
}

// Mainnet block 1 (00000000839a8e68…6048) validates on top of genesis.
func TestMainnetBlock1(t *testing.T) {
	p := Mainnet.Params()
	h := wire.BlockHeader{
		Version: 1, PrevBlock: *p.GenesisHash, MerkleRoot: mustHash("0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098"),
		Timestamp: time.Unix(1231469665, 0), Bits: 0x1d00ffff, Nonce: 2573394689,
	}
	if h.BlockHash() != mustHash("00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048") {
		t.Fatal("block 1 hash")
	}
	src := newSource(p.GenesisBlock.Header)
	height, err := ValidateHeader(p, src, &h, time.Unix(1231469665, 0))
	if err != nil || height != 1 {
		t.Fatalf("height %d, %v", height, err)
	}
	bad := h
	bad.Nonce++
	if _, err := ValidateHeader(p, src, &bad, time.Time{}); !errors.Is(err, ErrInvalidPoW) {
		t.Fatalf("bad nonce: %v", err)
	}
	bad = h
	bad.PrevBlock[0] ^= 1
	if _, err := ValidateHeader(p, src, &bad, time.Time{}); !errors.Is(err, ErrPrevHeaderNotFound) {
		t.Fatalf("unknown parent: %v", err)
	}
	if _, err := ValidateHeader(p, src, &h, time.Unix(1231469665, 0).Add(-3*time.Hour)); !errors.Is(err, ErrHeaderTooFarInFuture) {
		t.Fatalf("future: %v", err)
	}
	bad = h
	bad.Bits = 0x1e00ffff
	if _, err := ValidateHeader(p, src, &bad, time.Time{}); !errors.Is(err, ErrTargetAboveMax) {
		t.Fatalf("easy bits: %v", err)
	}
}

// Retargeting: a period mined in half the target time halves the target,
// one mined ten times too fast or slow is clamped to a factor of four.
func TestRetarget(t *testing.T) {
	p := &chaincfg.MainNetParams
	for _, tc := range []struct {
		spacing time.Duration
		want    uint32
	}{
		{5 * time.Minute, 0x1c7fff80},
		{time.Minute, 0x1c3fffc0},
		{100 * time.Minute, 0x1d00ffff}, // 4× easier, capped at the proof-of-work limit
		{10 * time.Minute, 0x1d00ffff},
	} {
		src := newSource()
		start := time.Unix(1_600_000_000, 0)
		prev := chainhash.Hash{}
		for i := range 2016 {
			h := wire.BlockHeader{PrevBlock: prev, Bits: 0x1d00ffff, Timestamp: start.Add(time.Duration(i) * tc.spacing)}
			if i == 2015 {
				// The span is measured from the first to the last block of
				// the period (2015 intervals).
				h.Timestamp = start.Add(time.Duration(2016) * tc.spacing)
			}
			src.push(h)
			prev = h.BlockHash()
		}
		last := src.hs[2015]
		got, err := nextBits(p, src, &last, 2015, last.Timestamp.Add(time.Minute))
		if err != nil || got != tc.want {
			t.Errorf("spacing %v: bits %08x, want %08x (%v)", tc.spacing, got, tc.want, err)
		}
		// Inside a period the bits must not change.
		mid := src.hs[100]
		if got, _ := nextBits(p, src, &mid, 100, mid.Timestamp.Add(time.Minute)); got != 0x1d00ffff {
			t.Errorf("mid-period bits %08x", got)
		}
	}
}

func TestTestnetMinimumDifficulty(t *testing.T) {
	p := Testnet.Params()
	src := newSource()
	start := time.Unix(1_700_000_000, 0)
	prev := chainhash.Hash{}
	bits := []uint32{0x1c00ffff, 0x1c00ffff, p.PowLimitBits, p.PowLimitBits}
	for i, b := range bits {
		h := wire.BlockHeader{PrevBlock: prev, Bits: b, Timestamp: start.Add(time.Duration(i) * time.Minute)}
		src.push(h)
		prev = h.BlockHash()
	}
	last := src.hs[3]
	if got, _ := nextBits(p, src, &last, 3, last.Timestamp.Add(21*time.Minute)); got != p.PowLimitBits {
		t.Fatalf("after 21 minutes: %08x", got)
	}
	if got, _ := nextBits(p, src, &last, 3, last.Timestamp.Add(time.Minute)); got != 0x1c00ffff {
		t.Fatalf("within 20 minutes: %08x, want the last real difficulty", got)
	}
}

func TestMedianTimePast(t *testing.T) {
	p := Regtest.Params()
	src := newSource(p.GenesisBlock.Header)
	prev := p.GenesisBlock.Header
	for i := 1; i <= 11; i++ {
		h := wire.BlockHeader{Version: 4, PrevBlock: prev.BlockHash(), Bits: p.PowLimitBits,
			Timestamp: p.GenesisBlock.Header.Timestamp.Add(time.Duration(i) * time.Hour)}
		solve(&h)
		if _, err := ValidateHeader(p, src, &h, time.Time{}); err != nil {
			t.Fatal(err)
		}
		src.push(h)
		prev = h
	}
	// The median of the last 11 is block 6's time: equal is too old.
	h := wire.BlockHeader{Version: 4, PrevBlock: prev.BlockHash(), Bits: p.PowLimitBits,
		Timestamp: p.GenesisBlock.Header.Timestamp.Add(6 * time.Hour)}
	solve(&h)
	if _, err := ValidateHeader(p, src, &h, time.Time{}); !errors.Is(err, ErrHeaderIsOld) {
		t.Fatalf("time = median: %v", err)
	}
	h.Timestamp = h.Timestamp.Add(time.Second)
	solve(&h)
	if _, err := ValidateHeader(p, src, &h, time.Time{}); err != nil {
		t.Fatalf("time = median + 1 s: %v", err)
	}
	// Regtest never retargets: other bits are refused.
	h.Bits = 0x207ffffe
	solve(&h)
	if _, err := ValidateHeader(p, src, &h, time.Time{}); !errors.Is(err, ErrUnexpectedDifficulty) {
		t.Fatalf("regtest bits change: %v", err)
	}
}

func solve(h *wire.BlockHeader) {
	target := blockchain.CompactToBig(h.Bits)
	for {
		hash := h.BlockHash()
		if blockchain.HashToBig(&hash).Cmp(target) <= 0 {
			return
		}
		h.Nonce++
	}
}

func TestParseNetwork(t *testing.T) {
	for s, want := range map[string]Network{"mainnet": Mainnet, "testnet": Testnet, "testnet4": Testnet, "regtest": Regtest} {
		if n, err := ParseNetwork(s); err != nil || n != want {
			t.Errorf("%s: %v %v", s, n, err)
		}
	}
	if _, err := ParseNetwork("simnet"); err == nil {
		t.Error("simnet accepted")
	}
}
