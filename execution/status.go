package execution

import "github.com/chainkey/chainkey/principal"

// String returns the status as canister_status names it.
func (s Status) String() string {
	switch s {
	case Running:
		return "running"
	case Stopping:
		return "stopping"
	case Stopped:
		return "stopped"
	}
	return "unknown"
}

// notRunning is the IC's reject of a call to a canister that is not
// running: code 5 (CANISTER_ERROR), "Canister <id> is stopping" or
// "... is stopped".
func notRunning(id principal.Principal, s Status) *Result {
	if s == Stopping {
		return reject(RejectCanisterError, "Canister %s is stopping", id)
	}
	return reject(RejectCanisterError, "Canister %s is stopped", id)
}
