"""Storage backends behind one table-shaped interface (see ``crs.storage.base``)."""
