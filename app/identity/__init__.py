"""The identity provider: accounts, passwords, RS256 tokens and their revocation.

Everything here is private except ``contract``.
"""
