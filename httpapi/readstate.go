package httpapi

import (
	"bytes"
	"net/http"
	"unicode/utf8"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

func (s *Server) readStateHandler(subnetURL bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, herr := s.readRequest(w, r, ingress.RequestTypeReadState, "read state", subnetURL)
		if herr == nil && subnetURL && req.urlID != s.cfg.Backend.SubnetID() {
			herr = errorf(http.StatusBadRequest, "Specified subnet id %s in URL is not this node's subnet %s", req.urlID, s.cfg.Backend.SubnetID())
		}
		if herr == nil {
			herr = s.checkPaths(req, subnetURL)
		}
		if herr != nil {
			writeError(w, herr)
			return
		}
		paths := append(append([][][]byte{}, req.env.Content.Paths...), [][]byte{[]byte("time")})
		cert, err := s.cfg.Backend.ReadState(paths)
		if err != nil {
			writeError(w, errorf(http.StatusServiceUnavailable, "Certified state is not available yet. Please try again..."))
			return
		}
		cb, err := cert.Marshal()
		if err != nil {
			writeError(w, errorf(http.StatusInternalServerError, "Internal error: %v", err))
			return
		}
		writeCBOR(w, http.StatusOK, &ReadStateResponse{Certificate: cb})
	}
}

func is(label []byte, names ...string) bool {
	for _, n := range names {
		if string(label) == n {
			return true
		}
	}
	return false
}

// checkPaths applies the access rules of the interface specification
// ("Request: Read state") to the requested paths, with the replica's
// status codes and texts: unknown paths 404, canister paths only for the
// effective canister, request_status only for the sender of that request
// (and within its delegation targets), one request id per request, private
// metadata only for controllers.
func (s *Server) checkPaths(req *request, subnetURL bool) *httpError {
	c := &req.env.Content
	var statusID []byte
	for _, p := range c.Paths {
		n := len(p)
		switch {
		case n == 1 && is(p[0], "time"):
		case n >= 1 && is(p[0], "api_boundary_nodes") &&
			(n <= 2 || n == 3 && is(p[2], "domain", "ipv4_address", "ipv6_address")):
		case n >= 1 && is(p[0], "subnet") &&
			(n <= 2 ||
				n == 3 && is(p[2], "public_key", "canister_ranges", "node") ||
				n == 4 && is(p[2], "node") ||
				n == 5 && is(p[2], "node") && is(p[4], "public_key")):
		case n == 3 && is(p[0], "subnet") && is(p[2], "metrics") && subnetURL:
			if !bytes.Equal(p[1], req.urlID.Bytes()) {
				return errorf(http.StatusNotFound, "Invalid path requested.")
			}
		case n >= 2 && n <= 3 && is(p[0], "canister_ranges"):
		case !subnetURL && n == 3 && is(p[0], "canister") && is(p[2], "controllers", "module_hash"),
			!subnetURL && n == 4 && is(p[0], "canister") && is(p[2], "metadata"):
			cid, err := principal.FromBytes(p[1])
			if err != nil {
				return errorf(http.StatusBadRequest, "Could not parse principal id: %v.", err)
			}
			if cid != req.urlID {
				return errorf(http.StatusBadRequest, "Effective principal id in URL %s does not match requested principal id: %s.", req.urlID, cid)
			}
			if n == 4 {
				if !utf8.Valid(p[3]) {
					return errorf(http.StatusBadRequest, "Could not parse the custom section name: invalid utf-8.")
				}
				if !s.cfg.Backend.MetadataReadable(cid, string(p[3]), c.Sender) {
					name := string(p[3])
					if len(name) > 100 {
						name = name[:100]
					}
					return errorf(http.StatusForbidden, "Custom section %s can only be requested by the controllers of the canister.", name)
				}
			}
		case (n == 2 || n == 3 && is(p[2], "status", "reply", "reject_code", "reject_message", "error_code")) && is(p[0], "request_status"):
			if len(p[1]) != 32 {
				return errorf(http.StatusBadRequest, "Request IDs must be 32 bytes in length.")
			}
			if statusID != nil && !bytes.Equal(statusID, p[1]) {
				return errorf(http.StatusBadRequest, "Can only request a single request ID in request_status paths.")
			}
			statusID = p[1]
			st, ok := s.cfg.Backend.RequestStatus([32]byte(p[1]))
			if !ok {
				continue
			}
			if st.Sender != c.Sender {
				return errorf(http.StatusForbidden, "Request IDs must be for requests signed by the caller.")
			}
			if !req.targets.Allows(st.Receiver) {
				return errorf(http.StatusForbidden, "Request IDs must be for requests to canisters belonging to sender delegation targets.")
			}
		default:
			return errorf(http.StatusNotFound, "Invalid path requested.")
		}
	}
	return nil
}
