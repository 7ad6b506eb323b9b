package rpc_test

import (
	"context"
	"fmt"
	"net"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/rpc"
)

// statusOnly is a minimal node for the example.
type statusOnly struct{}

func (statusOnly) Sign(context.Context, *api.SignRequest) (*api.SignResult, error) {
	return nil, api.ErrNotReady
}
func (statusOnly) PublicKey(context.Context, string, principal.Principal, [][]byte) ([]byte, []byte, error) {
	return nil, nil, api.ErrUnknownKey
}
func (statusOnly) Status(context.Context) (*api.Status, error) {
	return &api.Status{SubnetID: principal.Management(), Height: 9}, nil
}

func Example() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := rpc.NewGRPCServer(statusOnly{}, rpc.ServerOptions{})
	go srv.Serve(lis)
	defer srv.Stop()

	key, _ := ingress.GenerateEd25519()
	c, err := rpc.Dial(lis.Addr().String(), key)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	st, err := c.Status(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(st.GetSubnetIdText(), st.GetHeight())
	_, err = c.Sign(context.Background(), rpc.SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: make([]byte, 32)})
	fmt.Println(err)
	// Output:
	// aaaaa-aa 9
	// rpc error: code = Unavailable desc = sign: replica: not ready
}
