"""The four Rummelig services: intake, enrolment, follow-up and reporting."""
