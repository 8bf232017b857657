"""grader: grade OS homework by what the kernel saw the program do."""

__version__ = "0.2.0"
__all__ = ["__version__"]
