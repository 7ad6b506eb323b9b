package replica

import "github.com/chainkey/chainkey/execution"

// canisterFees is the subnet's cycles fee table: the IC's application
// subnet fees for its number of nodes times the genesis fee scale (0:
// none).
func (a *app) canisterFees() execution.Fees {
	if a.gen.CyclesFeeScale == 0 {
		return execution.Fees{}
	}
	return execution.ApplicationSubnetFees(uint64(len(a.gen.Members))).Scaled(a.gen.CyclesFeeScale, 1)
}
