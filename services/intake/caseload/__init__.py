"""The caseload: a municipality's cases by status and follow-up due, a search by CPR number, a course's participants."""
