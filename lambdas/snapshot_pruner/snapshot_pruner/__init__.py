"""Prunes manual RDS snapshots (DB instances and clusters) by a restic-like retention policy."""
