package httpapitest

import (
	"fmt"
	"math/big"
	"sync"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/principal"
)

// Counter is a canister with a counter and a greeting, in Candid:
//
//	service : {
//	  inc : () -> (nat);             // update: adds one, returns the new value
//	  read : () -> (nat) query;
//	  greet : (text) -> (text) query; // "Hello, <name>!"
//	  whoami : () -> (principal) query;
//	  fail : () -> ();               // rejects with CANISTER_REJECT
//	}
type Counter struct {
	mu sync.Mutex
	n  int64
}

func natReply(n int64) []byte {
	b, err := candid.Marshal([]*candid.Type{candid.Prim(candid.KindNat)}, []candid.Value{big.NewInt(n)})
	if err != nil {
		panic(err)
	}
	return b
}

// Call implements Canister.
func (c *Counter) Call(method string, arg []byte, caller principal.Principal, replicated bool) ([]byte, *httpapi.Reject) {
	noMethod := &httpapi.Reject{Code: httpapi.RejectDestinationInvalid, Message: fmt.Sprintf("Canister has no method %q of that kind", method), ErrorCode: "IC0536"}
	switch method {
	case "inc":
		if !replicated {
			return nil, noMethod
		}
		c.mu.Lock()
		c.n++
		n := c.n
		c.mu.Unlock()
		return natReply(n), nil
	case "read":
		c.mu.Lock()
		n := c.n
		c.mu.Unlock()
		return natReply(n), nil
	case "greet":
		vals, err := candid.Unmarshal(arg, []*candid.Type{candid.Prim(candid.KindText)})
		if err != nil {
			return nil, &httpapi.Reject{Code: httpapi.RejectCanisterError, Message: "greet: " + err.Error(), ErrorCode: "IC0503"}
		}
		b, err := candid.Marshal([]*candid.Type{candid.Prim(candid.KindText)}, []candid.Value{"Hello, " + vals[0].(string) + "!"})
		if err != nil {
			panic(err)
		}
		return b, nil
	case "whoami":
		b, err := candid.Marshal([]*candid.Type{candid.Prim(candid.KindPrincipal)}, []candid.Value{caller})
		if err != nil {
			panic(err)
		}
		return b, nil
	case "fail":
		return nil, &httpapi.Reject{Code: httpapi.RejectCanisterReject, Message: "no, thank you", ErrorCode: "IC0406"}
	}
	return nil, noMethod
}
