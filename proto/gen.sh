#!/usr/bin/env bash
# Regenerates the Go code for every .proto under proto/<name>/v1/ into
# proto/<name>pb/. Needs protoc, protoc-gen-go v1.36.4 and protoc-gen-go-grpc
# v1.5.1 on PATH:
#   apt-get install -y protobuf-compiler
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.4
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
# Add a line to the list below for each new service.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:$(go env GOPATH)/bin"
gen() { # gen <proto dir> <output package dir>
	local src=$1 out=$2
	mkdir -p "$out"
	protoc -I "$src" --go_out="$out" --go_opt=paths=source_relative \
		--go-grpc_out="$out" --go-grpc_opt=paths=source_relative "$src"/*.proto
}
gen btcservice/v1 btcservicepb
gen bitcoin/v1 bitcoinpb
gen chainkey/v1 chainkeypb
