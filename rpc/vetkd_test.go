package rpc

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/chainkey/chainkey/vetkd"
)

// fakeVetKD is fakeBackend with vetKD: one dealt master key, the
// encrypted key combined from all shares at once.
type fakeVetKD struct {
	*fakeBackend
	pc     *thresholdsig.PublicCoefficients
	shares []*thresholdsig.SecretKeyShare
}

const fakeVetKDKey = "bls12_381_g2:dfx_test_key"

func (f *fakeVetKD) VetKDPublicKey(ctx context.Context, keyID string, caller principal.Principal, context []byte) ([]byte, error) {
	if keyID != fakeVetKDKey {
		return nil, fmt.Errorf("fake: %w", api.ErrUnknownKey)
	}
	mk, err := vetkd.ParseMasterPublicKey(f.pc.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	return vetkd.DerivePublicKey(mk, caller.Bytes(), context).Bytes(), nil
}

func (f *fakeVetKD) VetKDDeriveKey(ctx context.Context, req *api.VetKDRequest) (*api.VetKDResult, error) {
	c := req.Content()
	if c.KeyID != fakeVetKDKey {
		return nil, fmt.Errorf("fake: %w", api.ErrUnknownKey)
	}
	d, err := vetkd.NewDerivation(f.pc, &vetkd.Request{CanisterID: c.Sender.Bytes(), Context: c.Context, Input: c.Input,
		TransportPublicKey: c.TransportPublicKey})
	if err != nil {
		return nil, err
	}
	shares := map[int][]byte{}
	for i, sk := range f.shares {
		if shares[i], err = d.CreateShare(rand.Reader, sk); err != nil {
			return nil, err
		}
	}
	ek, _, err := d.Combine(shares)
	if err != nil {
		return nil, err
	}
	return &api.VetKDResult{EncryptedKey: ek.Bytes(), PublicKey: d.PublicKey().Bytes(), Height: 3}, nil
}

func serve(t *testing.T, b api.Node) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	g := NewGRPCServer(b, ServerOptions{})
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestVetKDRoundTrip(t *testing.T) {
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	conn := serve(t, &fakeVetKD{fakeBackend: &fakeBackend{seen: map[[32]byte]bool{}}, pc: pc, shares: shares})
	c := newTestClient(t, conn)
	ctx := context.Background()
	pub, err := c.VetKDPublicKey(ctx, fakeVetKDKey, c.Caller(), []byte("ctx"))
	if err != nil {
		t.Fatal(err)
	}
	tsk, _ := vetkd.GenerateTransportSecretKey(rand.Reader)
	res, err := c.VetKDDeriveKey(ctx, VetKDArgs{KeyID: fakeVetKDKey, Context: []byte("ctx"), Input: []byte("in"),
		TransportPublicKey: tsk.PublicKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.GetPublicKey(), pub) || len(res.GetRequestId()) != 32 {
		t.Fatal("reply's public key or request id")
	}
	ek, _ := vetkd.ParseEncryptedKey(res.GetEncryptedKey())
	dpk, _ := vetkd.ParseDerivedPublicKey(pub)
	if _, err := tsk.Decrypt(ek, dpk, []byte("in")); err != nil {
		t.Fatal(err)
	}

	// Refused before the node: malformed key ids, transport keys and
	// envelopes; unknown keys map to NotFound.
	_, err = c.VetKDPublicKey(ctx, "ecdsa:secp256k1:dfx_test_key", c.Caller(), nil)
	wantCode(t, err, codes.InvalidArgument)
	_, err = c.VetKDDeriveKey(ctx, VetKDArgs{KeyID: fakeVetKDKey, TransportPublicKey: make([]byte, 47)})
	if err == nil {
		t.Fatal("short transport key sent")
	}
	env, err := c.NewVetKDEnvelope(VetKDArgs{KeyID: fakeVetKDKey, TransportPublicKey: tsk.PublicKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	env.SenderSig[0] ^= 1
	_, err = c.VetKDDeriveKeyEnvelope(ctx, env)
	wantCode(t, err, codes.Unauthenticated)
	_, err = c.VetKDPublicKey(ctx, "bls12_381_g2:key_1", c.Caller(), nil)
	wantCode(t, err, codes.NotFound)
}

// TestVetKDUnimplemented: a node without vetKD answers Unimplemented.
func TestVetKDUnimplemented(t *testing.T) {
	_, conn := startFake(t)
	c := newTestClient(t, conn)
	_, err := c.VetKDPublicKey(context.Background(), fakeVetKDKey, c.Caller(), nil)
	wantCode(t, err, codes.Unimplemented)
}
