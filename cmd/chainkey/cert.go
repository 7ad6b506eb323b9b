package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/thresholdsig"
)

// newCertCmd returns the "cert" command group: verification of and lookups
// in Internet Computer certificates.
func newCertCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Verify Internet Computer certificates and look up their values",
	}
	cmd.AddCommand(newCertVerifyCmd(), newCertLookupCmd())
	return cmd
}

// certVerdict is the one-line JSON result of "cert verify" on success.
type certVerdict struct {
	Valid            bool   `json:"valid"`
	TimeNs           uint64 `json:"time_ns"`
	RootHash         string `json:"root_hash"`
	DelegationSubnet string `json:"delegation_subnet"`
}

// certFailure is the one-line JSON result of "cert verify" on failure.
type certFailure struct {
	Valid bool   `json:"valid"`
	Error string `json:"error"`
}

func newCertVerifyCmd() *cobra.Command {
	var rootKeyHex, canisterText string
	var maxAge, delegationMaxAge time.Duration
	cmd := &cobra.Command{
		Use:   "verify --root-key HEX [--canister-id PRINCIPAL] [--max-age DURATION] FILE",
		Short: "Verify a certificate; exit 0 if valid, 1 if not",
		Long: `Verify an Internet Computer certificate as an IC agent does: the BLS signature over
"\x0dic-state-root" || root hash under the root key, or, with a delegation, under the
subnet key the delegation certificate (itself signed by the root key, one level only)
reveals at /subnet/<subnet_id>/public_key.

FILE holds the certificate as raw CBOR or as hex (optionally 0x-prefixed, surrounding
whitespace allowed). --root-key is the 96-byte BLS public key or its 133-byte DER form,
in hex. With --canister-id (text form) a delegated certificate must have the canister in
the subnet's canister ranges (either state-tree layout). --max-age bounds the age of the
certificate's /time against the local clock; 0 (the default) means no age check at all.
When --max-age is set, the delegation certificate's /time is bounded by
--delegation-max-age (default 720h, as agent-js does; never less than --max-age), since
a subnet's delegation is only refreshed when its replicas restart.

Prints {"valid":true,"time_ns":N,"root_hash":"HEX","delegation_subnet":"PRINCIPAL or
empty"} and exits 0, or prints {"valid":false,"error":"..."} and exits 1.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			info, err := certVerify(rootKeyHex, canisterText, maxAge, delegationMaxAge, args)
			var out any
			if err != nil {
				out = certFailure{Error: err.Error()}
			} else {
				v := certVerdict{Valid: true, TimeNs: info.Time, RootHash: hex.EncodeToString(info.RootHash[:])}
				if info.Delegated {
					v.DelegationSubnet = info.DelegationSubnet.String()
				}
				out = v
			}
			b, jerr := json.Marshal(out)
			if jerr != nil {
				return jerr
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(b))
			if err != nil {
				return errSilent{code: 1}
			}
			return nil
		},
	}
	jsonFlagErrors(cmd)
	cmd.Flags().StringVar(&rootKeyHex, "root-key", "", "root public key in hex: 96-byte G2 point or 133-byte DER")
	cmd.Flags().StringVar(&canisterText, "canister-id", "", "canister principal (text form) that a delegation must cover")
	cmd.Flags().DurationVar(&maxAge, "max-age", 0, "maximum age of the certificate's /time; 0 = no age checks")
	cmd.Flags().DurationVar(&delegationMaxAge, "delegation-max-age", 30*24*time.Hour, "maximum age of the delegation's /time when --max-age is set")
	return cmd
}

func certVerify(rootKeyHex, canisterText string, maxAge, delegationMaxAge time.Duration, args []string) (certification.Info, error) {
	if len(args) != 1 {
		return certification.Info{}, fmt.Errorf("expected one certificate FILE, got %d arguments", len(args))
	}
	if rootKeyHex == "" {
		return certification.Info{}, errors.New("--root-key is required")
	}
	kb, err := certDecodeHex(rootKeyHex)
	if err != nil {
		return certification.Info{}, fmt.Errorf("--root-key: %w", err)
	}
	rootKey, err := thresholdsig.ParsePublicKeyOrDER(kb)
	if err != nil {
		return certification.Info{}, fmt.Errorf("--root-key: %w", err)
	}
	if maxAge < 0 || delegationMaxAge < 0 {
		return certification.Info{}, errors.New("--max-age and --delegation-max-age must not be negative")
	}
	opts := certification.VerifyOptions{MaxAge: maxAge}
	if maxAge > 0 {
		opts.DelegationMaxAge = max(delegationMaxAge, maxAge)
	}
	if canisterText != "" {
		id, err := principal.Parse(canisterText)
		if err != nil {
			return certification.Info{}, fmt.Errorf("--canister-id: %w", err)
		}
		opts.CanisterID = &id
	}
	c, err := readCertificateFile(args[0])
	if err != nil {
		return certification.Info{}, err
	}
	return certification.Verify(c, rootKey, opts)
}

func newCertLookupCmd() *cobra.Command {
	var pathSpec string
	cmd := &cobra.Command{
		Use:   "lookup --path a/b/c FILE",
		Short: "Print the value at a path of a certificate's tree",
		Long: `Look up a path in the hash tree of the certificate in FILE (raw CBOR or hex) and print
the value in hex, or "absent" (the tree proves the path is not there) or "unknown" (the
path is in a pruned part of the tree). A path that ends at an inner node is an error.
The certificate is NOT verified: run "cert verify" first.

--path is a list of labels separated by "/" (a leading "/" is ignored). Each label is
  0x<hex>        the bytes given in hex, e.g. a request id: request_status/0x1d10.../status
  <principal>    a principal in text form (with its dashes and valid checksum) stands
                 for its binary form, e.g. canister/ryjl3-tyaaa-aaaaa-aaaba-cai/certified_data
  text:<label>   the UTF-8 text after "text:", taken literally
  anything else  its UTF-8 text, e.g. time or subnet`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := parseLabelPath(pathSpec)
			if err != nil {
				return err
			}
			c, err := readCertificateFile(args[0])
			if err != nil {
				return err
			}
			status, v := c.Lookup(path...)
			switch status {
			case certification.Found:
				fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(v))
			case certification.Absent, certification.Unknown:
				fmt.Fprintln(cmd.OutOrStdout(), status)
			default:
				return fmt.Errorf("cert lookup: path %q does not end at a value", pathSpec)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pathSpec, "path", "", "path of labels separated by /, e.g. canister/<principal>/certified_data")
	return cmd
}

// parseLabelPath parses the --path syntax documented in "cert lookup --help".
func parseLabelPath(spec string) ([][]byte, error) {
	spec = strings.TrimPrefix(spec, "/")
	if spec == "" {
		return nil, errors.New("--path is required")
	}
	var path [][]byte
	for _, seg := range strings.Split(spec, "/") {
		switch {
		case strings.HasPrefix(seg, "text:"):
			path = append(path, []byte(strings.TrimPrefix(seg, "text:")))
		case strings.HasPrefix(seg, "0x"):
			b, err := hex.DecodeString(seg[2:])
			if err != nil {
				return nil, fmt.Errorf("--path label %q: %w", seg, err)
			}
			path = append(path, b)
		case strings.Contains(seg, "-"):
			if p, err := principal.Parse(seg); err == nil {
				path = append(path, p.Bytes())
				continue
			}
			path = append(path, []byte(seg))
		default:
			path = append(path, []byte(seg))
		}
	}
	return path, nil
}

// readCertificateFile reads a certificate stored as raw CBOR or as hex text.
func readCertificateFile(name string) (*certification.Certificate, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if t := strings.TrimSpace(string(b)); t != "" && isHexText(t) {
		if b, err = certDecodeHex(t); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	c, err := certification.ParseCertificate(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// isHexText reports whether s looks like hex text (a CBOR certificate never
// does: it starts with 0xd9 or a map byte).
func isHexText(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

func certDecodeHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	return hex.DecodeString(s)
}
