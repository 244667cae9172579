"""The caseworker pages: sign-in, web sessions, "Mine sager", the case page; one more adapter over the use cases."""
