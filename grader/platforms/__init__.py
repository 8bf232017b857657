"""Course platforms that run the grader inside containers of their own (Gradescope, ...)."""
