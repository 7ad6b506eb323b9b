package agent_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http/httptest"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/httpapi/httpapitest"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

func ExampleAgent_CallCandid() {
	// A one-node test subnet with a counter canister, served over HTTP.
	pub, nodeKey, _ := ed25519.GenerateKey(rand.Reader)
	subnet, _ := httpapitest.New(nil, nil, principal.FromCanisterIndex(0), principal.FromCanisterIndex(99), pub)
	counter := principal.FromCanisterIndex(1)
	subnet.Install(counter, &httpapitest.Counter{})
	server, _ := httpapi.New(httpapi.Config{Backend: subnet, NodeKey: nodeKey})
	ts := httptest.NewServer(server)
	defer ts.Close()

	ctx := context.Background()
	id, _ := ingress.GenerateEd25519()
	a, err := agent.New(ctx, agent.Config{Endpoint: ts.URL, Identity: id})
	if err != nil {
		panic(err)
	}
	nat := []*candid.Type{candid.Prim(candid.KindNat)}
	for range 2 {
		v, err := a.CallCandid(ctx, counter, "inc", nil, nil, nat) // certified reply
		if err != nil {
			panic(err)
		}
		fmt.Println("inc ->", v[0])
	}
	v, err := a.QueryCandid(ctx, counter, "read", nil, nil, nat) // node-signed reply
	if err != nil {
		panic(err)
	}
	fmt.Println("read ->", v[0])
	// Output:
	// inc -> 1
	// inc -> 2
	// read -> 2
}
