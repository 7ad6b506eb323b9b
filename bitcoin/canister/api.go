package canister

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Utxo is an unspent output of an address.
type Utxo struct {
	OutPoint wire.OutPoint // txid in internal byte order
	Value    uint64        // satoshi
	Height   uint32
}

// UtxosFilter selects get_utxos results: at most one of MinConfirmations
// and Page is set; neither means min_confirmations 0.
type UtxosFilter struct {
	MinConfirmations *uint32
	Page             []byte
}

// UtxosResponse is get_utxos' answer.
type UtxosResponse struct {
	Utxos        []Utxo
	TipBlockHash chainhash.Hash
	TipHeight    uint32
	NextPage     []byte // nil on the last page
}

// chainFor returns the main chain truncated so that its tip has
// minConf confirmations (0 and 1 mean the whole chain).
func (s *State) chainFor(minConf uint32) ([]*block, error) {
	if uint64(minConf) > uint64(len(s.main)) {
		return nil, &MinConfirmationsTooLargeError{Given: minConf, Max: uint32(len(s.main))}
	}
	if minConf <= 1 {
		return s.main, nil
	}
	return s.main[:len(s.main)-int(minConf)+1], nil
}

// utxosOf returns the UTXOs paying script on the given prefix of the main
// chain, in the canister's order: height descending, then outpoint bytes
// (txid as stored, vout little-endian) ascending.
func (s *State) utxosOf(script []byte, c []*block, sorted bool) []Utxo {
	added := map[wire.OutPoint]Utxo{}
	spent := map[wire.OutPoint]bool{}
	for _, b := range c {
		if b.height == 0 {
			continue
		}
		for _, o := range b.outs {
			if bytes.Equal(o.script, script) {
				added[o.op] = Utxo{OutPoint: o.op, Value: o.value, Height: b.height}
			}
		}
		for _, op := range b.spends {
			if _, ok := added[op]; ok {
				delete(added, op)
			} else {
				spent[op] = true
			}
		}
	}
	stable := s.byScript[string(script)]
	out := make([]Utxo, 0, len(stable)+len(added))
	for op := range stable {
		if spent[op] {
			continue
		}
		e := s.utxos[op]
		out = append(out, Utxo{OutPoint: op, Value: e.value, Height: e.height})
	}
	for _, u := range added {
		out = append(out, u)
	}
	if !sorted {
		return out
	}
	// Sort by the canister's key: ^height (big-endian) ‖ txid ‖ vout (LE).
	keyed := make([]keyedUtxo, len(out))
	for i, u := range out {
		keyed[i] = keyedUtxo{key: sortKey(&u), u: u}
	}
	sort.Slice(keyed, func(i, j int) bool { return bytes.Compare(keyed[i].key[:], keyed[j].key[:]) < 0 })
	for i := range keyed {
		out[i] = keyed[i].u
	}
	return out
}

type keyedUtxo struct {
	key [40]byte
	u   Utxo
}

func sortKey(u *Utxo) [40]byte {
	var k [40]byte
	binary.BigEndian.PutUint32(k[:4], ^u.Height)
	copy(k[4:36], u.OutPoint.Hash[:])
	binary.LittleEndian.PutUint32(k[36:], u.OutPoint.Index)
	return k
}

func outpointKey(op wire.OutPoint) [36]byte {
	var k [36]byte
	copy(k[:32], op.Hash[:])
	binary.LittleEndian.PutUint32(k[32:], op.Index)
	return k
}

func utxoLess(a, b *Utxo) bool {
	ka, kb := sortKey(a), sortKey(b)
	return bytes.Compare(ka[:], kb[:]) < 0
}

// EncodePage returns the 72-byte page token that resumes a listing at u on
// the chain ending at tip: tip hash ‖ ^height (big-endian) ‖ txid ‖ vout
// (little-endian), the Internet Computer's layout.
func EncodePage(tip chainhash.Hash, u Utxo) []byte {
	b := make([]byte, PageTokenSize)
	copy(b, tip[:])
	binary.BigEndian.PutUint32(b[32:], ^u.Height)
	k := outpointKey(u.OutPoint)
	copy(b[36:], k[:])
	return b
}

// DecodePage parses a page token.
func DecodePage(b []byte) (tip chainhash.Hash, u Utxo, err error) {
	if len(b) != PageTokenSize {
		return tip, u, &MalformedPageError{Reason: fmt.Sprintf("%d bytes, want %d", len(b), PageTokenSize)}
	}
	copy(tip[:], b[:32])
	u.Height = ^binary.BigEndian.Uint32(b[32:])
	copy(u.OutPoint.Hash[:], b[36:68])
	u.OutPoint.Index = binary.LittleEndian.Uint32(b[68:])
	return tip, u, nil
}

// GetUtxos is bitcoin_get_utxos: the UTXOs of a P2PKH, P2SH, P2WPKH, P2WSH
// or P2TR address, newest first, MaxUtxosPerResponse at a time.
func (s *State) GetUtxos(address string, f UtxosFilter) (*UtxosResponse, error) {
	script, err := AddressScript(s.cfg.Network, address)
	if err != nil {
		return nil, err
	}
	var c []*block
	var from *Utxo
	if f.Page != nil {
		tip, u, err := DecodePage(f.Page)
		if err != nil {
			return nil, err
		}
		i := -1
		for j, b := range s.main {
			if b.hash == tip {
				i = j
				break
			}
		}
		if i < 0 {
			return nil, &UnknownTipBlockHashError{TipBlockHash: tip}
		}
		c, from = s.main[:i+1], &u
	} else {
		var mc uint32
		if f.MinConfirmations != nil {
			mc = *f.MinConfirmations
		}
		if c, err = s.chainFor(mc); err != nil {
			return nil, err
		}
	}
	all := s.utxosOf(script, c, true)
	start := 0
	if from != nil {
		start = sort.Search(len(all), func(i int) bool { return !utxoLess(&all[i], from) })
	}
	tip := c[len(c)-1]
	resp := &UtxosResponse{TipBlockHash: tip.hash, TipHeight: tip.height}
	end := min(len(all), start+MaxUtxosPerResponse)
	resp.Utxos = all[start:end:end]
	if end < len(all) {
		resp.NextPage = EncodePage(tip.hash, all[end])
	}
	return resp, nil
}

// GetBalance is bitcoin_get_balance: the sum of the address's UTXOs with at
// least minConf confirmations, in satoshi.
func (s *State) GetBalance(address string, minConf uint32) (uint64, error) {
	script, err := AddressScript(s.cfg.Network, address)
	if err != nil {
		return 0, err
	}
	c, err := s.chainFor(minConf)
	if err != nil {
		return 0, err
	}
	var sum uint64
	for _, u := range s.utxosOf(script, c, false) {
		sum += u.Value
	}
	return sum, nil
}

// BlockHeaders is bitcoin_get_block_headers: the main chain's 80-byte
// headers from start to end (the tip if nil), at most
// MaxBlockHeadersPerResponse of them, and the tip height.
func (s *State) BlockHeaders(start uint32, end *uint32) (tipHeight uint32, headers [][]byte, err error) {
	_, tipHeight = s.Tip()
	e := tipHeight
	if end != nil {
		e = *end
	}
	switch {
	case start > tipHeight:
		return 0, nil, &BlockHeadersError{Kind: "StartHeightDoesNotExist", Start: start, End: e, TipHeight: tipHeight}
	case e > tipHeight:
		return 0, nil, &BlockHeadersError{Kind: "EndHeightDoesNotExist", Start: start, End: e, TipHeight: tipHeight}
	case start > e:
		return 0, nil, &BlockHeadersError{Kind: "StartHeightLargerThanEndHeight", Start: start, End: e, TipHeight: tipHeight}
	}
	e = min(e, start+MaxBlockHeadersPerResponse-1)
	for h := start; h <= e; h++ {
		var hd wire.BlockHeader
		if h < s.anchor.height {
			hd = s.stableHeaders[h]
		} else {
			hd = s.main[h-s.anchor.height].msg.Header
		}
		var buf bytes.Buffer
		_ = hd.Serialize(&buf)
		headers = append(headers, buf.Bytes())
	}
	return tipHeight, headers, nil
}

// CheckTransaction is send_transaction's only check: raw must be exactly
// one consensus-serialised transaction with at least one input and output.
// The caller forwards it to the adapter.
func CheckTransaction(raw []byte) (*wire.MsgTx, error) {
	if len(raw) == 0 || len(raw) > wire.MaxBlockPayload {
		return nil, &MalformedTransactionError{Reason: fmt.Sprintf("%d bytes", len(raw))}
	}
	var tx wire.MsgTx
	r := bytes.NewReader(raw)
	if err := tx.Deserialize(r); err != nil {
		return nil, &MalformedTransactionError{Reason: err.Error()}
	}
	if r.Len() != 0 {
		return nil, &MalformedTransactionError{Reason: fmt.Sprintf("%d trailing bytes", r.Len())}
	}
	if len(tx.TxIn) == 0 || len(tx.TxOut) == 0 {
		return nil, &MalformedTransactionError{Reason: "no inputs or no outputs"}
	}
	return &tx, nil
}

// FeePercentiles is bitcoin_get_current_fee_percentiles: 101 fee rates
// (p0 … p100, nearest rank) in millisatoshi per virtual byte over the last
// FeeTransactions non-coinbase transactions of the unstable main chain. If
// that chain has no such transactions it returns the last non-empty answer
// (nil if there never was one).
func (s *State) FeePercentiles() []uint64 {
	if fees := s.computeFeePercentiles(); len(fees) > 0 {
		return fees
	}
	return append([]uint64(nil), s.feeCache...)
}

// feePercentiles is the length of a fee percentile answer (p0 … p100).
const feePercentiles = 101

func (s *State) computeFeePercentiles() []uint64 {
	// Values of outputs created on the unstable main chain.
	values := map[wire.OutPoint]uint64{}
	for _, b := range s.main {
		for _, o := range b.outs {
			values[o.op] = o.value
		}
	}
	var rates []uint64
collect:
	for i := len(s.main) - 1; i >= 0; i-- {
		txs := s.main[i].msg.Transactions
		for j := len(txs) - 1; j >= 1; j-- {
			if len(rates) == FeeTransactions {
				break collect
			}
			tx := txs[j]
			var in uint64
			ok := true
			for _, ti := range tx.TxIn {
				v, found := values[ti.PreviousOutPoint]
				if !found {
					e, f := s.utxos[ti.PreviousOutPoint]
					v, found = e.value, f
				}
				if !found {
					ok = false
					break
				}
				in += v
			}
			var out uint64
			for _, to := range tx.TxOut {
				out += uint64(to.Value)
			}
			if !ok || out > in {
				continue
			}
			vsize := (uint64(blockchain.GetTransactionWeight(btcutil.NewTx(tx))) + 3) / 4
			rates = append(rates, (in-out)*1000/max(vsize, 1))
		}
	}
	if len(rates) == 0 {
		return nil
	}
	sort.Slice(rates, func(i, j int) bool { return rates[i] < rates[j] })
	p := make([]uint64, feePercentiles)
	n := len(rates)
	for i := range p {
		rank := (i*n + 99) / 100 // ceil(i·n/100)
		p[i] = rates[max(rank-1, 0)]
	}
	return p
}
