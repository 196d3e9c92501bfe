"""gRPC layer: servicers, conversion to and from domain types, auth, errors, server assembly."""
