"""The Textual interface: a thin layer over the core (every change goes through core functions)."""
