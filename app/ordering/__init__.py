"""The ordering module. Everything here is private except ``contract``."""
