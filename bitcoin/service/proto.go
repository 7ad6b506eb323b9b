package service

import "google.golang.org/protobuf/proto"

var protoUnmarshalOptions = proto.UnmarshalOptions{DiscardUnknown: true}
