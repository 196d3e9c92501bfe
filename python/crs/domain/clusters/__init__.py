"""Customer clusters: identifiers, identity resolution, stable cluster ids and events (docs/clusters.md)."""
