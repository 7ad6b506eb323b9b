package chain

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Header validation errors (the Internet Computer's ValidateHeaderError
// variants).
var (
	ErrPrevHeaderNotFound   = errors.New("previous header not found")
	ErrHeaderIsOld          = errors.New("timestamp not after the median of the last 11 blocks")
	ErrHeaderTooFarInFuture = errors.New("timestamp more than 2 hours in the future")
	ErrTargetAboveMax       = errors.New("target above the network's proof-of-work limit")
	ErrInvalidPoW           = errors.New("block hash above the header's target")
	ErrUnexpectedDifficulty = errors.New("difficulty bits differ from the computed target")
	ErrTimeWarp             = errors.New("first block of a period earlier than 600 s before its parent (BIP94)")
)

// MaxFutureDrift is how far a header's timestamp may run ahead of the
// validator's clock.
const MaxFutureDrift = 2 * time.Hour

// medianTimeBlocks is the number of ancestors whose median timestamp a new
// header must exceed.
const medianTimeBlocks = 11

// HeaderSource looks up headers the validator already accepted.
type HeaderSource interface {
	// HeaderByHash returns the header with the given hash and its height.
	HeaderByHash(hash chainhash.Hash) (wire.BlockHeader, int32, bool)
}

// CheckProofOfWork checks that h's target is within the network's limit and
// that h's hash meets it.
func CheckProofOfWork(p *chaincfg.Params, h *wire.BlockHeader) error {
	target := blockchain.CompactToBig(h.Bits)
	if target.Sign() <= 0 || target.Cmp(p.PowLimit) > 0 {
		return fmt.Errorf("chain: header %s: %w", h.BlockHash(), ErrTargetAboveMax)
	}
	hash := h.BlockHash()
	if blockchain.HashToBig(&hash).Cmp(target) > 0 {
		return fmt.Errorf("chain: header %s: %w", hash, ErrInvalidPoW)
	}
	return nil
}

// Work returns the expected number of hashes needed to find a header with
// the given difficulty bits.
func Work(bits uint32) *big.Int { return blockchain.CalcWork(bits) }

// Difficulty returns the network's proof-of-work limit divided by the
// target of bits (1 for a minimum-difficulty block), at least 1.
func Difficulty(p *chaincfg.Params, bits uint32) uint64 {
	t := blockchain.CompactToBig(bits)
	if t.Sign() <= 0 {
		return 1
	}
	d := new(big.Int).Quo(p.PowLimit, t)
	if d.Sign() <= 0 {
		return 1
	}
	if !d.IsUint64() {
		return ^uint64(0)
	}
	return d.Uint64()
}

// ValidateHeader checks h against its parent, which src must hold:
// proof of work, the expected difficulty bits (retargeting every 2016
// blocks, minimum-difficulty blocks on test networks, none on regtest),
// timestamp after the median time past and, unless now is zero, not more
// than two hours after now. It returns h's height.
func ValidateHeader(p *chaincfg.Params, src HeaderSource, h *wire.BlockHeader, now time.Time) (int32, error) {
	hash := h.BlockHash()
	prev, prevHeight, ok := src.HeaderByHash(h.PrevBlock)
	if !ok {
		return 0, fmt.Errorf("chain: header %s: %w (%s)", hash, ErrPrevHeaderNotFound, h.PrevBlock)
	}
	height := prevHeight + 1
	if err := CheckProofOfWork(p, h); err != nil {
		return 0, err
	}
	if mtp := medianTimePast(src, &prev); !h.Timestamp.After(mtp) {
		return 0, fmt.Errorf("chain: header %s at height %d (time %d, median %d): %w",
			hash, height, h.Timestamp.Unix(), mtp.Unix(), ErrHeaderIsOld)
	}
	if !now.IsZero() && h.Timestamp.After(now.Add(MaxFutureDrift)) {
		return 0, fmt.Errorf("chain: header %s: %w", hash, ErrHeaderTooFarInFuture)
	}
	interval := blocksPerRetarget(p)
	if bip94(p) && int64(height)%interval == 0 && h.Timestamp.Before(prev.Timestamp.Add(-600*time.Second)) {
		return 0, fmt.Errorf("chain: header %s: %w", hash, ErrTimeWarp)
	}
	want, err := nextBits(p, src, &prev, prevHeight, h.Timestamp)
	if err != nil {
		return 0, fmt.Errorf("chain: header %s: %w", hash, err)
	}
	if h.Bits != want {
		return 0, fmt.Errorf("chain: header %s at height %d: bits %08x, want %08x: %w",
			hash, height, h.Bits, want, ErrUnexpectedDifficulty)
	}
	return height, nil
}

func blocksPerRetarget(p *chaincfg.Params) int64 {
	return int64(p.TargetTimespan / p.TargetTimePerBlock)
}

// medianTimePast returns the median timestamp of prev and up to ten of its
// ancestors.
func medianTimePast(src HeaderSource, prev *wire.BlockHeader) time.Time {
	ts := make([]int64, 0, medianTimeBlocks)
	cur := *prev
	for {
		ts = append(ts, cur.Timestamp.Unix())
		if len(ts) == medianTimeBlocks {
			break
		}
		next, _, ok := src.HeaderByHash(cur.PrevBlock)
		if !ok {
			break
		}
		cur = next
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return time.Unix(ts[len(ts)/2], 0)
}

// ancestor walks back from h (at height) to the given lower height.
func ancestor(src HeaderSource, h *wire.BlockHeader, height, target int32) (wire.BlockHeader, error) {
	cur := *h
	for height > target {
		prev, _, ok := src.HeaderByHash(cur.PrevBlock)
		if !ok {
			return wire.BlockHeader{}, fmt.Errorf("ancestor at height %d: %w", height-1, ErrPrevHeaderNotFound)
		}
		cur, height = prev, height-1
	}
	return cur, nil
}

// nextBits returns the difficulty bits a child of prev (at prevHeight) with
// timestamp ts must carry.
func nextBits(p *chaincfg.Params, src HeaderSource, prev *wire.BlockHeader, prevHeight int32, ts time.Time) (uint32, error) {
	if p.PoWNoRetargeting {
		return prev.Bits, nil
	}
	interval := blocksPerRetarget(p)
	if int64(prevHeight+1)%interval != 0 {
		if !p.ReduceMinDifficulty {
			return prev.Bits, nil
		}
		if ts.After(prev.Timestamp.Add(p.MinDiffReductionTime)) {
			return p.PowLimitBits, nil
		}
		// The last block that is not a minimum-difficulty one, or the
		// first of the period.
		cur, h := *prev, prevHeight
		for int64(h)%interval != 0 && cur.Bits == p.PowLimitBits {
			parent, _, ok := src.HeaderByHash(cur.PrevBlock)
			if !ok {
				break
			}
			cur, h = parent, h-1
		}
		return cur.Bits, nil
	}
	first, err := ancestor(src, prev, prevHeight, prevHeight-int32(interval-1))
	if err != nil {
		return 0, err
	}
	span := prev.Timestamp.Unix() - first.Timestamp.Unix()
	target := int64(p.TargetTimespan / time.Second)
	minSpan, maxSpan := target/p.RetargetAdjustmentFactor, target*p.RetargetAdjustmentFactor
	span = max(minSpan, min(span, maxSpan))
	base := prev.Bits
	if bip94(p) {
		base = first.Bits
	}
	t := blockchain.CompactToBig(base)
	t.Mul(t, big.NewInt(span))
	t.Quo(t, big.NewInt(target))
	if t.Cmp(p.PowLimit) > 0 {
		t.Set(p.PowLimit)
	}
	return blockchain.BigToCompact(t), nil
}
