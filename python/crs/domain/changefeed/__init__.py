"""The back-office change feed: outbox events, consumers' cursors, snapshots (docs/back-office.md)."""
