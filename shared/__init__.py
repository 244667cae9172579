"""Code every Rummelig service uses: envelope, outbox, idempotent consumer, dead letters, settings, auth."""
