package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/txscript"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/proto/chainkeypb"
	"github.com/chainkey/chainkey/rpc"
)

// upInfo is the JSON `chainkey up --json` prints.
type upInfo struct {
	SubnetID string   `json:"subnet_id"`
	RootKey  string   `json:"root_key"`
	GRPC     []string `json:"grpc"`
	Metrics  []string `json:"metrics"`
	HTTP     []string `json:"http"`
	// OperatorKey is the file of the subnet's operator key.
	OperatorKey string `json:"operator_key"`
}

// verifyChainSignature checks sig on msg under pub with the verifiers of
// the chains that consume these signatures: btcec (ECDSA, BIP340),
// go-ethereum (ECDSA recovery) and crypto/ed25519.
func verifyChainSignature(t *testing.T, keyID string, pub, msg, sig []byte) {
	t.Helper()
	if len(sig) != 64 {
		t.Fatalf("%s: signature of %d bytes", keyID, len(sig))
	}
	switch {
	case strings.HasPrefix(keyID, "ecdsa:secp256k1:"):
		pk, err := btcec.ParsePubKey(pub)
		if err != nil {
			t.Fatalf("%s: public key: %v", keyID, err)
		}
		var r, s btcec.ModNScalar
		if r.SetByteSlice(sig[:32]) || s.SetByteSlice(sig[32:]) {
			t.Fatalf("%s: r or s out of range", keyID)
		}
		if s.IsOverHalfOrder() {
			t.Fatalf("%s: high s", keyID)
		}
		if !btcecdsa.NewSignature(&r, &s).Verify(msg, pk) {
			t.Fatalf("%s: btcec rejects the signature", keyID)
		}
		if !ethcrypto.VerifySignature(pub, msg, sig) {
			t.Fatalf("%s: go-ethereum rejects the signature", keyID)
		}
		recovered := false
		for v := byte(0); v < 2; v++ {
			got, err := ethcrypto.Ecrecover(msg, append(bytes.Clone(sig), v))
			if err == nil && bytes.Equal(got, pk.SerializeUncompressed()) {
				recovered = true
			}
		}
		if !recovered {
			t.Fatalf("%s: go-ethereum Ecrecover does not recover the key", keyID)
		}
	case strings.HasPrefix(keyID, "schnorr:bip340secp256k1:"):
		if len(pub) != 33 {
			t.Fatalf("%s: public key of %d bytes", keyID, len(pub))
		}
		pk, err := schnorr.ParsePubKey(pub[1:])
		if err != nil {
			t.Fatalf("%s: x-only key: %v", keyID, err)
		}
		s, err := schnorr.ParseSignature(sig)
		if err != nil {
			t.Fatalf("%s: %v", keyID, err)
		}
		if !s.Verify(msg, pk) {
			t.Fatalf("%s: btcec/schnorr rejects the signature", keyID)
		}
	case strings.HasPrefix(keyID, "schnorr:ed25519:"):
		if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, sig) {
			t.Fatalf("%s: crypto/ed25519 rejects the signature", keyID)
		}
	default:
		t.Fatalf("unknown key id %s", keyID)
	}
}

// startUp runs `chainkey up --json` in-process and returns its endpoints
// and a function that stops it (as Ctrl-C would) and returns its error.
func startUp(t *testing.T, home string, nodes int) (upInfo, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	root := newRootCmd()
	root.SetOut(pw)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"up", "--nodes", fmt.Sprint(nodes), "--home", home, "--json"})
	done := make(chan error, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.CloseWithError(fmt.Errorf("up exited: %v", err))
		done <- err
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, pr)
	}()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(60 * time.Second):
			return fmt.Errorf("up did not stop within 60s")
		}
	}
	var info upInfo
	select {
	case line, ok := <-lines:
		if !ok {
			stop()
			t.Fatal("up printed nothing")
		}
		if err := json.Unmarshal([]byte(line), &info); err != nil || info.SubnetID == "" || len(info.GRPC) != nodes {
			stop()
			t.Fatalf("up printed %q: %v", line, err)
		}
	case <-time.After(3 * time.Minute):
		stop()
		t.Fatal("up not ready within 3 minutes")
	}
	return info, stop
}

func cliJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("chainkey %s: %v", strings.Join(args, " "), err)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("chainkey %s printed %q: %v", strings.Join(args, " "), out, err)
	}
}

type keyOut struct {
	PublicKey string `json:"public_key"`
	ChainCode string `json:"chain_code"`
}

type sigOut struct {
	Signature  string `json:"signature"`
	PublicKey  string `json:"public_key"`
	Certified  bool   `json:"certified"`
	RecoveryID *int   `json:"recovery_id"`
}

func TestUpSignVerifyEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node subnet")
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	home := t.TempDir()
	info, stop := startUp(t, home, 4)
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	ep := info.GRPC[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var st statusOutput
	cliJSON(t, &st, "status", "--endpoint", ep)
	if st.SubnetID != info.SubnetID || st.RootKey != info.RootKey {
		t.Fatalf("status %+v disagrees with up %+v", st, info)
	}
	if fi, err := os.Stat(info.OperatorKey); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("up's operator key %q: %v %v", info.OperatorKey, fi, err)
	}

	keys := map[string]keyOut{}
	for _, keyID := range []string{"ecdsa:secp256k1:dfx_test_key", "schnorr:bip340secp256k1:dfx_test_key", "schnorr:ed25519:dfx_test_key"} {
		t.Run(keyID, func(t *testing.T) {
			var pk keyOut
			cliJSON(t, &pk, "pubkey", "--endpoint", ep, "--key-id", keyID, "--path", "0102")
			msg := make([]byte, 32)
			rand.Read(msg)
			var sg sigOut
			cliJSON(t, &sg, "sign", "--endpoint", info.GRPC[1], "--key-id", keyID, "--hash", hex.EncodeToString(msg), "--path", "0102", "--root-key", info.RootKey)
			want := pk.PublicKey
			if strings.HasPrefix(keyID, "schnorr:bip340secp256k1:") {
				want = want[2:] // sign reports the x-only key
			}
			if sg.PublicKey != want {
				t.Fatalf("sign used key %s, pubkey says %s", sg.PublicKey, pk.PublicKey)
			}
			pub, _ := hex.DecodeString(pk.PublicKey)
			sig, _ := hex.DecodeString(sg.Signature)
			verifyChainSignature(t, keyID, pub, msg, sig)
			if !sg.Certified {
				t.Fatal("sign with --root-key does not say the reply was certified")
			}
			if strings.HasPrefix(keyID, "ecdsa:") {
				// The recovery id the node returns recovers the key, as
				// Ethereum's ecrecover does.
				if sg.RecoveryID == nil {
					t.Fatal("ECDSA sign output has no recovery_id")
				}
				got, err := ethcrypto.Ecrecover(msg, append(slices.Clone(sig), byte(*sg.RecoveryID)))
				if err != nil {
					t.Fatalf("ecrecover: %v", err)
				}
				if want, _ := ethcrypto.DecompressPubkey(pub); want == nil || !bytes.Equal(got, ethcrypto.FromECDSAPub(want)) {
					t.Fatalf("recovery id %d recovers another key", *sg.RecoveryID)
				}
			}
			keys[keyID] = pk
			if strings.HasPrefix(keyID, "schnorr:bip340secp256k1:") {
				// Key-path-only taproot: the signature verifies under the
				// BIP341 output key of the internal key from pubkey.
				var tp sigOut
				cliJSON(t, &tp, "sign", "--endpoint", ep, "--key-id", keyID, "--hash", hex.EncodeToString(msg), "--path", "0102", "--taproot-merkle-root", "")
				internal, err := btcec.ParsePubKey(pub)
				if err != nil {
					t.Fatal(err)
				}
				out := txscript.ComputeTaprootKeyNoScript(internal)
				if tp.PublicKey != hex.EncodeToString(schnorr.SerializePubKey(out)) {
					t.Fatalf("taproot sign reported key %s, want the BIP341 output key", tp.PublicKey)
				}
				tsig, _ := hex.DecodeString(tp.Signature)
				s, err := schnorr.ParseSignature(tsig)
				if err != nil || !s.Verify(msg, out) {
					t.Fatalf("taproot signature does not verify under the output key: %v", err)
				}
			}
		})
	}

	// Replays are refused, by the node that saw the request and by others.
	me, err := loadCallerIdentity("")
	if err != nil {
		t.Fatal(err)
	}
	c0, _ := rpc.Dial(info.GRPC[0], me)
	defer c0.Close()
	c2, _ := rpc.Dial(info.GRPC[2], me)
	defer c2.Close()
	msg := make([]byte, 32)
	rand.Read(msg)
	env, err := c0.NewSignEnvelope(rpc.SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", DerivationPath: [][]byte{{1, 2}}, MessageHash: msg})
	if err != nil {
		t.Fatal(err)
	}
	first, err := c0.SignEnvelope(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	// The reply's certificate verifies under the root key printed by up.
	rootDER, _ := hex.DecodeString(info.RootKey)
	_, reqID, _ := env.DecodeSignContent()
	if err := rpc.VerifySignResponse(first, rootDER, reqID); err != nil {
		t.Fatal(err)
	}
	forged := proto.Clone(first).(*chainkeypb.SignResponse)
	forged.Signature[0] ^= 1
	if err := rpc.VerifySignResponse(forged, rootDER, reqID); err == nil {
		t.Fatal("certificate accepted for a modified signature")
	}
	for _, c := range []*rpc.Client{c0, c2} {
		if _, err := c.SignEnvelope(ctx, env); status.Code(err) != codes.AlreadyExists {
			t.Fatalf("replay: %v, want AlreadyExists", err)
		}
	}

	// Another caller, same key id and path, gets a different key, and its
	// signature does not verify under ours.
	other, _ := ingress.GenerateSecp256k1()
	co, _ := rpc.Dial(info.GRPC[3], other)
	defer co.Close()
	res, err := co.Sign(ctx, rpc.SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", DerivationPath: [][]byte{{1, 2}}, MessageHash: msg})
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := hex.DecodeString(keys["ecdsa:secp256k1:dfx_test_key"].PublicKey)
	if bytes.Equal(res.PublicKey, mine) {
		t.Fatal("another caller signed under our derived key")
	}
	if ethcrypto.VerifySignature(mine, msg, res.Signature) {
		t.Fatal("another caller's signature verifies under our key")
	}
	verifyChainSignature(t, "ecdsa:secp256k1:dfx_test_key", res.PublicKey, msg, res.Signature)

	// Ctrl-C stops cleanly; a second up on the same home resumes the same
	// subnet and keys.
	if err := stop(); err != nil {
		t.Fatalf("up stopped with %v", err)
	}
	stop = nil
	info2, stop2 := startUp(t, home, 4)
	defer stop2()
	if info2.SubnetID != info.SubnetID || info2.RootKey != info.RootKey {
		t.Fatalf("resumed subnet %s/%s, was %s/%s", info2.SubnetID, info2.RootKey, info.SubnetID, info.RootKey)
	}
	var pk2 keyOut
	cliJSON(t, &pk2, "pubkey", "--endpoint", info2.GRPC[0], "--key-id", "ecdsa:secp256k1:dfx_test_key", "--path", "0102")
	if pk2 != keys["ecdsa:secp256k1:dfx_test_key"] {
		t.Fatal("derived key changed across restart")
	}
	if _, err := c0.SignEnvelope(ctx, env); err == nil {
		t.Fatal("replay accepted after restart")
	}
}

// nodeProc is one `chainkey node` process.
type acked struct {
	env *ingress.Envelope
	msg []byte
	res *rpcSignRes
}

type rpcSignRes struct{ sig, pub []byte }

// procSubnet is a subnet of `chainkey node` processes built from
// `chainkey init` configurations, with a client per node.
type procSubnet struct {
	bin     string
	ini     initOutput
	procs   []*nodeProc
	clients []*rpc.Client
}

func startProcSubnet(t *testing.T) *procSubnet {
	t.Helper()
	ps := &procSubnet{bin: chainkeyBinary(t)}
	ps.ini = initSubnet(t, ps.bin, t.TempDir(), 4)
	ps.procs = make([]*nodeProc, 4)
	for i, n := range ps.ini.Nodes {
		ps.procs[i] = startNodeProc(t, ps.bin, n.Home)
	}
	cleanupNodeProcs(t, &ps.procs)
	key, _ := ingress.GenerateEd25519()
	ps.clients = dialNodes(t, ps.ini, key)
	return ps
}

// restart SIGKILLs node i (if still running) and starts it again.
func (ps *procSubnet) restart(t *testing.T, i int) {
	t.Helper()
	ps.procs[i].kill()
	ps.procs[i] = startNodeProc(t, ps.bin, ps.ini.Nodes[i].Home)
}

func TestSIGKILLDuringSigning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 4-node subnet")
	}
	ps := startProcSubnet(t)
	procs, clients := ps.procs, ps.clients
	const keyID = "ecdsa:secp256k1:dfx_test_key"
	signOnce := func(ctx context.Context, c *rpc.Client) (*acked, error) {
		msg := make([]byte, 32)
		rand.Read(msg)
		env, err := c.NewSignEnvelope(rpc.SignArgs{KeyID: keyID, DerivationPath: [][]byte{[]byte("kill")}, MessageHash: msg})
		if err != nil {
			return nil, err
		}
		res, err := c.SignEnvelope(ctx, env)
		if err != nil {
			return nil, err
		}
		return &acked{env: env, msg: msg, res: &rpcSignRes{sig: res.Signature, pub: res.PublicKey}}, nil
	}
	// Wait until the subnet signs.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := signOnce(ctx, clients[0])
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subnet never signed: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Sign continuously through every node; kill node 3 in the middle.
	var (
		mu   sync.Mutex
		acks []*acked
		wg   sync.WaitGroup
	)
	stopAt := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(c *rpc.Client) {
			defer wg.Done()
			for {
				select {
				case <-stopAt:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				a, err := signOnce(ctx, c)
				cancel()
				if err != nil {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				mu.Lock()
				acks = append(acks, a)
				mu.Unlock()
			}
		}(clients[w])
	}
	waitAcks := func(n int, within time.Duration) {
		t.Helper()
		end := time.Now().Add(within)
		for time.Now().Before(end) {
			mu.Lock()
			k := len(acks)
			mu.Unlock()
			if k >= n {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("fewer than %d signatures acknowledged within %s", n, within)
	}
	waitAcks(3, time.Minute)
	procs[3].cmd.Process.Signal(syscall.SIGKILL)
	procs[3].cmd.Wait()
	mu.Lock()
	before := len(acks)
	mu.Unlock()
	waitAcks(before+3, time.Minute) // three nodes keep signing
	ps.restart(t, 3)

	// The restarted node catches up and serves signatures again.
	var h0 uint64
	if st, err := clients[0].Status(context.Background()); err == nil {
		h0 = st.Height
	}
	end := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		st, err := clients[3].Status(ctx)
		var a *acked
		if err == nil && st.Height >= h0 {
			a, err = signOnce(ctx, clients[3])
		}
		cancel()
		if err == nil && a != nil {
			mu.Lock()
			acks = append(acks, a)
			mu.Unlock()
			break
		}
		if time.Now().After(end) {
			t.Fatalf("restarted node did not catch up and sign: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	close(stopAt)
	wg.Wait()

	// SIGTERM stops a node cleanly (exit status 0).
	stopped := make(chan error, 1)
	go func() {
		procs[0].cmd.Process.Signal(syscall.SIGTERM)
		stopped <- procs[0].cmd.Wait()
	}()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("node 0 after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node 0 did not stop within 30s of SIGTERM")
	}
	ps.restart(t, 0)
	end = time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := clients[0].Status(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("node 0 did not come back: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Nothing acknowledged is lost: every acknowledged request is known to
	// every node, the restarted one included (a replay is refused), and
	// every signature verifies.
	t.Logf("%d signatures acknowledged", len(acks))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, a := range acks {
		verifyChainSignature(t, keyID, a.res.pub, a.msg, a.res.sig)
		for _, c := range []*rpc.Client{clients[3], clients[i%3]} {
			if _, err := c.SignEnvelope(ctx, a.env); status.Code(err) != codes.AlreadyExists {
				t.Fatalf("acknowledged request %d resubmitted: %v, want AlreadyExists", i, err)
			}
		}
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func TestSIGKILLDuringKeyGeneration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 4-node subnet")
	}
	ps := startProcSubnet(t)
	const keyID = "schnorr:bip340secp256k1:dfx_test_key"
	caller := ps.clients[0].Caller()
	// Kill node 3 once the subnet makes blocks, while it creates its keys.
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := ps.clients[0].Status(ctx)
		cancel()
		if err == nil && st.Height >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subnet made no block: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, _, err := ps.clients[0].PublicKey(context.Background(), keyID, caller, nil)
	t.Logf("killing node 3 while the key is %s", map[bool]string{true: "being created", false: "already usable"}[status.Code(err) == codes.Unavailable])
	ps.restart(t, 3)

	// The restarted node rejoins with its shares and signs; every node
	// reports the same derived key.
	var res *chainkeypb.SignResponse
	msg := []byte("32 bytes after a crash in keygen")
	deadline = time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		res, err = ps.clients[3].Sign(ctx, rpc.SignArgs{KeyID: keyID, MessageHash: msg})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted node never signed: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	var first []byte
	for i, c := range ps.clients {
		pub, _, err := c.PublicKey(context.Background(), keyID, caller, nil)
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		if first == nil {
			first = pub
		} else if !bytes.Equal(pub, first) {
			t.Fatalf("node %d reports another key", i)
		}
	}
	verifyChainSignature(t, keyID, first, msg, res.Signature)
}
