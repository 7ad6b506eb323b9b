package replica

import (
	"fmt"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/subnet"
)

// canisterFees is the subnet's cycles fee table: the IC's application
// subnet fees for its number of nodes times the genesis fee scale (0:
// none).
func (a *app) canisterFees() execution.Fees {
	if a.gen.CyclesFeeScale == 0 {
		return execution.Fees{}
	}
	return execution.ApplicationSubnetFees(uint64(len(a.gen.Members))).Scaled(a.gen.CyclesFeeScale, 1)
}

// committedSubnetKeys returns the subnet id and root key of the committed
// state, for the canisters loaded at start (empty before a DKG subnet's
// keys exist; the rounds pass them from then on).
func (a *app) committedSubnetKeys() (principal.Principal, []byte, error) {
	if a.gen.KeyGen == keyGenDealer {
		return a.subnetID, a.rootKey, nil
	}
	v, ok, err := a.st.getCommitted([]byte(keyCore))
	if err != nil || !ok {
		return principal.Principal{}, nil, err
	}
	var cs subnet.State
	if err := subnet.Unmarshal(v, &cs); err != nil {
		return principal.Principal{}, nil, fmt.Errorf("replica: decode state: %w", err)
	}
	k := a.keys(&cs)
	return k.subnetID, k.rootKey, nil
}
