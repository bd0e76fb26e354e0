"""The blog app of the manouche demo: authors, posts, tags and comments."""
