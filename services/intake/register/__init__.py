"""The register round trip's inbound half: a DREAM-style extract matched by the keyed CPR hash, its findings for
six-month checks published as pseudonymous facts, nothing else of it kept."""
