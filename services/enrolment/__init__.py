"""Course enrolment: the catalogue, seats and each participant's participation (start, completion, drop-out)."""

SOURCE = "rummelig/enrolment"  # the CloudEvents source of everything enrolment publishes
