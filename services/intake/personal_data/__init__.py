"""Personal data: keys, consent withdrawn, erasure, retention, key rotation and the access request."""
