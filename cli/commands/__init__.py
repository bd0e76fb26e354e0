"""The click commands of ``manouche``, one module per command group."""
