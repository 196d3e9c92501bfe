"""CRS: Customer Relationship Service for payment processing.

Layers, top to bottom: ``crs.api`` (gRPC only) -> ``crs.domain`` (rules, no gRPC types) ->
``crs.storage`` (rows, no rules); ``crs._core`` (Rust: card data and cryptography) below all.
"""

__version__ = "0.1.0"
