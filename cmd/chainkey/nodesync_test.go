package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLatestHeaderAndEarliestBlock(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/commit":
			fmt.Fprint(w, `{"jsonrpc":"2.0","id":-1,"result":{"signed_header":{"header":{"height":"1234"},"commit":{"height":"1234","block_id":{"hash":"AB12"}}},"canonical":true}}`)
		case "/status":
			fmt.Fprint(w, `{"jsonrpc":"2.0","id":-1,"result":{"sync_info":{"earliest_block_height":"1000","latest_block_height":"1240"}}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	h, hash, err := latestHeader(context.Background(), srv.URL)
	if err != nil || h != 1234 || hash != "AB12" {
		t.Fatalf("latest header %d %q %v", h, hash, err)
	}
	base, err := earliestBlock(context.Background(), srv.URL)
	if err != nil || base != 1000 {
		t.Fatalf("earliest block %d %v", base, err)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{}`) }))
	defer bad.Close()
	if _, _, err := latestHeader(context.Background(), bad.URL); err == nil {
		t.Fatal("accepted a reply without a header")
	}
	if _, err := earliestBlock(context.Background(), bad.URL); err == nil {
		t.Fatal("accepted a reply without a base")
	}
}
