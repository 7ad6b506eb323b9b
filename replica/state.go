package replica

import "encoding/hex"

// keyCore holds the core state (subnet.State); the other keys of the
// replicated state are named in package subnet and beside their code.
const keyCore = "s/core"

func shortHex(b []byte) string {
	if len(b) > 6 {
		b = b[:6]
	}
	return hex.EncodeToString(b)
}
