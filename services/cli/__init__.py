"""`speechflow`: the command line client for power users, talking gRPC to the mesh via Envoy."""
