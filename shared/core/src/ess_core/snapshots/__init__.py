"""Snapshots of a service's views and projection bookkeeping at a stream position: the file format
(`format`), the folder that keeps them (`store`); another service starts from one instead of replaying the
whole stream, once its recomputed digests match those other pilots signed at that position."""
