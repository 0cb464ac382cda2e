"""The catalog module. Everything here is private except ``contract``."""
