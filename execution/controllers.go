package execution

import (
	"slices"

	"github.com/chainkey/chainkey/principal"
)

// SetControllers replaces the canister's controllers, as the management
// canister's update_settings does.
func (c *Canister) SetControllers(ps []principal.Principal) { c.st.Controllers = slices.Clone(ps) }
