"""A team lead moves cases to another caseworker of the municipality: POST /reassignments, a result per case."""
