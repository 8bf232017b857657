"""The Django app of `grader serve`: models, views, templates and static files."""
