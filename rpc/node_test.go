package rpc

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chainkey/chainkey/replica/api"
)

func TestNodeErrorMapping(t *testing.T) {
	for _, c := range []struct {
		err  error
		code codes.Code
	}{
		{api.ErrDuplicateRequest, codes.AlreadyExists},
		{fmt.Errorf("%w: too late", api.ErrExpired), codes.InvalidArgument},
		{fmt.Errorf("%w: ecdsa:secp256k1:x", api.ErrUnknownKey), codes.NotFound},
		{fmt.Errorf("%w: key not yet available", api.ErrNotReady), codes.Unavailable},
		{fmt.Errorf("replica: other"), codes.Internal},
	} {
		st := status.Convert(toStatus("sign", c.err))
		if st.Code() != c.code {
			t.Errorf("%v -> %v, want %v", c.err, st.Code(), c.code)
		}
		if st.Message() != "sign: "+c.err.Error() {
			t.Errorf("message %q lost the node's text %q", st.Message(), c.err.Error())
		}
	}
}
