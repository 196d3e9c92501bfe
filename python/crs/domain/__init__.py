"""Domain rules: validation, resources, idempotency, audit. No gRPC types here."""
