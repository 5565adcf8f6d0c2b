"""Import pipeline: importer plugins keyed by format name, quarantine, idempotency."""
