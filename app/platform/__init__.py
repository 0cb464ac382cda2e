"""The platform kernel: technical capabilities shared by every module; no business rules."""
