"""Benchmarks of the chat service against the Node.js reference server (bench/run)."""
