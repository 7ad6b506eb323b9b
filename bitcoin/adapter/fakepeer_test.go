package adapter_test

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/peer"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/regtest"
)

// fakePeer is a tiny in-test Bitcoin node on 127.0.0.1 that serves a fixed
// set of headers and blocks (parents before children) through btcd's peer
// package, or misbehaves on request.
type fakePeer struct {
	l        net.Listener
	services wire.ServiceFlag
	garbage  []byte // sent instead of a handshake when set
	badAfter bool   // after the handshake, send headers that fail PoW

	mu      sync.Mutex
	headers []wire.BlockHeader
	index   map[chainhash.Hash]int
	blocks  map[chainhash.Hash]*wire.MsgBlock
	txs     []*wire.MsgTx
	conns   int
	wg      sync.WaitGroup
}

func newFakePeer(t testing.TB) *fakePeer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePeer{l: l, services: wire.SFNodeNetwork, index: map[chainhash.Hash]int{}, blocks: map[chainhash.Hash]*wire.MsgBlock{}}
	f.index[*regtest.Params.GenesisHash] = -1
	t.Cleanup(func() { l.Close(); f.wg.Wait() })
	return f
}

func (f *fakePeer) addr() string { return f.l.Addr().String() }

func (f *fakePeer) add(blocks ...*wire.MsgBlock) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range blocks {
		f.index[b.BlockHash()] = len(f.headers)
		f.headers = append(f.headers, b.Header)
		f.blocks[b.BlockHash()] = b
	}
}

func (f *fakePeer) addHeaders(hs []wire.BlockHeader) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, h := range hs {
		f.index[h.BlockHash()] = len(f.headers)
		f.headers = append(f.headers, h)
	}
}

func (f *fakePeer) serve() {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := f.l.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
			if f.garbage != nil {
				_, _ = c.Write(f.garbage)
				_, _ = io.Copy(io.Discard, c)
				c.Close()
				continue
			}
			p := peer.NewInboundPeer(f.config())
			p.AssociateConnection(c)
			f.wg.Add(1)
			go func() { defer f.wg.Done(); p.WaitForDisconnect() }()
			go func() {
				<-time.After(5 * time.Second)
			}()
		}
	}()
}

func (f *fakePeer) config() *peer.Config {
	return &peer.Config{
		ChainParams: regtest.Params, Services: f.services, UserAgentName: "fakepeer", UserAgentVersion: "1",
		AllowSelfConns: true,
		NewestBlock: func() (*chainhash.Hash, int32, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.headers) == 0 {
				return regtest.Params.GenesisHash, 0, nil
			}
			h := f.headers[len(f.headers)-1].BlockHash()
			return &h, int32(len(f.headers)), nil
		},
		Listeners: peer.MessageListeners{
			OnVerAck: func(p *peer.Peer, _ *wire.MsgVerAck) {
				if f.badAfter {
					// A header that claims the regtest target but does not meet it.
					h := regtest.Params.GenesisBlock.Header
					h.PrevBlock = *regtest.Params.GenesisHash
					h.Timestamp = h.Timestamp.Add(time.Hour)
					for {
						hh := h.BlockHash()
						if hh[31] >= 0x80 {
							break
						}
						h.Nonce++
					}
					m := wire.NewMsgHeaders()
					_ = m.AddBlockHeader(&h)
					p.QueueMessage(m, nil)
				}
			},
			OnGetHeaders: func(p *peer.Peer, m *wire.MsgGetHeaders) {
				f.mu.Lock()
				start := -1
				for _, h := range m.BlockLocatorHashes {
					if i, ok := f.index[*h]; ok {
						start = i
						break
					}
				}
				out := wire.NewMsgHeaders()
				for i := start + 1; i < len(f.headers) && len(out.Headers) < wire.MaxBlockHeadersPerMsg; i++ {
					h := f.headers[i]
					_ = out.AddBlockHeader(&h)
				}
				f.mu.Unlock()
				p.QueueMessage(out, nil)
			},
			OnGetData: func(p *peer.Peer, m *wire.MsgGetData) {
				for _, iv := range m.InvList {
					f.mu.Lock()
					b := f.blocks[iv.Hash]
					f.mu.Unlock()
					if b != nil {
						p.QueueMessage(b, nil)
					}
				}
			},
			OnTx: func(p *peer.Peer, m *wire.MsgTx) {
				f.mu.Lock()
				f.txs = append(f.txs, m)
				f.mu.Unlock()
			},
			OnInv: func(p *peer.Peer, m *wire.MsgInv) {
				gd := wire.NewMsgGetData()
				for _, iv := range m.InvList {
					if iv.Type == wire.InvTypeTx {
						_ = gd.AddInvVect(iv)
					}
				}
				if len(gd.InvList) > 0 {
					p.QueueMessage(gd, nil)
				}
			},
		},
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// capture collects log output for assertions.
type capture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}
