package replica

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/service"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// BitcoinCanisterID is the id canisters and agents reach the subnet's
// Bitcoin canister at: the id of the IC's testnet Bitcoin canister, which
// dfx and PocketIC give the regtest Bitcoin canister of a local network.
// It lies outside the subnet's own canister range, which the subnet's
// /canister_ranges then also lists.
var BitcoinCanisterID = principal.MustParse("g4xu7-jiaaa-aaaan-aaaaq-cai")

// btcFees are the Bitcoin canister's fees in cycles (its fees record).
type btcFees struct {
	GetUtxosBase           uint64
	GetUtxosPerTen         uint64
	GetUtxosMax            uint64
	GetBalance             uint64
	GetBalanceMax          uint64
	FeePercentiles         uint64
	FeePercentilesMax      uint64
	SendTransactionBase    uint64
	SendTransactionPerByte uint64
	GetBlockHeadersBase    uint64
	GetBlockHeadersPerTen  uint64
	GetBlockHeadersMax     uint64
}

// bitcoinFees returns the IC's Bitcoin canister fees of a network:
// mainnet's and testnet's as the IC's canisters charge them; none on
// regtest, as the local Bitcoin canister of dfx charges none.
func bitcoinFees(n chain.Network) btcFees {
	switch n {
	case chain.Mainnet:
		return btcFees{50_000_000, 10, 10_000_000_000, 10_000_000, 100_000_000, 10_000_000, 100_000_000,
			5_000_000_000, 20_000_000, 50_000_000, 10, 10_000_000_000}
	case chain.Testnet:
		return btcFees{20_000_000, 4, 4_000_000_000, 4_000_000, 40_000_000, 4_000_000, 40_000_000,
			2_000_000_000, 8_000_000, 20_000_000, 4, 4_000_000_000}
	}
	return btcFees{}
}

// Candid types of the Bitcoin canister's interface
// (bitcoin_canister.did; the management canister's bitcoin_* methods
// take the same records).
type btcNetwork struct {
	candid.IsVariant
	Mainnet *candid.Null `candid:"mainnet"`
	Testnet *candid.Null `candid:"testnet"`
	Regtest *candid.Null `candid:"regtest"`
}

func (n *btcNetwork) network() chain.Network {
	switch {
	case n.Mainnet != nil:
		return chain.Mainnet
	case n.Testnet != nil:
		return chain.Testnet
	}
	return chain.Regtest
}

func networkVariant(n chain.Network) btcNetwork {
	switch n {
	case chain.Mainnet:
		return btcNetwork{Mainnet: &candid.Null{}}
	case chain.Testnet:
		return btcNetwork{Testnet: &candid.Null{}}
	}
	return btcNetwork{Regtest: &candid.Null{}}
}

type utxosFilter struct {
	candid.IsVariant
	MinConfirmations *uint32 `candid:"min_confirmations"`
	Page             *[]byte `candid:"page"`
}

type getUtxosRequest struct {
	Network btcNetwork   `candid:"network"`
	Address string       `candid:"address"`
	Filter  *utxosFilter `candid:"filter"`
}

type btcOutpoint struct {
	Txid []byte `candid:"txid"`
	Vout uint32 `candid:"vout"`
}

type btcUtxo struct {
	Outpoint btcOutpoint `candid:"outpoint"`
	Value    uint64      `candid:"value"`
	Height   uint32      `candid:"height"`
}

type getUtxosResponse struct {
	Utxos        []btcUtxo `candid:"utxos"`
	TipBlockHash []byte    `candid:"tip_block_hash"`
	TipHeight    uint32    `candid:"tip_height"`
	NextPage     *[]byte   `candid:"next_page"`
}

type getBalanceRequest struct {
	Network          btcNetwork `candid:"network"`
	Address          string     `candid:"address"`
	MinConfirmations *uint32    `candid:"min_confirmations"`
}

type networkRequest struct {
	Network btcNetwork `candid:"network"`
}

type sendTransactionRequest struct {
	Network     btcNetwork `candid:"network"`
	Transaction []byte     `candid:"transaction"`
}

type getBlockHeadersRequest struct {
	StartHeight uint32     `candid:"start_height"`
	EndHeight   *uint32    `candid:"end_height"`
	Network     btcNetwork `candid:"network"`
}

type getBlockHeadersResponse struct {
	TipHeight    uint32   `candid:"tip_height"`
	BlockHeaders [][]byte `candid:"block_headers"`
}

type btcFlag struct {
	candid.IsVariant
	Enabled  *candid.Null `candid:"enabled"`
	Disabled *candid.Null `candid:"disabled"`
}

var (
	flagOn  = btcFlag{Enabled: &candid.Null{}}
	flagOff = btcFlag{Disabled: &candid.Null{}}
)

type feesRecord struct {
	GetUtxosBase           *big.Int `candid:"get_utxos_base"`
	GetUtxosPerTen         *big.Int `candid:"get_utxos_cycles_per_ten_instructions"`
	GetUtxosMax            *big.Int `candid:"get_utxos_maximum"`
	GetBalance             *big.Int `candid:"get_balance"`
	GetBalanceMax          *big.Int `candid:"get_balance_maximum"`
	FeePercentiles         *big.Int `candid:"get_current_fee_percentiles"`
	FeePercentilesMax      *big.Int `candid:"get_current_fee_percentiles_maximum"`
	SendTransactionBase    *big.Int `candid:"send_transaction_base"`
	SendTransactionPerByte *big.Int `candid:"send_transaction_per_byte"`
	GetBlockHeadersBase    *big.Int `candid:"get_block_headers_base"`
	GetBlockHeadersPerTen  *big.Int `candid:"get_block_headers_cycles_per_ten_instructions"`
	GetBlockHeadersMax     *big.Int `candid:"get_block_headers_maximum"`
}

type configRecord struct {
	StabilityThreshold *big.Int             `candid:"stability_threshold"`
	Network            btcNetwork           `candid:"network"`
	BlocksSource       principal.Principal  `candid:"blocks_source"`
	Syncing            btcFlag              `candid:"syncing"`
	Fees               feesRecord           `candid:"fees"`
	APIAccess          btcFlag              `candid:"api_access"`
	DisableIfNotSynced btcFlag              `candid:"disable_api_if_not_fully_synced"`
	Watchdog           *principal.Principal `candid:"watchdog_canister"`
	BurnCycles         btcFlag              `candid:"burn_cycles"`
	LazyFeePercentiles btcFlag              `candid:"lazily_evaluate_fee_percentiles"`
}

type blockchainInfo struct {
	Height      uint32   `candid:"height"`
	BlockHash   []byte   `candid:"block_hash"`
	Timestamp   uint32   `candid:"timestamp"`
	Difficulty  *big.Int `candid:"difficulty"`
	UtxosLength uint64   `candid:"utxos_length"`
}

// bitcoinCanister is the subnet's Bitcoin canister as a Go canister: its
// answers come from the Bitcoin state the subnet agrees on (the Bitcoin
// component, which applies payloads before the round's canister
// executions), so every node answers alike. It keeps no state of its
// own; bitcoin_send_transaction's transactions go to the node's adapter
// after the round, as the IC's Bitcoin canister hands them to its
// adapters.
type bitcoinCanister struct {
	network chain.Network
	fees    btcFees
	can     func() *service.Canister
	// broadcast holds the transactions the round sent.
	broadcast [][]byte
}

func btcReject(code int, format string, a ...any) error {
	return &canisters.GoReject{Code: code, Message: fmt.Sprintf(format, a...)}
}

// apiErr is a Bitcoin API error: the IC's canister traps with it (reject
// code 5).
func apiErr(err error) error {
	return btcReject(execution.RejectCanisterError, "%s", err.Error())
}

func (b *bitcoinCanister) read(f func(st *canister.State)) { b.can().Read(f) }

func (b *bitcoinCanister) checkNetwork(n *btcNetwork) error {
	if got := n.network(); got != b.network {
		return btcReject(execution.RejectCanisterError, "network must be %s, found %s", b.network, got)
	}
	return nil
}

// isCanister tells a canister's call from an ingress message: canister
// ids are opaque ids, users' principals are self-authenticating or
// anonymous.
func isCanister(p principal.Principal) bool {
	_, ok := p.CanisterIndex()
	return ok
}

// Update implements canisters.GoCanister: an ingress message, or a call
// with no cycles.
func (b *bitcoinCanister) Update(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	r, _, err := b.UpdatePaid(method, arg, caller, now, 0)
	return r, err
}

// UpdatePaid implements canisters.GoPayable: the Bitcoin API's update
// methods, for canisters only, each taking its fee from the attached
// cycles (at least the method's maximum must be attached, as the IC's
// Bitcoin canister requires).
func (b *bitcoinCanister) UpdatePaid(method string, arg []byte, caller principal.Principal, now, cycles uint64) ([]byte, uint64, error) {
	switch method {
	case "bitcoin_get_utxos", "bitcoin_get_balance", "bitcoin_get_current_fee_percentiles", "bitcoin_get_block_headers",
		"bitcoin_send_transaction":
		if !isCanister(caller) {
			return nil, 0, btcReject(execution.RejectCanisterReject, "%s can only be called by canisters", method)
		}
	default:
		r, err := b.Query(method, arg, caller, now)
		return r, 0, err
	}
	need := func(min, fee uint64) error {
		if cycles < min {
			return btcReject(execution.RejectCanisterReject, "%s requires %d cycles, %d attached", method, min, cycles)
		}
		return nil
	}
	f := b.fees
	switch method {
	case "bitcoin_get_utxos":
		if err := need(f.GetUtxosMax, f.GetUtxosBase); err != nil {
			return nil, 0, err
		}
		r, err := b.getUtxos(arg)
		return r, f.GetUtxosBase, err
	case "bitcoin_get_balance":
		if err := need(f.GetBalanceMax, f.GetBalance); err != nil {
			return nil, 0, err
		}
		r, err := b.getBalance(arg)
		return r, f.GetBalance, err
	case "bitcoin_get_current_fee_percentiles":
		if err := need(f.FeePercentilesMax, f.FeePercentiles); err != nil {
			return nil, 0, err
		}
		r, err := b.feePercentiles(arg)
		return r, f.FeePercentiles, err
	case "bitcoin_get_block_headers":
		if err := need(f.GetBlockHeadersMax, f.GetBlockHeadersBase); err != nil {
			return nil, 0, err
		}
		r, err := b.blockHeaders(arg)
		return r, f.GetBlockHeadersBase, err
	}
	var a sendTransactionRequest
	if err := candid.Decode(arg, &a); err != nil {
		return nil, 0, btcReject(execution.RejectCanisterError, "bitcoin_send_transaction: %v", err)
	}
	fee := f.SendTransactionBase + f.SendTransactionPerByte*uint64(len(a.Transaction))
	if err := need(fee, fee); err != nil {
		return nil, 0, err
	}
	if err := b.checkNetwork(&a.Network); err != nil {
		return nil, 0, err
	}
	if _, err := canister.CheckTransaction(a.Transaction); err != nil {
		return nil, 0, apiErr(err)
	}
	b.broadcast = append(b.broadcast, append([]byte(nil), a.Transaction...))
	return []byte("DIDL\x00\x00"), fee, nil
}

// Query implements canisters.GoCanister: the _query forms of get_utxos
// and get_balance, get_config and get_blockchain_info.
func (b *bitcoinCanister) Query(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	switch method {
	case "bitcoin_get_utxos_query":
		return b.getUtxos(arg)
	case "bitcoin_get_balance_query":
		return b.getBalance(arg)
	case "get_config":
		return b.config()
	case "get_blockchain_info":
		return b.blockchainInfo()
	}
	return nil, btcReject(execution.RejectDestinationInvalid, "the Bitcoin canister has no method %q", method)
}

func (b *bitcoinCanister) getUtxos(arg []byte) ([]byte, error) {
	var a getUtxosRequest
	if err := candid.Decode(arg, &a); err != nil {
		return nil, btcReject(execution.RejectCanisterError, "get_utxos: %v", err)
	}
	if err := b.checkNetwork(&a.Network); err != nil {
		return nil, err
	}
	var f canister.UtxosFilter
	if a.Filter != nil {
		switch {
		case a.Filter.MinConfirmations != nil:
			f.MinConfirmations = a.Filter.MinConfirmations
		case a.Filter.Page != nil:
			f.Page = append([]byte{}, *a.Filter.Page...)
		}
	}
	var res *canister.UtxosResponse
	var err error
	b.read(func(st *canister.State) { res, err = st.GetUtxos(a.Address, f) })
	if err != nil {
		return nil, apiErr(err)
	}
	out := getUtxosResponse{Utxos: make([]btcUtxo, len(res.Utxos)), TipBlockHash: append([]byte(nil), res.TipBlockHash[:]...),
		TipHeight: res.TipHeight}
	for i, u := range res.Utxos {
		txid := u.OutPoint.Hash
		out.Utxos[i] = btcUtxo{Outpoint: btcOutpoint{Txid: append([]byte(nil), txid[:]...), Vout: u.OutPoint.Index}, Value: u.Value, Height: u.Height}
	}
	if res.NextPage != nil {
		p := append([]byte(nil), res.NextPage...)
		out.NextPage = &p
	}
	return candid.Encode(out)
}

func (b *bitcoinCanister) getBalance(arg []byte) ([]byte, error) {
	var a getBalanceRequest
	if err := candid.Decode(arg, &a); err != nil {
		return nil, btcReject(execution.RejectCanisterError, "get_balance: %v", err)
	}
	if err := b.checkNetwork(&a.Network); err != nil {
		return nil, err
	}
	var mc uint32
	if a.MinConfirmations != nil {
		mc = *a.MinConfirmations
	}
	var bal uint64
	var err error
	b.read(func(st *canister.State) { bal, err = st.GetBalance(a.Address, mc) })
	if err != nil {
		return nil, apiErr(err)
	}
	return candid.Encode(bal)
}

func (b *bitcoinCanister) feePercentiles(arg []byte) ([]byte, error) {
	var a networkRequest
	if err := candid.Decode(arg, &a); err != nil {
		return nil, btcReject(execution.RejectCanisterError, "get_current_fee_percentiles: %v", err)
	}
	if err := b.checkNetwork(&a.Network); err != nil {
		return nil, err
	}
	var fees []uint64
	b.read(func(st *canister.State) { fees = st.FeePercentiles() })
	if fees == nil {
		fees = []uint64{}
	}
	return candid.Encode(fees)
}

func (b *bitcoinCanister) blockHeaders(arg []byte) ([]byte, error) {
	var a getBlockHeadersRequest
	if err := candid.Decode(arg, &a); err != nil {
		return nil, btcReject(execution.RejectCanisterError, "get_block_headers: %v", err)
	}
	if err := b.checkNetwork(&a.Network); err != nil {
		return nil, err
	}
	var tip uint32
	var hs [][]byte
	var err error
	b.read(func(st *canister.State) { tip, hs, err = st.BlockHeaders(a.StartHeight, a.EndHeight) })
	if err != nil {
		return nil, apiErr(err)
	}
	if hs == nil {
		hs = [][]byte{}
	}
	return candid.Encode(getBlockHeadersResponse{TipHeight: tip, BlockHeaders: hs})
}

func (b *bitcoinCanister) config() ([]byte, error) {
	n := func(v uint64) *big.Int { return new(big.Int).SetUint64(v) }
	f := b.fees
	var delta uint64
	b.read(func(st *canister.State) { delta = st.StabilityThreshold() })
	return candid.Encode(configRecord{
		StabilityThreshold: n(delta), Network: networkVariant(b.network), BlocksSource: principal.Management(),
		Syncing: flagOn, APIAccess: flagOn, DisableIfNotSynced: flagOff, BurnCycles: flagOff, LazyFeePercentiles: flagOff,
		Fees: feesRecord{GetUtxosBase: n(f.GetUtxosBase), GetUtxosPerTen: n(f.GetUtxosPerTen), GetUtxosMax: n(f.GetUtxosMax),
			GetBalance: n(f.GetBalance), GetBalanceMax: n(f.GetBalanceMax), FeePercentiles: n(f.FeePercentiles),
			FeePercentilesMax: n(f.FeePercentilesMax), SendTransactionBase: n(f.SendTransactionBase),
			SendTransactionPerByte: n(f.SendTransactionPerByte), GetBlockHeadersBase: n(f.GetBlockHeadersBase),
			GetBlockHeadersPerTen: n(f.GetBlockHeadersPerTen), GetBlockHeadersMax: n(f.GetBlockHeadersMax)},
	})
}

func (b *bitcoinCanister) blockchainInfo() ([]byte, error) {
	var info blockchainInfo
	var err error
	b.read(func(st *canister.State) {
		hash, height := st.Tip()
		hd, _, ok := st.HeaderByHash(hash)
		if !ok {
			err = errors.New("the tip's header is missing")
			return
		}
		limit := b.network.Params().PowLimit
		target := blockchain.CompactToBig(hd.Bits)
		diff := big.NewInt(1)
		if target.Sign() > 0 {
			diff = new(big.Int).Quo(limit, target)
		}
		info = blockchainInfo{Height: height, BlockHash: append([]byte(nil), hash[:]...), Timestamp: uint32(hd.Timestamp.Unix()),
			Difficulty: diff, UtxosLength: uint64(st.UtxoCount())}
	})
	if err != nil {
		return nil, btcReject(execution.RejectCanisterError, "get_blockchain_info: %v", err)
	}
	return candid.Encode(info)
}

// Marshal implements canisters.GoCanister: the canister keeps no state
// of its own (the Bitcoin state is the Bitcoin component's).
func (b *bitcoinCanister) Marshal() ([]byte, error) { return []byte{}, nil }

// Unmarshal implements canisters.GoCanister.
func (b *bitcoinCanister) Unmarshal([]byte) error { return nil }

// StateHash implements canisters.GoCanister.
func (b *bitcoinCanister) StateHash() [32]byte { return [32]byte{} }

// CertifiedData implements canisters.GoCanister.
func (b *bitcoinCanister) CertifiedData() []byte { return nil }

// hostBitcoinCanister hosts the Bitcoin canister at BitcoinCanisterID
// when the subnet has Bitcoin, and routes the management canister's
// bitcoin_* methods to it.
func (a *app) hostBitcoinCanister(c *canisters.Component) error {
	if a.btc == nil {
		return nil
	}
	b := &bitcoinCanister{network: a.btc.network, fees: bitcoinFees(a.btc.network), can: func() *service.Canister { return a.btc.can }}
	if err := c.HostGo(BitcoinCanisterID, b); err != nil {
		return err
	}
	c.RouteManagementBitcoin(BitcoinCanisterID)
	a.btcCanister = b
	return nil
}

// bitcoinBroadcast hands the transactions the round's
// bitcoin_send_transaction calls sent to the node's adapter.
func (a *app) bitcoinBroadcast() {
	b := a.btcCanister
	if b == nil {
		return
	}
	txs := b.broadcast
	b.broadcast = nil
	if len(txs) == 0 || a.btc == nil || a.btc.fwd == nil {
		return
	}
	fwd, log := a.btc.fwd, a.log
	go func() {
		for _, tx := range txs {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := fwd.Forward(ctx, tx); err != nil {
				log.Warn("bitcoin canister: forward transaction", "err", err)
			}
			cancel()
		}
	}()
}

// BitcoinCanister returns the id of the subnet's Bitcoin canister; ok is
// false without Bitcoin.
func (n *Node) BitcoinCanister() (id principal.Principal, ok bool) {
	if n.app.btcCanister == nil {
		return id, false
	}
	return BitcoinCanisterID, true
}

// canisterRanges are the subnet's canister ranges: its own range and,
// with Bitcoin, the Bitcoin canister's id.
func (a *app) canisterRanges() []certification.CanisterRange {
	r := canisterRanges()
	if a.btc != nil {
		r = append(r, certification.CanisterRange{Low: BitcoinCanisterID, High: BitcoinCanisterID})
	}
	return r
}
