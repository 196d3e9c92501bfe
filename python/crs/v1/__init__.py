"""Generated protobuf and gRPC stubs for crs.v1 (do not edit)."""
