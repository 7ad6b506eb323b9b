package rpc

import (
	"context"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica"
)

// NodeBackend adapts a replica.Node to Backend, translating the node's
// sentinel errors into this package's.
func NodeBackend(n *replica.Node) Backend { return nodeBackend{n} }

type nodeBackend struct{ n *replica.Node }

func (b nodeBackend) Sign(ctx context.Context, env *ingress.Envelope) (*SignResult, error) {
	r, err := b.n.Sign(ctx, env)
	if err != nil {
		return nil, err
	}
	return &SignResult{Signature: r.Signature, PublicKey: r.PublicKey, Certificate: r.Certificate, Height: r.Height}, nil
}

func (b nodeBackend) PublicKey(ctx context.Context, keyID string, caller principal.Principal, path [][]byte) ([]byte, []byte, error) {
	pub, cc, err := b.n.PublicKey(ctx, keyID, caller, path)
	if err != nil {
		return nil, nil, err
	}
	return pub, cc, nil
}

func (b nodeBackend) Status(ctx context.Context) (*Status, error) {
	st, err := b.n.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := &Status{SubnetID: st.SubnetID, Height: st.Height, CertifiedHeight: st.CertifiedHeight, RootKeyDER: st.RootKeyDER,
		KeyIDs: st.KeyIDs, PresignatureStock: st.PresignatureStock, KeyGen: st.KeyGen, Convicted: st.Convicted}
	for _, m := range st.Members {
		out.Members = append(out.Members, Member{Index: m.Index, NodeID: m.NodeID, Address: m.Address, GRPC: m.GRPC, Up: m.Up})
	}
	return out, nil
}
