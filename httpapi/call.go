package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

type callMode int

const (
	callAsync callMode = iota // v2: 202 once accepted
	callSync                  // v3, v4: wait for the certified result
)

// Management canister methods with their own effective canister id rules.
const (
	methodProvisionalCreate  = "provisional_create_canister_with_cycles"
	methodInstallChunkedCode = "install_chunked_code"
)

// EffectiveCanisterID returns the effective canister id a call or query
// must be sent to, as the interface specification ("Effective canister
// id") defines it: the canister itself, or for the management canister the
// canister_id (target_canister for install_chunked_code) field of the
// Candid record argument. anyOK is true for
// provisional_create_canister_with_cycles, which may be sent to any
// effective canister id.
func EffectiveCanisterID(c *ingress.Content) (id principal.Principal, anyOK bool, err error) {
	if c.CanisterID != principal.Management() {
		return c.CanisterID, false, nil
	}
	if c.RequestType == ingress.RequestTypeCall && c.MethodName == methodProvisionalCreate {
		return principal.Principal{}, true, nil
	}
	field := "canister_id"
	if c.RequestType == ingress.RequestTypeCall && c.MethodName == methodInstallChunkedCode {
		field = "target_canister"
	}
	_, vals, err := candid.UnmarshalAny(c.Arg)
	if err != nil {
		return principal.Principal{}, false, fmt.Errorf("management canister method %q: argument is not Candid: %v", c.MethodName, err)
	}
	if len(vals) > 0 {
		if rec, ok := vals[0].(candid.Record); ok {
			if v, ok := rec.Get(field); ok {
				if p, ok := v.(principal.Principal); ok {
					return p, false, nil
				}
			}
		}
	}
	return principal.Principal{}, false, fmt.Errorf("management canister method %q: argument is not a record with a principal field %s", c.MethodName, field)
}

func inRanges(ranges []certification.CanisterRange, p principal.Principal) bool {
	for _, r := range ranges {
		if p.InRange(r.Low, r.High) {
			return true
		}
	}
	return false
}

// checkTarget checks that a call or query may go where its URL says: the
// effective canister id rules, the subnet's canister ranges and the
// sender's delegation targets.
func (s *Server) checkTarget(req *request, subnetURL bool) *httpError {
	c := &req.env.Content
	if !req.targets.Allows(c.CanisterID) {
		return errorf(http.StatusForbidden, "Failed to authenticate request 0x%x due to: canister %s: %v", req.id, c.CanisterID, ingress.ErrTargetNotAllowed)
	}
	b := s.cfg.Backend
	if subnetURL {
		if req.urlID != b.SubnetID() {
			return errorf(http.StatusBadRequest, "Specified subnet id %s in URL is not this node's subnet %s", req.urlID, b.SubnetID())
		}
		return nil
	}
	want, anyOK, err := EffectiveCanisterID(c)
	if err != nil {
		return errorf(http.StatusBadRequest, "Specified CanisterId %s does not match effective canister id in URL %s: %v", c.CanisterID, req.urlID, err)
	}
	if anyOK {
		return nil
	}
	if want != req.urlID {
		return errorf(http.StatusBadRequest, "Specified CanisterId %s does not match effective canister id in URL %s", want, req.urlID)
	}
	if !inRanges(b.CanisterRanges(), req.urlID) {
		return errorf(http.StatusBadRequest, "Effective canister id %s is not in the canister ranges of subnet %s", req.urlID, b.SubnetID())
	}
	return nil
}

func (s *Server) callHandler(mode callMode, subnetURL bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, herr := s.readRequest(w, r, ingress.RequestTypeCall, "call", subnetURL)
		if herr == nil {
			herr = s.checkTarget(req, subnetURL)
		}
		if herr != nil {
			writeError(w, herr)
			return
		}
		s.call(w, r, req, mode, subnetURL)
	}
}

func (s *Server) call(w http.ResponseWriter, r *http.Request, req *request, mode callMode, subnetURL bool) {
	b := s.cfg.Backend
	// A request the certified state already knows is never submitted
	// again; a synchronous call gets its certificate if it is done.
	if st, ok := b.RequestStatus(req.id); ok {
		if mode == callSync && st.Status.Terminal() {
			s.writeCallCertificate(w, req.id)
			return
		}
		writeAccepted(w, "Duplicate request. Message is already being tracked and executed.")
		return
	}
	// Take the notification channel before submitting so that no
	// certification between the two is missed.
	updated := b.Certified()
	err := b.Submit(r.Context(), &Call{Content: req.env.Content, RequestID: req.id, EffectiveCanister: req.urlID, SubnetCall: subnetURL, Envelope: req.env})
	var rej *Reject
	switch {
	case err == nil:
	case errors.As(err, &rej):
		resp := &CallResponse{RejectCode: rej.Code, RejectMessage: rej.Message, ErrorCode: rej.ErrorCode}
		if mode == callSync {
			resp.Status = StatusNonReplicatedRejection
		}
		writeCBOR(w, http.StatusOK, resp)
		return
	case errors.Is(err, ingress.ErrDuplicate):
		if mode == callAsync {
			writeAccepted(w, "")
			return
		}
		writeAccepted(w, "Duplicate request. Message is already being tracked and executed.")
		return
	default:
		writeError(w, errorf(http.StatusServiceUnavailable, "Service is unavailable: %v", err))
		return
	}
	if mode == callAsync {
		writeAccepted(w, "")
		return
	}
	if n := s.waiters.Add(1); n > int64(s.cfg.MaxSyncWaiters) {
		s.waiters.Add(-1)
		writeAccepted(w, "")
		return
	}
	defer s.waiters.Add(-1)
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.SyncCallTimeout)
	defer cancel()
	for {
		if st, ok := b.RequestStatus(req.id); ok && st.Status.Terminal() {
			s.writeCallCertificate(w, req.id)
			return
		}
		select {
		case <-updated:
			updated = b.Certified()
		case <-ctx.Done():
			// The wait timed out (or the client left): the caller polls.
			writeAccepted(w, "")
			return
		}
	}
}

func writeAccepted(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	if text != "" {
		w.Write([]byte(text))
	}
}

// writeCallCertificate answers a synchronous call with a certificate of
// /request_status/<id> and /time.
func (s *Server) writeCallCertificate(w http.ResponseWriter, id [32]byte) {
	cert, err := s.cfg.Backend.ReadState([][][]byte{{[]byte("request_status"), id[:]}, {[]byte("time")}})
	if err != nil {
		writeError(w, errorf(http.StatusServiceUnavailable, "Certified state is not available yet. Please try again..."))
		return
	}
	cb, err := cert.Marshal()
	if err != nil {
		writeError(w, errorf(http.StatusInternalServerError, "Internal error: %v", err))
		return
	}
	writeCBOR(w, http.StatusOK, &CallResponse{Status: StatusReplied, Certificate: cb})
}

// timestamp returns now in nanoseconds.
func (s *Server) timestamp() uint64 {
	return uint64(max(s.cfg.Now().UnixNano(), 0))
}
