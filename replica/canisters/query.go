package canisters

import (
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// queryPeers gives a composite query the component's canisters at their
// current state (the state of the last round, as the query's own
// canister): execution.Canister.CompositeQuery undoes every change the
// query made to any of them when it ends.
type queryPeers struct{ c *Component }

// QueryCanister implements execution.QueryPeers.
func (q queryPeers) QueryCanister(id principal.Principal) *execution.Canister {
	e, ok := q.c.cans[string(id.Bytes())]
	if !ok {
		return nil
	}
	return e.can
}

// QueryPeers returns the component's canisters for composite queries.
func (c *Component) QueryPeers() execution.QueryPeers { return queryPeers{c} }
