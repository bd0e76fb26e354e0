"""A Django app holding the benchmark models (Django needs an installed app for reverse relations)."""
