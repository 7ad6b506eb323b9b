package agent

import (
	"context"
	"fmt"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
)

// Metadata reads a canister's metadata section name (the content of its
// module's "icp:public NAME" or "icp:private NAME" custom section) from
// certified state: /canister/<id>/metadata/<name> through read_state. It
// reports false when the certificate proves the canister has no such
// section. Private sections are readable only by the canister's
// controllers; for anyone else the read fails with HTTP 403.
func (a *Agent) Metadata(ctx context.Context, canister principal.Principal, name string) ([]byte, bool, error) {
	path := [][]byte{[]byte("canister"), canister.Bytes(), []byte("metadata"), []byte(name)}
	cert, err := a.ReadState(ctx, canister, [][][]byte{path})
	if err != nil {
		return nil, false, fmt.Errorf("agent: metadata %q: %w", name, err)
	}
	switch st, v := certification.Lookup(cert.Tree, path); st {
	case certification.Found:
		return v, true, nil
	case certification.Absent:
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("agent: metadata %q: the certificate does not decide the path", name)
	}
}
