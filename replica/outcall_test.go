package replica

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/replica/subnet"
)

// TestFetchOutcall: a node performs https only, to public addresses,
// unless its configuration allows plain http (and https) to loopback
// addresses, and then plain http only to those; the
// response's headers come lowercased in name order; headers and body
// together must fit max_response_bytes; a certificate the node does not
// trust fails the connection.
func TestFetchOutcall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.Header().Set("X-B", "2")
		w.Header().Add("X-A", "1")
		w.Header().Add("X-A", "0")
		w.Write([]byte(strings.Repeat("y", 100)))
	}))
	defer srv.Close()
	tls := httptest.NewUnstartedServer(http.NotFoundHandler())
	tls.Config.ErrorLog = log.New(io.Discard, "", 0)
	tls.StartTLS()
	defer tls.Close()
	a := &app{cfg: &Config{}}
	a.out.initClients(false)
	ctx := context.Background()
	get := func(url string, max uint64) (uint64, string) {
		_, code, msg := a.fetchOutcall(ctx, &subnet.OutcallRequest{URL: url, Method: "GET", MaxResponseBytes: max})
		return code, msg
	}
	if code, msg := get(srv.URL, 1000); code != subnet.OutcallSysFatal || msg != "Url need to specify https scheme" {
		t.Fatalf("http with the switch off: %d %q", code, msg)
	}
	for _, url := range []string{tls.URL, "https://10.1.2.3/", "https://169.254.169.254/", "https://[::1]:1/", "https://0.0.0.0:1/"} {
		if code, msg := get(url, 1000); code != subnet.OutcallSysTransient || !strings.HasSuffix(msg, "failed: not a public address") {
			t.Fatalf("%s: %d %q", url, code, msg)
		}
	}
	a.out.stop()
	a.cfg.OutcallsAllowHTTPLoopback = true
	a.out.initClients(true)
	defer a.out.stop()
	if code, msg := get(tls.URL, 1000); code != subnet.OutcallSysTransient || msg != "Connecting to 127.0.0.1 failed: tls certificate error" {
		t.Fatalf("untrusted certificate: %d %q", code, msg)
	}
	for _, url := range []string{"http://192.0.2.1/", "http://example.com/", "ftp://127.0.0.1/"} {
		if code, msg := get(url, 1000); code != subnet.OutcallSysFatal || msg != "Url need to specify https scheme" {
			t.Fatalf("%s with the switch on: %d %q", url, code, msg)
		}
	}
	resp, code, msg := a.fetchOutcall(ctx, &subnet.OutcallRequest{URL: srv.URL + "/x", Method: "GET", MaxResponseBytes: 1000})
	if code != 0 || resp.Status != 200 || len(resp.Body) != 100 {
		t.Fatalf("loopback: %d %q %+v", code, msg, resp)
	}
	var names []string
	for _, h := range resp.Headers {
		names = append(names, h.Name+"="+h.Value)
	}
	if got := strings.Join(names, ","); got != "content-length=100,content-type=text/plain; charset=utf-8,x-a=1,x-a=0,x-b=2" {
		t.Fatalf("headers %s", got)
	}
	// The IC counts header names and values with the body.
	size := uint64(100)
	for _, h := range resp.Headers {
		size += uint64(len(h.Name) + len(h.Value))
	}
	if code, msg := get(srv.URL, size); code != 0 {
		t.Fatalf("response of %d bytes in %d: %d %q", size, size, code, msg)
	}
	if code, msg := get(srv.URL, size-1); code != subnet.OutcallSysFatal || msg != fmt.Sprintf("Http body exceeds size limit of %d bytes.", size-1) {
		t.Fatalf("response of %d bytes in %d: %d %q", size, size-1, code, msg)
	}
	if code, msg := get(srv.URL, 10); code != subnet.OutcallSysFatal || msg != "Header size exceeds specified response size limit 10" {
		t.Fatalf("headers above the limit: %d %q", code, msg)
	}
	srv.Close()
	if code, msg := get(srv.URL, 1000); code != subnet.OutcallSysTransient || msg != "Connecting to 127.0.0.1 failed: connection refused" {
		t.Fatalf("closed server: %d %q", code, msg)
	}
}
