"""Commands to enrolment and follow-up: each route issues one through the outbox and waits briefly."""
