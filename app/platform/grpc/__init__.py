"""gRPC transport kernel: PKI, mutual-TLS credentials, authorisation, error mapping, resilience.

Module agnostic: each module's servicer and client (in the module's own package) plug their
method tables into the pieces here.
"""
