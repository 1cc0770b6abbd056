"""Units, users, login, API tokens."""
