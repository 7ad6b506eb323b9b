package httpapi

import (
	"net/http"

	"github.com/chainkey/chainkey/ingress"
)

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	req, herr := s.readRequest(w, r, ingress.RequestTypeQuery, "query", false)
	if herr == nil {
		herr = s.checkTarget(req, false)
	}
	if herr != nil {
		writeError(w, herr)
		return
	}
	reply, rej := s.cfg.Backend.Query(r.Context(), &Call{Content: req.env.Content, RequestID: req.id, EffectiveCanister: req.urlID})
	resp := NewQueryResponse(reply, rej)
	if err := SignQueryResponse(resp, s.cfg.NodeKey, req.id, s.timestamp()); err != nil {
		writeError(w, errorf(http.StatusInternalServerError, "Internal error: %v", err))
		return
	}
	writeCBOR(w, http.StatusOK, resp)
}

// NewQueryResponse returns the unsigned response carrying reply, or rej if
// it is not nil.
func NewQueryResponse(reply []byte, rej *Reject) *QueryResponse {
	if rej != nil {
		return &QueryResponse{Status: StatusRejected, RejectCode: rej.Code, RejectMessage: rej.Message, ErrorCode: rej.ErrorCode}
	}
	if reply == nil {
		reply = []byte{}
	}
	return &QueryResponse{Status: StatusReplied, Reply: &QueryReply{Arg: reply}}
}
