package rpc

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/proto/chainkeypb"
	"google.golang.org/grpc"
)

// DefaultRequestExpiry is the lifetime the client gives signing requests:
// less than DefaultMaxExpiry so that modest clock skew is tolerated.
const DefaultRequestExpiry = 4 * time.Minute

// Client talks to one node's ChainKey service and signs requests with the
// caller's key.
type Client struct {
	conn   *grpc.ClientConn
	pb     chainkeypb.ChainKeyClient
	signer ingress.Signer
	now    func() time.Time
}

// Dial connects to endpoint (host:port) without transport security; the
// requests themselves are signed by signer, which may be nil for a client
// that only reads public keys and status.
func Dial(endpoint string, signer ingress.Signer) (*Client, error) {
	return DialTLS(endpoint, signer, nil)
}

// DialTLS is Dial over TLS with tlsConfig (see ClientTLS); a nil
// tlsConfig means no transport security.
func DialTLS(endpoint string, signer ingress.Signer, tlsConfig *tls.Config) (*Client, error) {
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(TransportCredentials(tlsConfig)))
	if err != nil {
		return nil, fmt.Errorf("rpc: dial %s: %w", endpoint, err)
	}
	return &Client{conn: conn, pb: chainkeypb.NewChainKeyClient(conn), signer: signer, now: time.Now}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Caller returns the principal of the client's key.
func (c *Client) Caller() principal.Principal {
	if c.signer == nil {
		return principal.Anonymous()
	}
	return ingress.Sender(c.signer)
}

// PublicKey returns the key derived for caller and path under keyID, and
// its chain code.
func (c *Client) PublicKey(ctx context.Context, keyID string, caller principal.Principal, path [][]byte) (publicKey, chainCode []byte, err error) {
	res, err := c.pb.PublicKey(ctx, &chainkeypb.PublicKeyRequest{KeyId: keyID, DerivationPath: path, Caller: caller.Bytes()})
	if err != nil {
		return nil, nil, err
	}
	return res.GetPublicKey(), res.GetChainCode(), nil
}

// SignArgs are the arguments of a signing request.
type SignArgs struct {
	KeyID          string
	DerivationPath [][]byte
	// MessageHash is the 32-byte hash for ECDSA, the message for Schnorr.
	MessageHash []byte
	// TaprootMerkleRoot: nil for none; see ingress.SignContent.
	TaprootMerkleRoot []byte
}

// NewSignEnvelope builds a signed request for a with a fresh random nonce
// and an expiry DefaultRequestExpiry from now.
func (c *Client) NewSignEnvelope(a SignArgs) (*ingress.Envelope, error) {
	if c.signer == nil {
		return nil, fmt.Errorf("rpc: sign: client has no identity")
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return ingress.NewSignEnvelope(c.signer, &ingress.SignContent{
		IngressExpiry:     ingress.Expiry(c.now(), DefaultRequestExpiry),
		Nonce:             nonce,
		KeyID:             a.KeyID,
		DerivationPath:    a.DerivationPath,
		MessageHash:       a.MessageHash,
		TaprootMerkleRoot: a.TaprootMerkleRoot,
	})
}

// Sign signs a request for a and submits it.
func (c *Client) Sign(ctx context.Context, a SignArgs) (*chainkeypb.SignResponse, error) {
	env, err := c.NewSignEnvelope(a)
	if err != nil {
		return nil, err
	}
	return c.SignEnvelope(ctx, env)
}

// SignEnvelope submits an already signed request.
func (c *Client) SignEnvelope(ctx context.Context, env *ingress.Envelope) (*chainkeypb.SignResponse, error) {
	return c.pb.Sign(ctx, &chainkeypb.SignRequest{Envelope: env.Marshal()})
}

// Status returns the node's view of the subnet.
func (c *Client) Status(ctx context.Context) (*chainkeypb.StatusResponse, error) {
	return c.pb.Status(ctx, &chainkeypb.StatusRequest{})
}
