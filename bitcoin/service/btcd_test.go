package service_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/chainkey/chainkey/bitcoin/adapter"
	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/bitcoin/service"
	bpb "github.com/chainkey/chainkey/proto/bitcoinpb"
	apb "github.com/chainkey/chainkey/proto/btcservicepb"
)

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("btcd regtest test skipped in -short mode (it builds and runs btcd)")
	}
}

// env is an adapter connected to btcd peers, serving BtcService over gRPC,
// and a canister state fed from it, serving the Bitcoin service.
type env struct {
	ad       *adapter.Adapter
	adClient apb.BtcServiceClient
	can      *service.Canister
	drv      *service.Driver
	bitcoin  bpb.BitcoinClient
	endpoint string
	dataDir  string
	stop     func()
}

func serve(t testing.TB, register func(*grpc.Server)) (addr string, stop func()) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	register(srv)
	go func() { _ = srv.Serve(l) }()
	return l.Addr().String(), srv.Stop
}

func dial(t testing.TB, addr string) *grpc.ClientConn {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
}

func startAdapter(t *testing.T, dataDir string, peers ...string) (*adapter.Adapter, apb.BtcServiceClient, func()) {
	return startAdapterB(t, dataDir, peers...)
}

func startAdapterB(t testing.TB, dataDir string, peers ...string) (*adapter.Adapter, apb.BtcServiceClient, func()) {
	ad, err := adapter.New(adapter.Config{Network: chain.Regtest, Peers: peers, DataDir: dataDir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ad.Run(ctx); close(done) }()
	addr, stopSrv := serve(t, func(s *grpc.Server) { apb.RegisterBtcServiceServer(s, adapter.NewServer(ad)) })
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		stopSrv()
		cancel()
		<-done
		_ = ad.Close()
	}
	t.Cleanup(stop)
	return ad, apb.NewBtcServiceClient(dial(t, addr)), stop
}

func newEnv(t *testing.T, delta uint64, peers ...string) *env {
	e := &env{dataDir: t.TempDir()}
	e.ad, e.adClient, e.stop = startAdapter(t, e.dataDir, peers...)
	st, err := canister.New(canister.Config{Network: chain.Regtest, StabilityThreshold: delta})
	if err != nil {
		t.Fatal(err)
	}
	e.can = service.NewCanister(st, service.AdapterForwarder{Client: e.adClient})
	e.drv = &service.Driver{Client: e.adClient, Canister: e.can}
	var stop func()
	e.endpoint, stop = serve(t, func(s *grpc.Server) { bpb.RegisterBitcoinServer(s, service.NewServer(e.can)) })
	t.Cleanup(stop)
	e.bitcoin = bpb.NewBitcoinClient(dial(t, e.endpoint))
	return e
}

// syncTo drives the canister until its tip is want.
func (e *env) syncTo(t *testing.T, want *chainhash.Hash) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var tip chainhash.Hash
		e.can.Read(func(st *canister.State) { tip, _ = st.Tip() })
		if tip == *want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("canister tip %s, want %s", tip, want)
		}
		n, _, err := e.drv.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func bestHash(t *testing.T, n *btcdtest.Node) *chainhash.Hash {
	h, err := n.RPC.GetBestBlockHash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBtcdEndToEnd(t *testing.T) {
	skipShort(t)
	miner := btcdtest.NewKey(1)
	node := btcdtest.Start(t, miner)
	node.Generate(t, 101)
	e := newEnv(t, 6, node.P2PAddr)
	ctx := context.Background()

	// Header sync.
	waitFor(t, "header sync", func() bool { h, _ := e.ad.TipHeight(); return h == 101 })
	if _, tip := e.ad.TipHeight(); tip != *bestHash(t, node) {
		t.Fatal("adapter tip differs from btcd's best block")
	}

	// GetSuccessors: breadth-first from genesis, at most 100 blocks, the
	// rest announced in next.
	genesis := regtest.Params.GenesisHash
	var res *apb.BtcServiceGetSuccessorsResponse
	waitFor(t, "100 cached blocks", func() bool {
		var err error
		res, err = e.adClient.GetSuccessors(ctx, &apb.BtcServiceGetSuccessorsRequest{Anchor: genesis[:]})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Blocks) == adapter.MaxBlocksLength
	})
	prev := *genesis
	for i, raw := range res.Blocks {
		var b wire.MsgBlock
		if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
		if b.Header.PrevBlock != prev {
			t.Fatalf("block %d does not follow block %d", i+1, i)
		}
		prev = b.BlockHash()
	}
	if len(res.Next) != 1 {
		t.Fatalf("next has %d headers, want 1 (block 101)", len(res.Next))
	}
	var h101 wire.BlockHeader
	_ = h101.Deserialize(bytes.NewReader(res.Next[0]))
	if h101.PrevBlock != prev {
		t.Fatal("next header does not follow the last block")
	}
	// Processed hashes are skipped.
	var processed [][]byte
	for _, raw := range res.Blocks[:50] {
		var h wire.BlockHeader
		_ = h.Deserialize(bytes.NewReader(raw))
		hh := h.BlockHash()
		processed = append(processed, hh[:])
	}
	res2, err := e.adClient.GetSuccessors(ctx, &apb.BtcServiceGetSuccessorsRequest{Anchor: genesis[:], ProcessedBlockHashes: processed})
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Blocks) == 0 || !bytes.Equal(res2.Blocks[0], res.Blocks[50]) {
		t.Fatal("processed blocks were not skipped")
	}
	// Malformed requests are refused.
	if _, err := e.adClient.GetSuccessors(ctx, &apb.BtcServiceGetSuccessorsRequest{Anchor: []byte{1, 2}}); err == nil {
		t.Fatal("2-byte anchor accepted")
	}
	if _, err := e.adClient.SendTransaction(ctx, &apb.BtcServiceSendTransactionRequest{Transaction: []byte("junk")}); err == nil {
		t.Fatal("junk transaction accepted")
	}

	// The canister follows.
	e.syncTo(t, bestHash(t, node))
	minerAddr := miner.Addr.EncodeAddress()
	bal, err := e.bitcoin.GetBalance(ctx, &bpb.GetBalanceRequest{Network: bpb.Network_NETWORK_REGTEST, Address: minerAddr})
	if err != nil || bal.Balance != 101*50e8 {
		t.Fatalf("miner balance %v, %v", bal, err)
	}

	// Spend block 1's coinbase to 1,200 P2PKH outputs and one output of each
	// other address type, through the Bitcoin service → adapter → btcd.
	blk1, err := node.RPC.GetBlockHash(1)
	if err != nil {
		t.Fatal(err)
	}
	b1, err := node.RPC.GetBlock(blk1)
	if err != nil {
		t.Fatal(err)
	}
	payee := regtest.NewKey(77)
	pk := payee.Priv.PubKey()
	tr, _ := btcutil.NewAddressTaproot(txscript.ComputeTaprootKeyNoScript(pk).SerializeCompressed()[1:], regtest.Params)
	p2sh, _ := btcutil.NewAddressScriptHash(payee.Script, regtest.Params)
	wsh, _ := btcutil.NewAddressWitnessScriptHash(bytes.Repeat([]byte{7}, 32), regtest.Params)
	wpkh, _ := btcutil.NewAddressWitnessPubKeyHash(payee.Addr.Hash160()[:], regtest.Params)
	others := []btcutil.Address{tr, p2sh, wsh, wpkh}
	var outs []regtest.Output
	for i := range 1200 {
		outs = append(outs, regtest.Output{Script: payee.Script, Value: int64(10_000 + i)})
	}
	var total int64
	for _, o := range outs {
		total += o.Value
	}
	for i, a := range others {
		s, _ := txscript.PayToAddrScript(a)
		outs = append(outs, regtest.Output{Script: s, Value: int64(1e6 * (i + 1))})
		total += int64(1e6 * (i + 1))
	}
	const fee = 200_000
	minerKey := &regtest.Key{Priv: miner.Priv, Addr: miner.Addr}
	minerKey.Script, _ = txscript.PayToAddrScript(miner.Addr)
	outs = append(outs, regtest.Output{Script: minerKey.Script, Value: 50e8 - total - fee})
	tx, err := regtest.SpendP2PKH(minerKey, []wire.OutPoint{{Hash: b1.Transactions[0].TxHash()}}, outs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bitcoin.SendTransaction(ctx, &bpb.SendTransactionRequest{Network: bpb.Network_NETWORK_REGTEST, Transaction: regtest.TxBytes(tx)}); err != nil {
		t.Fatal(err)
	}
	txid := tx.TxHash()
	waitFor(t, "btcd to accept the transaction into its mempool", func() bool {
		pool, err := node.RPC.GetRawMempool()
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range pool {
			if *h == txid {
				return true
			}
		}
		return false
	})
	mined := node.Generate(t, 1)
	e.syncTo(t, mined[0])
	blk, err := node.RPC.GetBlock(mined[0])
	if err != nil || len(blk.Transactions) != 2 || blk.Transactions[1].TxHash() != txid {
		t.Fatalf("btcd did not mine the transaction: %v", err)
	}

	// Pagination over 1,200 UTXOs.
	var got []*bpb.Utxo
	req := &bpb.GetUtxosRequest{Network: bpb.Network_NETWORK_REGTEST, Address: payee.Addr.EncodeAddress()}
	for pages := 0; ; pages++ {
		r, err := e.bitcoin.GetUtxos(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Utxos...)
		if r.TipHeight != 102 || !bytes.Equal(r.TipBlockHash, mined[0][:]) {
			t.Fatalf("tip %d %x", r.TipHeight, r.TipBlockHash)
		}
		if r.NextPage == nil {
			if pages != 1 {
				t.Fatalf("%d pages", pages+1)
			}
			break
		}
		req.Filter = &bpb.GetUtxosRequest_Page{Page: r.NextPage}
	}
	if len(got) != 1200 {
		t.Fatalf("%d utxos, want 1200", len(got))
	}
	seen := map[uint32]bool{}
	for _, u := range got {
		if !bytes.Equal(u.Outpoint.Txid, txid[:]) || u.Height != 102 || u.Value != uint64(10_000+u.Outpoint.Vout) || seen[u.Outpoint.Vout] {
			t.Fatalf("bad utxo %v", u)
		}
		seen[u.Outpoint.Vout] = true
	}
	for i, a := range others {
		r, err := e.bitcoin.GetBalance(ctx, &bpb.GetBalanceRequest{Network: bpb.Network_NETWORK_REGTEST, Address: a.EncodeAddress()})
		if err != nil || r.Balance != uint64(1e6*(i+1)) {
			t.Fatalf("%T balance %v %v", a, r, err)
		}
	}
	bal, _ = e.bitcoin.GetBalance(ctx, &bpb.GetBalanceRequest{Network: bpb.Network_NETWORK_REGTEST, Address: minerAddr})
	if want := uint64(102*50e8 - 50e8 + (50e8 - total - fee) + fee); bal.Balance != want {
		t.Fatalf("miner balance %d, want %d", bal.Balance, want)
	}
	// min_confirmations 2 hides the new block's outputs.
	mc := uint32(2)
	bal, _ = e.bitcoin.GetBalance(ctx, &bpb.GetBalanceRequest{Network: bpb.Network_NETWORK_REGTEST, Address: payee.Addr.EncodeAddress(), MinConfirmations: &mc})
	if bal.Balance != 0 {
		t.Fatalf("payee balance with 2 confirmations %d", bal.Balance)
	}

	// Fee percentiles: one transaction on the unstable chain.
	fees, err := e.bitcoin.GetCurrentFeePercentiles(ctx, &bpb.GetCurrentFeePercentilesRequest{Network: bpb.Network_NETWORK_REGTEST})
	if err != nil || len(fees.MillisatoshiPerVbyte) != 101 {
		t.Fatalf("fees %v %v", fees, err)
	}
	if want := uint64(fee*1000) / uint64(tx.SerializeSize()); fees.MillisatoshiPerVbyte[0] != want || fees.MillisatoshiPerVbyte[100] != want {
		t.Fatalf("fee rate %d, want %d", fees.MillisatoshiPerVbyte[0], want)
	}

	// Block headers match btcd's.
	hs, err := e.bitcoin.GetBlockHeaders(ctx, &bpb.GetBlockHeadersRequest{Network: bpb.Network_NETWORK_REGTEST, StartHeight: 100})
	if err != nil || hs.TipHeight != 102 || len(hs.BlockHeaders) != 3 {
		t.Fatalf("headers %v %v", hs, err)
	}
	var last wire.BlockHeader
	_ = last.Deserialize(bytes.NewReader(hs.BlockHeaders[2]))
	if last.BlockHash() != *mined[0] {
		t.Fatal("header 102 differs from btcd's")
	}

	// Bad input through the Bitcoin service.
	for _, tc := range []struct {
		req  *bpb.GetUtxosRequest
		kind bpb.ApiError_Kind
	}{
		{&bpb.GetUtxosRequest{Network: bpb.Network_NETWORK_REGTEST, Address: "nonsense"}, bpb.ApiError_KIND_MALFORMED_ADDRESS},
		{&bpb.GetUtxosRequest{Network: bpb.Network_NETWORK_REGTEST, Address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}, bpb.ApiError_KIND_ADDRESS_FOR_WRONG_NETWORK},
		{&bpb.GetUtxosRequest{Network: bpb.Network_NETWORK_MAINNET, Address: minerAddr}, bpb.ApiError_KIND_WRONG_NETWORK},
		{&bpb.GetUtxosRequest{Network: bpb.Network_NETWORK_REGTEST, Address: minerAddr, Filter: &bpb.GetUtxosRequest_MinConfirmations{MinConfirmations: 1000}}, bpb.ApiError_KIND_MIN_CONFIRMATIONS_TOO_LARGE},
		{&bpb.GetUtxosRequest{Network: bpb.Network_NETWORK_REGTEST, Address: minerAddr, Filter: &bpb.GetUtxosRequest_Page{Page: []byte{1}}}, bpb.ApiError_KIND_MALFORMED_PAGE},
		{&bpb.GetUtxosRequest{Network: bpb.Network_NETWORK_REGTEST, Address: minerAddr, Filter: &bpb.GetUtxosRequest_Page{Page: make([]byte, 72)}}, bpb.ApiError_KIND_UNKNOWN_TIP_BLOCK_HASH},
	} {
		_, err := e.bitcoin.GetUtxos(ctx, tc.req)
		ae, ok := service.ApiErrorFrom(err)
		if !ok || ae.Kind != tc.kind {
			t.Errorf("GetUtxos(%v): %v, want %s", tc.req, err, tc.kind)
		}
	}
	if _, err := e.bitcoin.SendTransaction(ctx, &bpb.SendTransactionRequest{Network: bpb.Network_NETWORK_REGTEST, Transaction: []byte{1, 2, 3}}); err == nil {
		t.Fatal("malformed transaction accepted")
	} else if ae, _ := service.ApiErrorFrom(err); ae.GetKind() != bpb.ApiError_KIND_MALFORMED_TRANSACTION {
		t.Fatalf("malformed transaction: %v", err)
	}

	// Restart: headers come back from disk without any peer.
	count := e.ad.HeaderCount()
	e.stop()
	ad2, _, _ := startAdapter(t, e.dataDir)
	if ad2.HeaderCount() != count {
		t.Fatalf("after restart %d headers, want %d", ad2.HeaderCount(), count)
	}
	if h, tip := ad2.TipHeight(); h != 102 || tip != *mined[0] {
		t.Fatalf("after restart tip %d %s", h, tip)
	}
}

func TestBtcdReorg(t *testing.T) {
	skipShort(t)
	ka, kb := btcdtest.NewKey(1), btcdtest.NewKey(2)
	na := btcdtest.Start(t, ka)
	nb := btcdtest.Start(t, kb)
	e := newEnv(t, 20, na.P2PAddr)
	waitFor(t, "adapter to connect", func() bool { return e.ad.PeerCount() == 1 })
	na.Generate(t, 5)
	e.syncTo(t, bestHash(t, na))
	ctx := context.Background()
	balOf := func(k *btcdtest.Key) uint64 {
		r, err := e.bitcoin.GetBalance(ctx, &bpb.GetBalanceRequest{Network: bpb.Network_NETWORK_REGTEST, Address: k.Addr.EncodeAddress()})
		if err != nil {
			t.Fatal(err)
		}
		return r.Balance
	}
	if balOf(ka) != 5*50e8 || balOf(kb) != 0 {
		t.Fatalf("before reorg: %d %d", balOf(ka), balOf(kb))
	}
	nb.Generate(t, 8)
	if err := na.RPC.AddNode(nb.P2PAddr, rpcclient.ANAdd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(na.Dir + "/stdout.log")
			t.Logf("btcd A log:\n%s", b)
		}
	})
	waitFor(t, "btcd A and B to connect", func() bool {
		peers, err := na.RPC.GetPeerInfo()
		return err == nil && len(peers) == 2
	})
	// On regtest btcd treats any localhost peer, the adapter included, as
	// a sync candidate and may wait for it; B's next block announces the
	// heavier chain to A, which then fetches it.
	nb.Generate(t, 1)
	want := bestHash(t, nb)
	waitFor(t, "btcd A to reorganise", func() bool { return *bestHash(t, na) == *want })
	e.syncTo(t, want)
	if balOf(ka) != 0 || balOf(kb) != 9*50e8 {
		t.Fatalf("after reorg: %d %d", balOf(ka), balOf(kb))
	}
	if n := e.ad.HeaderCount(); n != 1+5+9 {
		t.Fatalf("adapter holds %d headers, want 15 (both branches)", n)
	}
	var unstable int
	e.can.Read(func(st *canister.State) { unstable = st.UnstableBlocks() })
	if unstable != 1+5+9 {
		t.Fatalf("canister holds %d unstable blocks, want 15", unstable)
	}
}
