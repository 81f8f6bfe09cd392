"""The tools built on the facade: command line, audit, batches, interview, policy tests."""
