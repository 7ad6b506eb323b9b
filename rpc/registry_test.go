package rpc

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/chainkey/chainkey/replica/api"
)

// fakeRegistry is fakeBackend taking registry changes: it accepts the
// change "ok" signed "sig" as version 7 and refuses anything else.
type fakeRegistry struct{ *fakeBackend }

func (fakeRegistry) SubmitRegistryChange(_ context.Context, change, sig []byte) (uint64, error) {
	if !bytes.Equal(change, []byte("ok")) || !bytes.Equal(sig, []byte("sig")) {
		return 0, fmt.Errorf("fake: %w: bad operator signature", api.ErrRegistryChangeRefused)
	}
	return 7, nil
}

// A registry change reaches the node and its version comes back; a
// refused change is FailedPrecondition with the node's reason; a node
// taking no changes answers Unimplemented.
func TestSubmitRegistryChange(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t, serve(t, fakeRegistry{&fakeBackend{seen: map[[32]byte]bool{}}}))
	v, err := c.SubmitRegistryChange(ctx, []byte("ok"), []byte("sig"))
	if err != nil || v != 7 {
		t.Fatalf("version %d, %v", v, err)
	}
	_, err = c.SubmitRegistryChange(ctx, []byte("ok"), []byte("forged"))
	wantCode(t, err, codes.FailedPrecondition)
	_, conn := startFake(t)
	_, err = newTestClient(t, conn).SubmitRegistryChange(ctx, []byte("ok"), []byte("sig"))
	wantCode(t, err, codes.Unimplemented)
}
