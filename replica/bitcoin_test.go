package replica

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/chainkey/chainkey/bitcoin/adapter"
	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/certification"
	bpb "github.com/chainkey/chainkey/proto/bitcoinpb"
	apb "github.com/chainkey/chainkey/proto/btcservicepb"
)

func TestBitcoinPayloadCodec(t *testing.T) {
	c := regtest.NewChain(time.Unix(1_700_000_000, 0))
	b1 := c.Next(regtest.NewKey(1).Script, 50e8)
	b2 := c.Next(regtest.NewKey(1).Script, 50e8)
	var hdr bytes.Buffer
	if err := b2.Header.Serialize(&hdr); err != nil {
		t.Fatal(err)
	}
	p := &bitcoinPayload{blocks: [][]byte{regtest.BlockBytes(b1), regtest.BlockBytes(b2)}, next: [][]byte{hdr.Bytes()}}
	enc := encodeBitcoinPayload(p)
	if !isBitcoinPayload(enc) {
		t.Fatal("payload not recognised")
	}
	if _, err := decodeTx(enc); err == nil {
		t.Fatal("a bitcoin payload decodes as a replica transaction")
	}
	got, err := decodeBitcoinPayload(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.blocks) != 2 || !bytes.Equal(got.blocks[1], p.blocks[1]) || len(got.next) != 1 || !bytes.Equal(got.next[0], p.next[0]) {
		t.Fatal("round trip changed the payload")
	}
	if !bytes.Equal(encodeBitcoinPayload(got), enc) {
		t.Fatal("re-encoding differs")
	}
	empty := encodeBitcoinPayload(&bitcoinPayload{})
	if g, err := decodeBitcoinPayload(empty); err != nil || len(g.blocks) != 0 || len(g.next) != 0 {
		t.Fatalf("empty payload: %v", err)
	}

	bad := map[string][]byte{
		"bad magic":      append([]byte("\xfeckbtc\x01"), enc[len(bitcoinPayloadMagic):]...),
		"truncated":      enc[:len(enc)-1],
		"trailing byte":  append(bytes.Clone(enc), 0),
		"magic only":     bitcoinPayloadMagic,
		"short next":     append(bytes.Clone(empty[:len(empty)-4]), 0, 0, 0, 1, 1, 2, 3),
		"oversized":      append(bytes.Clone(enc), make([]byte, MaxBitcoinPayloadBytes)...),
		"too many":       binary.BigEndian.AppendUint32(bytes.Clone(bitcoinPayloadMagic), maxBitcoinPayloadBlocks+1),
		"block too long": binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(bytes.Clone(bitcoinPayloadMagic), 1), 1<<20),
		"tiny block":     append(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(bytes.Clone(bitcoinPayloadMagic), 1), 3), 1, 2, 3, 0, 0, 0, 0),
		"too many next":  binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(bytes.Clone(bitcoinPayloadMagic), 0), maxBitcoinPayloadNext+1),
	}
	for name, b := range bad {
		if _, err := decodeBitcoinPayload(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAdapterTarget(t *testing.T) {
	for in, want := range map[string]string{
		"unix:///run/btc.sock": "unix:///run/btc.sock",
		"127.0.0.1:34254":      "passthrough:///127.0.0.1:34254",
		"dns:///adapter:1234":  "dns:///adapter:1234",
		"unix://btc.sock":      "unix:btc.sock",
		"unix:rel/btc.sock":    "unix:rel/btc.sock",
		"tcp://[::1]:34254":    "passthrough:///[::1]:34254",
	} {
		if got := adapterTarget(in); got != want {
			t.Errorf("adapterTarget(%q) = %q, want %q", in, got, want)
		}
	}
}

// startTestAdapter runs an in-process btc-adapter connected to btcd and
// serves its BtcService on a Unix socket; it returns the gRPC target.
func startTestAdapter(t *testing.T, peer string) string {
	t.Helper()
	log := testLogger(t)
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ad, err := adapter.New(adapter.Config{Network: chain.Regtest, Peers: []string{peer}, DataDir: t.TempDir(), Logger: log,
		BlockTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ad.Run(ctx); close(done) }()
	sock := filepath.Join(t.TempDir(), "adapter.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	apb.RegisterBtcServiceServer(srv, adapter.NewServer(ad))
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Stop()
		cancel()
		<-done
		_ = ad.Close()
	})
	return "unix://" + sock
}

// TestBitcoinSubnet runs a real btcd regtest node, a btc-adapter and a
// 4-node subnet configured with it: mined coins show up through every
// node's Bitcoin service, the nodes' canister states agree, a bad payload
// makes ProcessProposal reject, and a transaction sent through a node is
// mined by btcd.
func TestBitcoinSubnet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs btcd and a 4-node subnet")
	}
	miner := btcdtest.NewKey(1)
	btcd := btcdtest.Start(t, miner)
	target := startTestAdapter(t, btcd.P2PAddr)

	const mined = 110
	btcd.Generate(t, mined)

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var clients []bpb.BitcoinClient
	onNode := func(n *Node) error {
		svc := n.BitcoinService()
		if svc == nil {
			t.Error("node has no Bitcoin service")
			return nil
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := grpc.NewServer()
		bpb.RegisterBitcoinServer(srv, svc)
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(srv.Stop)
		cc, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return err
		}
		t.Cleanup(func() { cc.Close() })
		clients = append(clients, bpb.NewBitcoinClient(cc))
		return nil
	}
	home := t.TempDir()
	bc := &BitcoinConfig{Network: "regtest", Adapter: target, StabilityThreshold: 3}
	s, err := StartLocalSubnetWith(ctx, home, 4, nil, LocalOptions{
		TimeoutCommitMS: 50, PresignatureTarget: 1, Logger: testLogger(t), Bitcoin: bc, OnNode: onNode,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()

	addr := miner.Addr.EncodeAddress()
	regtestNet := bpb.Network_NETWORK_REGTEST
	tipHash, err := btcd.RPC.GetBestBlockHash()
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "every node to see the mined coins", func() bool {
		for _, c := range clients {
			r, err := c.GetUtxos(ctx, &bpb.GetUtxosRequest{Network: regtestNet, Address: addr})
			if err != nil || r.TipHeight != mined || !bytes.Equal(r.TipBlockHash, tipHash[:]) {
				return false
			}
		}
		return true
	})
	bal, err := clients[0].GetBalance(ctx, &bpb.GetBalanceRequest{Network: regtestNet, Address: addr})
	if err != nil || bal.Balance != mined*50e8 {
		t.Fatalf("balance %v, want %d: %v", bal, uint64(mined*50e8), err)
	}
	res, err := clients[2].GetUtxos(ctx, &bpb.GetUtxosRequest{Network: regtestNet, Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	var first *bpb.Utxo
	heights := map[uint32]bool{}
	for _, u := range res.Utxos {
		heights[u.Height] = true
		if u.Height == 1 {
			first = u
		}
	}
	if len(res.Utxos) != mined || len(heights) != mined || first == nil || first.Value != 50e8 {
		t.Fatalf("%d utxos over %d heights", len(res.Utxos), len(heights))
	}
	// Wrong network and malformed addresses are refused.
	if _, err := clients[0].GetBalance(ctx, &bpb.GetBalanceRequest{Network: bpb.Network_NETWORK_MAINNET, Address: addr}); err == nil {
		t.Fatal("mainnet request accepted by a regtest node")
	}
	if _, err := clients[0].GetBalance(ctx, &bpb.GetBalanceRequest{Network: regtestNet, Address: "not-an-address"}); err == nil {
		t.Fatal("malformed address accepted")
	}

	// The replicated state agrees: same canister state on every node, and
	// its hash is in the certified tree.
	waitUntil(t, ctx, "equal canister states", func() bool {
		h0, tip0, _ := s.Nodes()[0].BitcoinStateHash()
		for _, n := range s.Nodes()[1:] {
			h, tip, ok := n.BitcoinStateHash()
			if !ok || h != h0 || tip != tip0 {
				return false
			}
		}
		return tip0 == mined
	})
	checkCertifiedBitcoinLeaf(t, s.Nodes()[1])

	// ProcessProposal rejects invalid payloads and accepts known blocks.
	checkProposals(t, ctx, btcd, s.Nodes()[3])

	// A transaction sent through a node reaches btcd and is mined.
	payee := regtest.NewKey(99)
	spender := &regtest.Key{Priv: miner.Priv, Addr: miner.Addr}
	if spender.Script, err = txscript.PayToAddrScript(miner.Addr); err != nil {
		t.Fatal(err)
	}
	var op wire.OutPoint
	copy(op.Hash[:], first.Outpoint.Txid)
	op.Index = first.Outpoint.Vout
	tx, err := regtest.SpendP2PKH(spender, []wire.OutPoint{op}, []regtest.Output{{Script: payee.Script, Value: 50e8 - 10_000}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clients[1].SendTransaction(ctx, &bpb.SendTransactionRequest{Network: regtestNet, Transaction: regtest.TxBytes(tx)}); err != nil {
		t.Fatal(err)
	}
	txid := tx.TxHash()
	waitUntil(t, ctx, "btcd to accept the transaction", func() bool {
		pool, err := btcd.RPC.GetRawMempool()
		if err != nil {
			return false
		}
		for _, h := range pool {
			if *h == txid {
				return true
			}
		}
		return false
	})
	blk := btcd.Generate(t, 1)
	waitUntil(t, ctx, "the payee's coins on every node", func() bool {
		for _, c := range clients {
			r, err := c.GetUtxos(ctx, &bpb.GetUtxosRequest{Network: regtestNet, Address: payee.Addr.EncodeAddress()})
			if err != nil || len(r.Utxos) != 1 || r.TipHeight != mined+1 || !bytes.Equal(r.TipBlockHash, blk[0][:]) {
				return false
			}
			u := r.Utxos[0]
			if !bytes.Equal(u.Outpoint.Txid, txid[:]) || u.Value != 50e8-10_000 || u.Height != mined+1 {
				t.Fatalf("payee utxo %v", u)
			}
		}
		return true
	})
	bal, err = clients[3].GetBalance(ctx, &bpb.GetBalanceRequest{Network: regtestNet, Address: addr})
	if want := uint64((mined+1)*50e8 - 50e8 + 10_000); err != nil || bal.Balance != want {
		t.Fatalf("miner balance %v, want %d: %v", bal, want, err)
	}

	// The canister state survives a restart of the subnet.
	h0, tip0, _ := s.Nodes()[0].BitcoinStateHash()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	clients = nil
	s, err = StartLocalSubnetWith(ctx, home, 0, nil, LocalOptions{Logger: testLogger(t), Bitcoin: bc})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	for i, n := range s.Nodes() {
		h, tip, ok := n.BitcoinStateHash()
		if !ok || tip < tip0 || (tip == tip0 && h != h0) {
			t.Fatalf("node %d resumed at Bitcoin tip %d (was %d)", i, tip, tip0)
		}
	}
}

func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// checkCertifiedBitcoinLeaf looks the canister state hash up in the
// node's latest certified tree.
func checkCertifiedBitcoinLeaf(t *testing.T, n *Node) {
	t.Helper()
	a := n.app
	a.mu.Lock()
	h := a.cs.Height
	tree := a.trees[h]
	a.mu.Unlock()
	if tree == nil {
		t.Fatalf("no tree at height %d", h)
	}
	st, v := certification.Lookup(tree, certification.Path("bitcoin", "regtest", "state_hash"))
	if st != certification.Found || len(v) != sha256.Size {
		t.Fatalf("certified tree: /bitcoin/regtest/state_hash %v (%d bytes)", st, len(v))
	}
	hash, _, _ := n.BitcoinStateHash()
	if cs, _ := n.app.snapshot(); cs.Height == h && !bytes.Equal(v, hash[:]) {
		t.Fatal("certified Bitcoin state hash differs from the canister's")
	}
}

// checkProposals calls the node's ProcessProposal with Bitcoin payloads.
func checkProposals(t *testing.T, ctx context.Context, btcd *btcdtest.Node, n *Node) {
	t.Helper()
	best, err := btcd.RPC.GetBestBlockHash()
	if err != nil {
		t.Fatal(err)
	}
	blk, err := btcd.RPC.GetBlock(best)
	if err != nil {
		t.Fatal(err)
	}
	known := regtest.BlockBytes(blk)
	// A block on top of btcd's tip that the canister does not have yet.
	tampered := *blk
	tampered.Header.PrevBlock = blk.BlockHash()
	tampered.Header.Timestamp = blk.Header.Timestamp.Add(time.Second)
	regtest.Solve(&tampered.Header)
	badMerkle := tampered
	badMerkle.Header.MerkleRoot = chainhash.Hash{1}
	regtest.Solve(&badMerkle.Header)
	orphan := tampered
	orphan.Header.PrevBlock = chainhash.Hash{2}
	regtest.Solve(&orphan.Header)
	badPoW := tampered
	for chain.CheckProofOfWork(regtest.Params, &badPoW.Header) == nil {
		badPoW.Header.Nonce++
	}
	valid := encodeBitcoinPayload(&bitcoinPayload{blocks: [][]byte{known}})
	cases := []struct {
		name string
		txs  [][]byte
		ok   bool
	}{
		{"known block", [][]byte{valid}, true},
		{"two payloads", [][]byte{valid, valid}, false},
		{"bad merkle root", [][]byte{encodeBitcoinPayload(&bitcoinPayload{blocks: [][]byte{regtest.BlockBytes(&badMerkle)}})}, false},
		{"unknown parent", [][]byte{encodeBitcoinPayload(&bitcoinPayload{blocks: [][]byte{regtest.BlockBytes(&orphan)}})}, false},
		{"bad proof of work", [][]byte{encodeBitcoinPayload(&bitcoinPayload{blocks: [][]byte{regtest.BlockBytes(&badPoW)}})}, false},
		{"garbage block", [][]byte{encodeBitcoinPayload(&bitcoinPayload{blocks: [][]byte{bytes.Repeat([]byte{0xab}, 200)}})}, false},
		{"truncated", [][]byte{valid[:len(valid)-1]}, false},
	}
	for _, c := range cases {
		res, err := n.app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Txs: c.txs, Height: int64(n.Height()) + 1, Time: time.Now()})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := res.Status == abci.PROCESS_PROPOSAL_STATUS_ACCEPT; got != c.ok {
			t.Errorf("%s: accepted %v, want %v", c.name, got, c.ok)
		}
	}
}

// BenchmarkBitcoinPayloadCheck measures what ProcessProposal does with a
// payload of 100 regtest blocks: decode it and check every block.
func BenchmarkBitcoinPayloadCheck(b *testing.B) {
	c := regtest.NewChain(time.Unix(1_700_000_000, 0))
	p := &bitcoinPayload{}
	for range 100 {
		p.blocks = append(p.blocks, regtest.BlockBytes(c.Next(regtest.NewKey(1).Script, 50e8)))
	}
	raw := encodeBitcoinPayload(p)
	st, err := canister.New(canister.Config{Network: chain.Regtest})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for range b.N {
		d, err := decodeBitcoinPayload(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.CheckSuccessors(d.blocks); err != nil {
			b.Fatal(err)
		}
	}
}
