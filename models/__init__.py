"""Tortoise ORM models, one module per aggregate, and their migrations."""
