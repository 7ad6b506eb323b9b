package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc/status"

	"github.com/chainkey/chainkey/ingress"
)

// defaultIdentityPath is where the CLI keeps the caller identity it creates
// when --identity is not given.
func defaultIdentityPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("identity: no user config directory: %w", err)
	}
	return filepath.Join(dir, "chainkey", "identity.pem"), nil
}

// loadCallerIdentity reads the PEM identity at path, or, when path is
// empty, the default identity, creating it (Ed25519, PKCS#8, mode 0600) on
// first use.
func loadCallerIdentity(path string) (ingress.Signer, error) {
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("identity: %w", err)
		}
		s, err := ingress.ParseIdentityPEM(data)
		if err != nil {
			return nil, fmt.Errorf("identity %s: %w", path, err)
		}
		return s, nil
	}
	def, err := defaultIdentityPath()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(def)
	if errors.Is(err, os.ErrNotExist) {
		if err := createDefaultIdentity(def); err != nil {
			return nil, err
		}
		data, err = os.ReadFile(def)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	s, err := ingress.ParseIdentityPEM(data)
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", def, err)
	}
	return s, nil
}

// createDefaultIdentity writes a new Ed25519 identity to path without ever
// replacing an existing file (two CLIs racing both end up with the same
// identity).
func createDefaultIdentity(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	s, err := ingress.GenerateEd25519()
	if err != nil {
		return err
	}
	defer s.Zeroize()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".identity-*.pem")
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("identity: %w", err)
	}
	if _, err := tmp.Write(ingress.MarshalEd25519PEM(s)); err != nil {
		tmp.Close()
		return fmt.Errorf("identity: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("identity: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("identity: %w", err)
	}
	return nil
}

// decodeHexList decodes repeated hex flag values (an empty value is an
// empty blob).
func decodeHexList(flag string, vals []string) ([][]byte, error) {
	out := make([][]byte, len(vals))
	for i, v := range vals {
		b, err := hex.DecodeString(strings.TrimPrefix(v, "0x"))
		if err != nil {
			return nil, fmt.Errorf("%s element %d: %w", flag, i, err)
		}
		out[i] = b
	}
	return out, nil
}

// rpcErrorLine turns a gRPC error into a one-line message "Code: detail".
func rpcErrorLine(op string, err error) error {
	if st, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s: %s", op, st.Code(), strings.ReplaceAll(st.Message(), "\n", " "))
	}
	return fmt.Errorf("%s: %w", op, err)
}

// writeJSONLine prints v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
