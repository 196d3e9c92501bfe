"""Customer identity: identifier normalization, keyed privacy-preserving encodings, Fellegi-Sunter matching.

Pure Python; no gRPC and no storage. Only keyed material (HMACs, keyed Bloom filters) leaves `encoding`;
plain identifiers stay in the caller.
"""
