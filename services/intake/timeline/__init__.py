"""The timeline: every fact about a participant, in the order it arrived, answering the command it settles."""
