"""The audit log: every read of personal data, hash-chained, appended only; its routes and its chain check."""
