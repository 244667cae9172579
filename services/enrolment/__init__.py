"""Course enrolment: the catalogue, seats and each participant's participation (start, completion, drop-out)."""
