package rpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/proto/chainkeypb"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// fakeBackend tests the gRPC layer only. It "derives" a secp256k1 key per
// caller and path by hashing them and signs with it; it refuses replays by
// request id like the real node.
type fakeBackend struct {
	mu       sync.Mutex
	seen     map[[32]byte]bool
	calls    int
	notReady bool
}

func fakeKey(keyID string, caller principal.Principal, path [][]byte) *secp256k1.PrivateKey {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%x|", keyID, caller.Bytes())
	for _, p := range path {
		fmt.Fprintf(h, "%x|", p)
	}
	return secp256k1.PrivKeyFromBytes(h.Sum(nil))
}

func (f *fakeBackend) Sign(ctx context.Context, env *ingress.Envelope) (*SignResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.notReady {
		return nil, fmt.Errorf("fake: %w", ErrNotReady)
	}
	c, id, err := env.Verify(time.Now(), DefaultMaxExpiry)
	if err != nil {
		return nil, err
	}
	if c.KeyID != "ecdsa:secp256k1:dfx_test_key" {
		return nil, fmt.Errorf("fake: %s: %w", c.KeyID, ErrUnknownKey)
	}
	if f.seen[id] {
		return nil, fmt.Errorf("fake: %x: %w", id, ErrDuplicateRequest)
	}
	f.seen[id] = true
	k := fakeKey(c.KeyID, c.Sender, c.DerivationPath)
	sig := secpecdsa.Sign(k, c.MessageHash)
	r, s := sig.R(), sig.S()
	out := make([]byte, 64)
	r.PutBytesUnchecked(out[:32])
	s.PutBytesUnchecked(out[32:])
	return &SignResult{Signature: out, PublicKey: k.PubKey().SerializeCompressed(), Certificate: []byte{0xd9, 0xd9, 0xf7}, Height: 7}, nil
}

func (f *fakeBackend) PublicKey(ctx context.Context, keyID string, caller principal.Principal, path [][]byte) ([]byte, []byte, error) {
	if keyID != "ecdsa:secp256k1:dfx_test_key" {
		return nil, nil, fmt.Errorf("fake: %w", ErrUnknownKey)
	}
	return fakeKey(keyID, caller, path).PubKey().SerializeCompressed(), make([]byte, 32), nil
}

func (f *fakeBackend) Status(ctx context.Context) (*Status, error) {
	return &Status{
		SubnetID:          principal.SelfAuthenticating([]byte("subnet")),
		Height:            42,
		RootKeyDER:        []byte{0x30},
		Members:           []Member{{Index: 0, NodeID: "n0", Address: "127.0.0.1:1", Up: true}},
		KeyIDs:            []string{"ecdsa:secp256k1:dfx_test_key"},
		PresignatureStock: map[string]int{"ecdsa:secp256k1:dfx_test_key": 5},
	}, nil
}

func (f *fakeBackend) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// startFake serves a fake backend over an in-memory listener.
func startFake(t *testing.T) (*fakeBackend, *grpc.ClientConn) {
	t.Helper()
	f := &fakeBackend{seen: map[[32]byte]bool{}}
	lis := bufconn.Listen(1 << 20)
	g := NewGRPCServer(f, ServerOptions{})
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return f, conn
}

func newTestClient(t *testing.T, conn *grpc.ClientConn) *Client {
	t.Helper()
	s, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	return &Client{conn: conn, pb: chainkeypb.NewChainKeyClient(conn), signer: s, now: time.Now}
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("code %v (%v), want %v", status.Code(err), err, code)
	}
}

func TestSignRoundTripAndReplay(t *testing.T) {
	f, conn := startFake(t)
	c := newTestClient(t, conn)
	ctx := context.Background()
	hash := sha256.Sum256([]byte("hello"))
	args := SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", DerivationPath: [][]byte{{1}}, MessageHash: hash[:]}
	env, err := c.NewSignEnvelope(args)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.SignEnvelope(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := c.PublicKey(ctx, args.KeyID, c.Caller(), args.DerivationPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pub, res.PublicKey) {
		t.Fatal("sign and public key disagree on the derived key")
	}
	pk, _ := secp256k1.ParsePubKey(pub)
	var r, s secp256k1.ModNScalar
	r.SetByteSlice(res.Signature[:32])
	s.SetByteSlice(res.Signature[32:])
	if !secpecdsa.NewSignature(&r, &s).Verify(hash[:], pk) {
		t.Fatal("signature does not verify")
	}
	_, id, _ := env.DecodeSignContent()
	if !bytes.Equal(res.RequestId, id[:]) || res.Height != 7 {
		t.Fatalf("request id %x height %d", res.RequestId, res.Height)
	}
	// The same envelope again is a replay.
	_, err = c.SignEnvelope(ctx, env)
	wantCode(t, err, codes.AlreadyExists)
	// Another caller gets another key.
	other := newTestClient(t, conn)
	res2, err := other.Sign(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(res2.PublicKey, res.PublicKey) {
		t.Fatal("two callers share a derived key")
	}
	if f.callCount() != 3 {
		t.Fatalf("backend called %d times, want 3", f.callCount())
	}
}

func TestEarlyRejection(t *testing.T) {
	f, conn := startFake(t)
	c := newTestClient(t, conn)
	ctx := context.Background()
	hash := make([]byte, 32)
	good, err := c.NewSignEnvelope(SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	badSig := *good
	badSig.SenderSig = bytes.Clone(good.SenderSig)
	badSig.SenderSig[0] ^= 1
	_, err = c.SignEnvelope(ctx, &badSig)
	wantCode(t, err, codes.Unauthenticated)

	otherKey, _ := ingress.GenerateEd25519()
	wrongKey := *good
	wrongKey.SenderPubKey = otherKey.PublicKeyDER()
	_, err = c.SignEnvelope(ctx, &wrongKey)
	wantCode(t, err, codes.Unauthenticated)

	c.now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	expired, _ := c.NewSignEnvelope(SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: hash})
	_, err = c.SignEnvelope(ctx, expired)
	wantCode(t, err, codes.InvalidArgument)
	c.now = func() time.Time { return time.Now().Add(10 * time.Minute) }
	future, _ := c.NewSignEnvelope(SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: hash})
	_, err = c.SignEnvelope(ctx, future)
	wantCode(t, err, codes.InvalidArgument)
	c.now = time.Now

	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": good.Marshal()[:40],
		"trailing":  append(good.Marshal(), 0),
	} {
		_, err := c.pb.Sign(ctx, &chainkeypb.SignRequest{Envelope: b})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = c.pb.Sign(ctx, &chainkeypb.SignRequest{Envelope: make([]byte, 2*ingress.MaxEnvelopeSize)})
	wantCode(t, err, codes.ResourceExhausted)

	if n := f.callCount(); n != 0 {
		t.Fatalf("bad envelopes reached the backend %d times", n)
	}
}

func TestBackendErrorCodes(t *testing.T) {
	f, conn := startFake(t)
	c := newTestClient(t, conn)
	ctx := context.Background()
	_, err := c.Sign(ctx, SignArgs{KeyID: "ecdsa:secp256k1:no_such_key", MessageHash: make([]byte, 32)})
	wantCode(t, err, codes.NotFound)
	_, _, err = c.PublicKey(ctx, "schnorr:ed25519:no_such_key", c.Caller(), nil)
	wantCode(t, err, codes.NotFound)
	_, _, err = c.PublicKey(ctx, "bogus", c.Caller(), nil)
	wantCode(t, err, codes.InvalidArgument)
	_, err = c.pb.PublicKey(ctx, &chainkeypb.PublicKeyRequest{KeyId: "ecdsa:secp256k1:dfx_test_key", Caller: make([]byte, 30)})
	wantCode(t, err, codes.InvalidArgument)
	_, _, err = c.PublicKey(ctx, "ecdsa:secp256k1:dfx_test_key", c.Caller(), [][]byte{make([]byte, ingress.MaxDerivationPathBytes+1)})
	wantCode(t, err, codes.InvalidArgument)
	_, _, err = c.PublicKey(ctx, "ecdsa:secp256k1:dfx_test_key", c.Caller(), make([][]byte, ingress.MaxDerivationPathLen+1))
	wantCode(t, err, codes.InvalidArgument)
	f.mu.Lock()
	f.notReady = true
	f.mu.Unlock()
	_, err = c.Sign(ctx, SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: make([]byte, 32)})
	wantCode(t, err, codes.Unavailable)

	for _, tc := range []struct {
		err  error
		code codes.Code
	}{
		{fmt.Errorf("x: %w", ErrExpired), codes.InvalidArgument},
		{context.Canceled, codes.Canceled},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{errors.New("boom"), codes.Internal},
	} {
		if got := status.Code(toStatus("op", tc.err)); got != tc.code {
			t.Errorf("%v -> %v, want %v", tc.err, got, tc.code)
		}
	}
}

func TestStatusAndReflection(t *testing.T) {
	_, conn := startFake(t)
	c := newTestClient(t, conn)
	ctx := context.Background()
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Height != 42 || st.SubnetIdText != principal.SelfAuthenticating([]byte("subnet")).String() ||
		len(st.Members) != 1 || st.PresignatureStock["ecdsa:secp256k1:dfx_test_key"] != 5 {
		t.Fatalf("status %v", st)
	}
	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range resp.GetListServicesResponse().GetService() {
		found = found || s.GetName() == "chainkey.v1.ChainKey"
	}
	if !found {
		t.Fatalf("reflection does not list chainkey.v1.ChainKey: %v", resp)
	}
}

func BenchmarkSignFake(b *testing.B) {
	f := &fakeBackend{seen: map[[32]byte]bool{}}
	lis := bufconn.Listen(1 << 20)
	g := NewGRPCServer(f, ServerOptions{})
	go g.Serve(lis)
	defer g.Stop()
	conn, _ := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	defer conn.Close()
	s, _ := ingress.GenerateEd25519()
	c := &Client{conn: conn, pb: chainkeypb.NewChainKeyClient(conn), signer: s, now: time.Now}
	for b.Loop() {
		if _, err := c.Sign(context.Background(), SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: make([]byte, 32)}); err != nil {
			b.Fatal(err)
		}
	}
}
