package canisters

import (
	"strings"

	"github.com/chainkey/chainkey/principal"
)

// GoPayable is implemented by Go canisters that take cycles attached to
// calls of other canisters: UpdatePaid is Update with the attached
// cycles, and returns how many of them the call took (the rest is
// refunded; a failed call takes none).
type GoPayable interface {
	UpdatePaid(method string, arg []byte, caller principal.Principal, nowNS, cycles uint64) (reply []byte, used uint64, err error)
}

// RouteManagementBitcoin makes the hosted Go canister id answer the
// management canister's bitcoin_* methods (bitcoin_get_utxos,
// bitcoin_get_balance, bitcoin_get_current_fee_percentiles,
// bitcoin_get_block_headers, bitcoin_send_transaction), as the IC routes
// them to its Bitcoin canister: the call, its cycles and its reply are
// the Bitcoin canister's.
func (c *Component) RouteManagementBitcoin(id principal.Principal) { c.btcID = id }

// managementMethodsBitcoin are the management canister's Bitcoin methods.
var managementMethodsBitcoin = map[string]bool{
	"bitcoin_get_utxos": true, "bitcoin_get_balance": true, "bitcoin_get_current_fee_percentiles": true,
	"bitcoin_get_block_headers": true, "bitcoin_send_transaction": true,
}

// managementBitcoin answers a canister's call of a management canister
// Bitcoin method with the Bitcoin canister; it reports false for other
// methods or without a Bitcoin canister.
func (c *Component) managementBitcoin(o *outCall) bool {
	if !strings.HasPrefix(o.Method, "bitcoin_") || !managementMethodsBitcoin[o.Method] || c.btcID == (principal.Principal{}) {
		return false
	}
	routed := *o
	routed.Callee = c.btcID.Bytes()
	return c.goCall(&routed)
}
